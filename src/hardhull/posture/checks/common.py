"""Building posture findings the same way in every check."""

from __future__ import annotations

from collections.abc import Iterable

from hardhull.model import Finding, FindingKind, Resource, ResourceRef, Severity, Status
from hardhull.posture.base import Control


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


def passed(control: Control, resource: Resource, message: str = "") -> Finding:
    """The ``pass`` result of ``control`` for ``resource``."""
    return finding(
        control,
        resource.ref,
        Status.PASS,
        message or f"{resource.ref.label()}: {control.id} passed",
    )
