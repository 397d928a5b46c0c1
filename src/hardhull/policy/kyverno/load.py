"""Compile a ``kyverno.io/v1`` ``ClusterPolicy``/``Policy`` document into a KyvernoPolicy.

Everything is checked here, once: JMESPath expressions compile, condition operators are
known, and features hardhull does not implement (``context.apiCall``/``configMap``/
``imageRegistry``, ``generate``, ``verifyImages``, ``podSecurity``, ``cel``,
``manifests``) are reported as :class:`LoadError` s with file and line; the rules that
need them evaluate to ``error``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hardhull.errors import HardhullError
from hardhull.policy.base import Action, LoadError, SourcePos
from hardhull.policy.kyverno import autogen, conditions, mutate
from hardhull.policy.kyverno.engine import KyvernoPolicy, Rule, action_of, rule_action
from hardhull.policy.kyverno.variables import precompile

API_VERSIONS = ("kyverno.io/v1", "kyverno.io/v2beta1", "kyverno.io/v2")
KINDS = ("ClusterPolicy", "Policy")
_UNSUPPORTED_VALIDATE = ("podSecurity", "cel", "manifests", "assert")
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
    contexts = list(rule.get("context") or [])
    for decl in _foreach_decls(validate):
        contexts.extend(decl.get("context") or [])
    for entry in contexts:
        if not isinstance(entry, Mapping):
            return "a context entry is not a map"
        for key in ("apiCall", "configMap", "imageRegistry", "globalReference"):
            if key in entry:
                return f"context.{key} ({entry.get('name')}) is not supported"
    return ""


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
        if "foreach" in decl:
            raise HardhullError("nested foreach is not supported")
        conditions.validate_block(decl.get("preconditions"))
        inner = decl.get("deny")
        if isinstance(inner, Mapping):
            conditions.validate_block(inner.get("conditions"))


def compile_policy(
    doc: Mapping[str, Any], pos: SourcePos, rule_lines: Sequence[int] = ()
) -> tuple[KyvernoPolicy | None, list[LoadError]]:
    """One policy document -> (policy, load errors); policy is None when unusable."""
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
        if not reason and "mutate" not in raw:
            try:
                _check(raw)
            except HardhullError as exc:
                reason = str(exc)
        if reason:
            errors.append(LoadError(rpos, f"policy {name} rule {rname}: {reason}", fatal=False))
        action = rule_action(raw, default)
        rules.append(Rule(rname, raw, action, rpos, reason))
        if not reason:
            rules.extend(
                Rule(str(gen["name"]), gen, action, rpos, "", origin=rname)
                for gen in autogen.expand(raw, annotations)
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
