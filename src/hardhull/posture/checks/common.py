"""Building posture findings the same way in every check."""

from __future__ import annotations

from collections.abc import Iterable

from hardhull.model import Finding, Resource, ResourceRef, Severity, Status
from hardhull.posture.base import Control, Pass
from hardhull.posture.findings import posture_finding

#: A one-entry memo of ``ResourceRef.label()`` (a check's findings about one resource
#: come together): ``(ref, label)``, replaced in one assignment.
_LABEL: list[tuple[ResourceRef, str] | None] = [None]


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
    if not evidence:
        pairs: tuple[tuple[str, str], ...] = () if path is None else (("path", path),)
    else:
        pairs = tuple(sorted((*evidence, ("path", path)) if path is not None else evidence))
    last = _LABEL[0]
    if last is not None and last[0] is ref:
        subject = last[1]
    else:
        subject = ref.label()
        _LABEL[0] = (ref, subject)
    return posture_finding(
        status,
        severity or control.severity,
        control.id,
        control.title,
        subject,
        message,
        pairs,
        None if status is Status.PASS else control.remediation,
        ref,
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
