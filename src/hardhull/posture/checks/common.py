"""Building posture findings the same way in every check."""

from __future__ import annotations

from collections.abc import Iterable

from hardhull.model import Finding, FindingKind, Resource, ResourceRef, Severity, Status
from hardhull.posture.base import Control, Pass


def finding(
    control: Control,
    ref: ResourceRef,
    status: Status,
    message: str,
    *,
    path: str | None = None,
    evidence: Iterable[tuple[str, str]] = (),
    severity: Severity | None = None,
) -> Finding:
    """A ``posture`` finding for ``control`` about ``ref``; ``path`` is the JSON path of
    the offending field (added to the evidence as ``("path", ...)``)."""
    pairs = list(evidence)
    if path is not None:
        pairs.append(("path", path))
    return Finding(
        kind=FindingKind.POSTURE,
        status=status,
        severity=severity or control.severity,
        rule_id=control.id,
        title=control.title,
        subject=ref.label(),
        message=message,
        evidence=tuple(sorted(pairs)),
        fix=None if status is Status.PASS else control.remediation,
        resource=ref,
    )


_SHARED: dict[str, Pass] = {}


def passed(control: Control, resource: Resource | None = None, message: str = "") -> Pass:
    """The pass of ``control``: for the resource being evaluated (``resource`` None, a
    shared instance), or for ``resource`` (cluster checks)."""
    if resource is None and not message:
        shared = _SHARED.get(control.id)
        if shared is None or shared.title != control.title:
            shared = _SHARED[control.id] = Pass(control.id, control.title, control.severity)
        return shared
    ref = resource.ref if resource is not None else None
    return Pass(control.id, control.title, control.severity, ref, message)


def passed_ref(control: Control, ref: ResourceRef, message: str = "") -> Pass:
    """The pass of ``control`` for the object ``ref`` names (cluster checks)."""
    return Pass(control.id, control.title, control.severity, ref, message)
