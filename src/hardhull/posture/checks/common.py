"""Building posture findings the same way in every check."""

from __future__ import annotations

from collections.abc import Iterable

from hardhull.model import Finding, Resource, ResourceRef, Severity, Status
from hardhull.posture.base import Control, Pass
from hardhull.posture.findings import posture_finding

#: A one-entry memo of ``ResourceRef.label()`` (a check's findings about one resource
#: come together): ``(ref, label)``, replaced in one assignment.
_LABEL: list[tuple[ResourceRef, str] | None] = [None]


#: Evidence already built, shared by the findings that have the same: most of it recurs
#: across resources (a JSON path, an image, the missing fields), and 100,000 findings
#: each with their own tuples made the collector's first pass after the checks twice as
#: long. Keyed by (evidence, path); cleared when full.
_EVIDENCE: dict[tuple[tuple[tuple[str, str], ...], str | None], tuple[tuple[str, str], ...]] = {}
_EVIDENCE_MAX = 8192


def _pairs(evidence: tuple[tuple[str, str], ...], path: str | None) -> tuple[tuple[str, str], ...]:
    if not evidence:
        return () if path is None else (("path", path),)
    return tuple(sorted((*evidence, ("path", path)) if path is not None else evidence))


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
    if type(evidence) is tuple:
        key = (evidence, path)
        pairs = _EVIDENCE.get(key)
        if pairs is None:
            pairs = _pairs(evidence, path)
            if len(_EVIDENCE) >= _EVIDENCE_MAX:
                _EVIDENCE.clear()
            _EVIDENCE[key] = pairs
    else:
        pairs = _pairs(tuple(evidence), path)
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
