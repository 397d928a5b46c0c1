"""Compile a ``kyverno.io/v1`` ``ClusterPolicy``/``Policy`` document into a KyvernoPolicy.

Everything is checked here, once: JMESPath expressions compile, condition operators are
known, and features hardhull does not implement (``context.apiCall``/``configMap``/
``imageRegistry``, ``generate``, ``verifyImages``, ``manifests``) are reported as
:class:`LoadError` s with file and line; the rules that need them evaluate to ``error``.
``validate.podSecurity`` and ``validate.cel`` are compiled here too
(:mod:`hardhull.policy.kyverno.subrules`); mutate rules are checked by
:func:`hardhull.policy.kyverno.mutate.problem`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hardhull.errors import HardhullError
from hardhull.policy.base import Action, LoadError, SourcePos
from hardhull.policy.kyverno import autogen, conditions, mutate, subrules
from hardhull.policy.kyverno.engine import KyvernoPolicy, Rule, action_of, rule_action
from hardhull.policy.kyverno.variables import precompile

API_VERSIONS = ("kyverno.io/v1", "kyverno.io/v2beta1", "kyverno.io/v2")
KINDS = ("ClusterPolicy", "Policy")
_UNSUPPORTED_VALIDATE = ("manifests", "assert")
_UNSUPPORTED_RULE = ("generate", "verifyImages")


def _unsupported(rule: Mapping[str, Any]) -> str:
    for key in _UNSUPPORTED_RULE:
        if key in rule:
            return f"{key} rules are not supported"
    if "mutate" in rule:
        return mutate.problem(rule)  # checks the whole mutate rule
    validate = rule.get("validate")
    if not isinstance(validate, Mapping):
        return "rule has no validate block"
    for key in _UNSUPPORTED_VALIDATE:
        if key in validate:
            return f"validate.{key} is not supported"
    for entry in _contexts(rule, validate):
        if not isinstance(entry, Mapping):
            return "a context entry is not a map"
    return ""


_EXTERNAL = ("apiCall", "configMap", "imageRegistry", "globalReference")


def _contexts(rule: Mapping[str, Any], validate: Mapping[str, Any]) -> list[Any]:
    contexts = list(rule.get("context") or [])
    for decl in _foreach_decls(validate):
        contexts.extend(decl.get("context") or [])
    return contexts


def _external(rule: Mapping[str, Any]) -> tuple[str, frozenset[str]]:
    """Context entries that need data from outside the request (not fetched here: a
    policy test's values can supply them): the reason, and the entries' names."""
    reason, names = "", set()
    for entry in _contexts(rule, rule.get("validate") or {}):
        for key in _EXTERNAL:
            if key in entry:
                reason = reason or f"context.{key} ({entry.get('name')}) is not supported"
                names.add(str(entry.get("name")))
    return reason, frozenset(names)


def _foreach_decls(validate: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    stack = list(validate.get("foreach") or [])
    while stack:
        decl = stack.pop()
        if isinstance(decl, Mapping):
            out.append(decl)
            stack.extend(decl.get("foreach") or [])
    return out


def _check(rule: Mapping[str, Any]) -> None:
    precompile(rule)
    conditions.validate_block(rule.get("preconditions"))
    validate = rule.get("validate") or {}
    deny = validate.get("deny")
    if isinstance(deny, Mapping):
        conditions.validate_block(deny.get("conditions"))
    for decl in _foreach_decls(validate):
        conditions.validate_block(decl.get("preconditions"))
        inner = decl.get("deny")
        if isinstance(inner, Mapping):
            conditions.validate_block(inner.get("conditions"))


def compile_policy(
    doc: Mapping[str, Any],
    pos: SourcePos,
    rule_lines: Sequence[int] = (),
    params: Sequence[Mapping[str, Any]] = (),
) -> tuple[KyvernoPolicy | None, list[LoadError]]:
    """One policy document -> (policy, load errors); policy is None when unusable.
    ``params`` are the parameter objects ``validate.cel.paramRef`` may select."""
    errors: list[LoadError] = []
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), Mapping) else {}
    assert isinstance(meta, Mapping)
    name = str(meta.get("name") or "")
    if not name:
        return None, [LoadError(pos, "Kyverno policy has no metadata.name")]
    spec = doc.get("spec")
    if not isinstance(spec, Mapping) or not isinstance(spec.get("rules"), list):
        return None, [LoadError(pos, f"policy {name}: spec.rules must be a list")]
    annotations = meta.get("annotations") or {}
    default = action_of(spec.get("validationFailureAction"))
    rules: list[Rule] = []
    for i, raw in enumerate(spec["rules"]):
        line = rule_lines[i] if i < len(rule_lines) else pos.line
        rpos = SourcePos(pos.file, line)
        if not isinstance(raw, Mapping) or not raw.get("name"):
            errors.append(LoadError(rpos, f"policy {name}: rule {i} has no name"))
            continue
        rname = str(raw["name"])
        reason = _unsupported(raw)
        compiled = None
        external: frozenset[str] = frozenset()
        if not reason:
            reason, external = _external(raw)
            try:
                if "mutate" not in raw:  # mutate rules were checked by _unsupported
                    _check(raw)
                    compiled = subrules.compile_rule(raw, rpos, params)
            except HardhullError as exc:
                reason, external = str(exc), frozenset()
        if reason:
            errors.append(LoadError(rpos, f"policy {name} rule {rname}: {reason}", fatal=False))
        action = rule_action(raw, default)
        rules.append(Rule(rname, raw, action, rpos, reason, compiled=compiled, external=external))
        if not reason or external:
            for gen in autogen.expand(raw, annotations):
                done, why = (
                    (None, reason) if reason else subrules.compile_or_reason(gen, rpos, params)
                )
                rules.append(
                    Rule(str(gen["name"]), gen, action, rpos, why, rname, done, external=external)
                )
    policy = KyvernoPolicy(
        name=name,
        kind=str(doc.get("kind")),
        pos=pos,
        rules=tuple(rules),
        namespace=str(meta.get("namespace") or ""),
        severity=str(annotations.get("policies.kyverno.io/severity", "")),
        category=str(annotations.get("policies.kyverno.io/category", "")),
        scored=str(annotations.get("policies.kyverno.io/scored", "true")).lower() != "false",
    )
    return policy, errors


__all__ = ["API_VERSIONS", "KINDS", "Action", "compile_policy"]
