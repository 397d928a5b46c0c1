"""Load CEL policies from decoded YAML documents: VAPs with their bindings, and Kyverno
``ValidatingPolicy``. Every CEL expression is compiled here, once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hardhull.policy.base import LoadError, Policy, SourcePos
from hardhull.policy.cel.autogen import autogen_specs
from hardhull.policy.cel.match import MatchResources
from hardhull.policy.cel.program import Body, BodyBuilder
from hardhull.policy.cel.vap import (
    BINDING_KIND,
    KYVERNO_KIND,
    VAP_KIND,
    CelPolicy,
    actions_of,
    build_binding_params,
)

VAP_API = "admissionregistration.k8s.io/"
KYVERNO_API = "policies.kyverno.io/"


def is_cel_document(doc: Mapping[str, Any]) -> bool:
    """Whether this loader handles the document."""
    api, kind = str(doc.get("apiVersion", "")), doc.get("kind")
    if api.startswith(VAP_API):
        return kind in (VAP_KIND, BINDING_KIND)
    return api.startswith(KYVERNO_API) and kind == KYVERNO_KIND


def load_cel_documents(
    documents: Sequence[tuple[Mapping[str, Any], SourcePos]],
    params: Sequence[Mapping[str, Any]] = (),
) -> tuple[list[Policy], list[LoadError]]:
    """Compile every VAP (one policy per binding; a VAP without a binding is applied
    as if bound with ``Deny``), every Kyverno ValidatingPolicy; documents of other kinds
    are ignored. ``params`` are the parameter objects bindings may refer to."""
    errors: list[LoadError] = []
    policies: list[Policy] = []
    bindings: dict[str, list[tuple[Mapping[str, Any], SourcePos]]] = {}
    for doc, pos in documents:
        if is_cel_document(doc) and doc.get("kind") == BINDING_KIND:
            target = str((doc.get("spec") or {}).get("policyName", ""))
            bindings.setdefault(target, []).append((doc, pos))
    seen: set[str] = set()
    for doc, pos in documents:
        if not is_cel_document(doc) or doc.get("kind") == BINDING_KIND:
            continue
        name = str((doc.get("metadata") or {}).get("name", ""))
        spec = doc.get("spec")
        if not name or not isinstance(spec, Mapping):
            errors.append(LoadError(pos, f"{doc.get('kind')}: metadata.name and spec required"))
            continue
        builder = BodyBuilder(spec, pos)
        body = builder.build()
        errors += builder.errors
        if body is None:
            continue
        try:
            constraints = MatchResources.parse(spec.get("matchConstraints"))
        except (ValueError, AttributeError, TypeError) as exc:
            errors.append(LoadError(pos, f"{name}: matchConstraints: {exc}"))
            continue
        kind = str(doc["kind"])
        if kind == KYVERNO_KIND:
            action = actions_of(spec.get("validationActions"))
            variants = _autogen_variants(spec, pos, name, errors)
            policies.append(
                CelPolicy(name, kind, pos, body, constraints, None, action, None, "", variants)
            )
            continue
        seen.add(name)
        param_kind = spec.get("paramKind")
        mine = bindings.get(name, [])
        if not mine:
            if param_kind:
                msg = f"{name}: has paramKind but no binding; not applied"
                errors.append(LoadError(pos, msg, False))
                continue
            policies.append(
                CelPolicy(name, kind, pos, body, constraints, None, actions_of(None), None)
            )
        for bdoc, bpos in mine:
            bspec = bdoc.get("spec") or {}
            bname = str((bdoc.get("metadata") or {}).get("name", ""))
            try:
                bmatch = MatchResources.parse(bspec.get("matchResources"))
            except (ValueError, AttributeError, TypeError) as exc:
                errors.append(LoadError(bpos, f"{bname}: matchResources: {exc}"))
                continue
            n_err = len(errors)
            ref = build_binding_params(bdoc, param_kind, params, bpos, errors)
            if any(e.fatal for e in errors[n_err:]):
                continue
            label = name if len(mine) == 1 else f"{name}/{bname}"
            action = actions_of(bspec.get("validationActions"))
            policies.append(
                CelPolicy(label, kind, pos, body, constraints, bmatch, action, ref, bname)
            )
    for target, items in bindings.items():
        if target not in seen:
            for _, bpos in items:
                errors.append(
                    LoadError(bpos, f"binding refers to unknown policy {target!r}", False)
                )
    return policies, errors


def _autogen_variants(
    spec: Mapping[str, Any], pos: SourcePos, name: str, errors: list[LoadError]
) -> tuple[tuple[MatchResources, Body], ...]:
    """The compiled Pod-controller variants of a Pod ValidatingPolicy."""
    out: list[tuple[MatchResources, Body]] = []
    for label, variant in autogen_specs(spec):
        builder = BodyBuilder(variant, pos)
        body = builder.build()
        errors.extend(
            LoadError(err.pos, f"{name} ({label}): {err.message}", err.fatal)
            for err in builder.errors
        )
        if body is not None:
            out.append((MatchResources.parse(variant["matchConstraints"]), body))
    return tuple(out)
