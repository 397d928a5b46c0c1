"""Kyverno's ``validate.cel`` subrule (a ClusterPolicy/Policy rule written in CEL).

The block has the body of a ValidatingAdmissionPolicy: ``expressions`` (``expression``,
``message``, ``messageExpression``, ``reason``), ``variables``, ``auditAnnotations``,
plus ``paramKind``/``paramRef``; the rule's ``celPreconditions`` act as match
conditions (false: the rule is skipped). It is compiled once with
:mod:`hardhull.policy.cel.program` and evaluated with the same variables (``object``,
``oldObject``, ``request``, ``params``, ``namespaceObject``, ``variables``). As in
Kyverno, the first failing expression decides the rule's message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hardhull.errors import HardhullError
from hardhull.policy.base import Action, AdmissionInput, LoadError, Result, RuleResult, SourcePos
from hardhull.policy.cel.program import Body, BodyBuilder, evaluate
from hardhull.policy.cel.vap import ParamRef, build_binding_params

_KEYS = frozenset({"expressions", "variables", "auditAnnotations", "paramKind", "paramRef"})
# The VAP wording of BodyBuilder's messages -> where the expression is in a Kyverno rule.
_WHERE = (
    ("spec.validations", "validate.cel.expressions"),
    ("spec.variables", "validate.cel.variables"),
    ("spec.auditAnnotations", "validate.cel.auditAnnotations"),
    ("spec.matchConditions", "celPreconditions"),
)


@dataclass(frozen=True)
class CelRule:
    """A compiled ``validate.cel`` block."""

    body: Body
    param_ref: ParamRef | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """The rule's verdict, its message and the audit annotations it produced."""

    result: Result
    detail: str = ""
    annotations: tuple[tuple[str, str], ...] = ()


def _list(block: Mapping[str, Any], key: str) -> list[Any]:
    raw = block.get(key)
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(x, Mapping) for x in raw):
        raise HardhullError(f"validate.cel.{key} must be a list of maps")
    return raw


def _wording(message: str) -> str:
    for old, new in _WHERE:
        message = message.replace(old, new)
    return message


def compile_block(
    block: Any,
    preconditions: Any,
    pos: SourcePos,
    params: Sequence[Mapping[str, Any]] = (),
) -> CelRule:
    """Compile ``validate.cel`` (+ the rule's ``celPreconditions``); raises
    :class:`HardhullError` naming the expression that does not compile."""
    if not isinstance(block, Mapping):
        raise HardhullError("validate.cel must be a map")
    unknown = sorted(set(block) - _KEYS - {"generate"})
    if unknown:
        raise HardhullError(f"validate.cel: unknown field(s) {', '.join(unknown)}")
    expressions = _list(block, "expressions")
    if not expressions:
        raise HardhullError("validate.cel.expressions must list at least one expression")
    if preconditions is not None and (
        not isinstance(preconditions, list)
        or not all(isinstance(x, Mapping) for x in preconditions)
    ):
        raise HardhullError("celPreconditions must be a list of maps")
    spec = {
        "validations": expressions,
        "variables": _list(block, "variables"),
        "auditAnnotations": _list(block, "auditAnnotations"),
        "matchConditions": preconditions or [],
    }
    builder = BodyBuilder(spec, pos)
    body = builder.build()
    problems = [_wording(e.message) for e in builder.errors]
    if body is None or problems:
        raise HardhullError("; ".join(problems) or "validate.cel does not compile")
    param_kind, raw_ref = block.get("paramKind"), block.get("paramRef")
    if raw_ref is not None and not param_kind:
        raise HardhullError("validate.cel.paramRef is set but paramKind is not")
    if param_kind is not None and not isinstance(param_kind, Mapping):
        raise HardhullError("validate.cel.paramKind must be a map (apiVersion, kind)")
    if param_kind and not isinstance(raw_ref, Mapping):
        raise HardhullError("validate.cel.paramKind needs a paramRef (name or selector)")
    ref = None
    if param_kind:
        errors: list[LoadError] = []
        try:
            ref = build_binding_params(
                {"spec": {"paramRef": raw_ref}}, param_kind, params, pos, errors
            )
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise HardhullError(f"validate.cel.paramRef: {exc}") from exc
        if errors:
            raise HardhullError("; ".join(e.message for e in errors))
    return CelRule(body, ref)


def _fold(results: Sequence[RuleResult]) -> Outcome:
    annotations: tuple[tuple[str, str], ...] = ()
    for r in results:
        annotations = annotations or r.audit_annotations
    if not results:
        return Outcome(Result.SKIP, "celPreconditions not met")
    for r in results:
        if r.result == Result.ERROR:
            message = r.message.removesuffix(" (failurePolicy Fail)")  # no such field here
            return Outcome(Result.ERROR, f"{r.rule}: {message}", annotations)
    for r in results:
        if r.result == Result.FAIL:
            return Outcome(Result.FAIL, r.message, annotations)
    return Outcome(Result.PASS, "", annotations)


def run(rule: CelRule, inp: AdmissionInput, policy: str) -> Outcome:
    """Evaluate the compiled block on one request (once per parameter object)."""
    if rule.param_ref is None:
        params: list[Mapping[str, Any] | None] = [inp.params]
    elif inp.params is not None:
        params = [inp.params]
    else:
        params = list(rule.param_ref.resolve(inp))
        if not params:
            if rule.param_ref.deny_when_missing:
                return Outcome(Result.FAIL, "no params found (parameterNotFoundAction: Deny)")
            return Outcome(Result.SKIP, "no params found (parameterNotFoundAction: Allow)")
    results: list[RuleResult] = []
    for p in params:
        results += evaluate(rule.body, inp, p, policy=policy, action=Action.DENY)
    return _fold(results)
