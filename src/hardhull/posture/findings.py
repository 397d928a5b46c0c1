"""A fast constructor for posture :class:`~hardhull.model.Finding` objects.

A scan of 10,000 workloads builds over 100,000 fail/warn findings. ``Finding`` is a
frozen, slotted dataclass of 19 fields whose generated ``__init__`` parses keyword
arguments and assigns every field through ``object.__setattr__``; that was about a
quarter of the checks' CPU time in ``bench/posture`` (issue 4).

:func:`posture_finding` builds the same object with the 9 fields a posture finding sets
and every other field at its declared default, in straight-line code generated once from
``dataclasses.fields(Finding)`` (the way ``dataclasses`` generates ``__init__`` itself),
each field set through its slot descriptor: about half the cost per finding. A field
added to ``Finding`` later gets its default here too; if ``Finding`` ever stops being a
plain slotted dataclass with defaults for the other fields (or gains a
``__post_init__``), the plain constructor is used instead.
``tests/unit/k8s/test_k8s_findings.py`` checks that both give equal objects.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from hardhull.model import Finding, FindingKind, ResourceRef, Severity, Status

#: The fields a posture finding sets (in this order after ``kind``).
_PARAMS = ("status", "severity", "rule_id", "title", "subject", "message", "evidence", "fix")

Factory = Callable[
    [Status, Severity, str, str, str, str, tuple[tuple[str, str], ...], str | None, ResourceRef],
    Finding,
]


def plain_posture_finding(
    status: Status,
    severity: Severity,
    rule_id: str,
    title: str,
    subject: str,
    message: str,
    evidence: tuple[tuple[str, str], ...],
    fix: str | None,
    resource: ResourceRef,
) -> Finding:
    """``Finding(kind=posture, ...)`` through the dataclass constructor (the reference)."""
    return Finding(
        kind=FindingKind.POSTURE,
        status=status,
        severity=severity,
        rule_id=rule_id,
        title=title,
        subject=subject,
        message=message,
        evidence=evidence,
        fix=fix,
        resource=resource,
    )


_MEMBER = type(Finding.__dict__["kind"])  # the slot descriptor type (member_descriptor)


def _generated() -> Factory | None:
    if hasattr(Finding, "__post_init__") or "__slots__" not in Finding.__dict__:
        return None
    params = (*_PARAMS, "resource")
    env: dict[str, Any] = {"_new": object.__new__, "_cls": Finding, "_kind": FindingKind.POSTURE}
    lines = []
    for field in dataclasses.fields(Finding):
        name = field.name
        slot: Any = Finding.__dict__.get(name)
        if type(slot) is not _MEMBER:
            return None  # not a plain slot
        env[f"_set_{name}"] = slot.__set__  # the slot's own setter, as object.__setattr__ finds
        if name == "kind":
            value = "_kind"
        elif name in params:
            value = name
        elif field.default is not dataclasses.MISSING:
            env[f"_d_{name}"] = field.default
            value = f"_d_{name}"
        elif field.default_factory is not dataclasses.MISSING:
            env[f"_f_{name}"] = field.default_factory
            value = f"_f_{name}()"
        else:
            return None  # a required field a posture finding does not set
        lines.append(f"    _set_{name}(o, {value})")
    source = (
        f"def posture_finding({', '.join(params)}):\n"
        "    o = _new(_cls)\n" + "\n".join(lines) + "\n    return o\n"
    )
    namespace: dict[str, Any] = {}
    exec(source, env, namespace)  # generated from the dataclass fields, as dataclasses does
    made: Factory = namespace["posture_finding"]
    made.__module__ = __name__
    return made


#: ``posture_finding(status, severity, rule_id, title, subject, message, evidence, fix,
#: resource)``: a ``posture`` finding equal to what :func:`plain_posture_finding` builds.
posture_finding: Factory = _generated() or plain_posture_finding

__all__ = ["plain_posture_finding", "posture_finding"]
