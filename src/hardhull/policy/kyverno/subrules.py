"""The validate subrules that are compiled once at load time rather than interpreted:
``validate.podSecurity`` (:mod:`.podsecurity`) and ``validate.cel`` (:mod:`.celrule`).

:func:`compile_rule` returns the compiled form the engine keeps on the rule (``None`` for
pattern/deny/foreach rules); :func:`run` evaluates it on one request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hardhull.errors import HardhullError
from hardhull.policy.base import AdmissionInput, Result, SourcePos
from hardhull.policy.kyverno import podsecurity

_KINDS = ("pattern", "anyPattern", "deny", "foreach", "podSecurity", "cel")


def compile_rule(
    rule: Mapping[str, Any], pos: SourcePos, params: Sequence[Mapping[str, Any]] = ()
) -> Any:
    """The compiled subrule of ``rule`` or ``None``; raises :class:`HardhullError` for
    malformed content (the rule then evaluates to ``error``)."""
    validate = rule.get("validate")
    if not isinstance(validate, Mapping):
        return None
    present = [k for k in _KINDS if k in validate]
    special = [k for k in present if k in ("podSecurity", "cel")]
    if special and len(present) > 1:
        raise HardhullError(f"validate has more than one of {', '.join(present)}")
    if "celPreconditions" in rule and "cel" not in validate:
        raise HardhullError("celPreconditions are only supported with validate.cel")
    if "podSecurity" in validate:
        return podsecurity.compile_block(validate["podSecurity"])
    if "cel" in validate:
        try:
            from hardhull.policy.kyverno import celrule
        except ImportError as exc:  # the CEL runtime is missing
            raise HardhullError(f"validate.cel needs the CEL runtime: {exc}") from exc
        return celrule.compile_block(validate["cel"], rule.get("celPreconditions"), pos, params)
    return None


def compile_or_reason(
    rule: Mapping[str, Any], pos: SourcePos, params: Sequence[Mapping[str, Any]] = ()
) -> tuple[Any, str]:
    """(compiled, "") or (None, why the rule cannot be compiled)."""
    try:
        return compile_rule(rule, pos, params), ""
    except HardhullError as exc:
        return None, str(exc)


def run(
    compiled: Any, inp: AdmissionInput, resource: Any, policy: str
) -> tuple[Result, str, tuple[tuple[str, str], ...]]:
    """(result, message, audit annotations) of a compiled subrule on one request."""
    if isinstance(compiled, podsecurity.PodSecurity):
        result, detail = podsecurity.evaluate(compiled, resource)
        return result, detail, ()
    from hardhull.policy.kyverno import celrule

    if isinstance(compiled, celrule.CelRule):
        out = celrule.run(compiled, inp, policy)
        return out.result, out.detail, out.annotations
    return Result.ERROR, f"unknown compiled subrule {type(compiled).__name__}", ()
