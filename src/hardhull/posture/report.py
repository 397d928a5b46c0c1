"""The posture report and its JSON and table forms (``hardhull k8s scan``).

JSON shape (``schema`` 1, keys sorted, consistent with the scan document)::

    {"schema", "tool", "created", "source", "pss", "framework", "summary", "findings",
     "coverage"}

``source`` is ``{"type": "kubernetes", "inputs": [...]}``; each finding is the scan
document's finding (see :mod:`hardhull.report.scan_json`) with ``rule_id`` and
``resource`` (``kind``, ``name``, ``namespace``, ``api_version``, ``file``, ``line``).
``coverage`` counts files, documents and resources read and lists every gap: a document or
API read that was not checked is listed there, never counted as a pass.

Passes are not findings unless asked for (``--show-passed``): ``summary.by_status.pass``
counts them either way (one per control and resource), and ``controls`` has a tally per
control id (``evaluated``, ``passed``, ``failed``, ``warned``, ``exempted``, ``errors``).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from hardhull.model import Finding, Gap, Severity, Status
from hardhull.posture.engine import PassCount
from hardhull.posture.gcpause import gc_paused
from hardhull.posture.tally import ControlTally
from hardhull.report.facts import resource_location
from hardhull.report.scan_json import json_finding

SCHEMA_VERSION = 1
ACTIVE = frozenset({Status.FAIL, Status.WARN, Status.ERROR})


@dataclass(frozen=True, slots=True)
class FrameworkScore:
    """Results limited to one framework: its controls, (control, resource) outcomes and
    the pass rate (0-100) of passed against failed (fail, warn, error) ones."""

    name: str
    controls: int
    passed: int
    failed: int
    exempted: int = 0

    @property
    def pass_rate(self) -> float | None:
        """Percentage of evaluated results that passed, or None when nothing was evaluated."""
        total = self.passed + self.failed
        return round(100.0 * self.passed / total, 1) if total else None


@dataclass(frozen=True, slots=True)
class PostureReport:
    """Everything ``hardhull k8s scan`` concluded, and what it could not check."""

    findings: tuple[Finding, ...]
    gaps: tuple[Gap, ...]
    inputs: tuple[str, ...]
    pss_level: str
    pss_version: str
    files: int = 0
    documents: int = 0
    resources: int = 0
    framework: FrameworkScore | None = None
    passes: tuple[PassCount, ...] = ()
    tallies: tuple[ControlTally, ...] = ()
    show_passed: bool = False
    tool_version: str = ""
    created: str = ""


def finding_order(finding: Finding) -> tuple[object, ...]:
    """Stable order: by resource (file, line, kind, namespace, name), then rule id."""
    ref = finding.resource
    if ref is None:
        return ("", 0, "", "", "", finding.rule_id, finding.status, finding.message)
    # the Status member itself: a StrEnum orders as its value, without the .value lookup
    return (
        ref.file or "",
        ref.line or 0,
        ref.kind,
        ref.namespace or "",
        ref.name,
        finding.rule_id,
        finding.status,
        finding.message,
    )


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in the stable report order."""
    return sorted(findings, key=finding_order)


def failing(report: PostureReport, threshold: Severity) -> list[Finding]:
    """Unsuppressed ``fail``/``warn`` findings at or above ``threshold`` (``--fail-on``)."""
    return [
        f
        for f in report.findings
        if f.status in (Status.FAIL, Status.WARN)
        and f.suppressed is None
        and f.severity.rank >= threshold.rank
    ]


def passed_total(report: PostureReport) -> int:
    """How many (control, resource) pairs passed."""
    return sum(n for _, _, n in report.passes)


def summary(report: PostureReport) -> dict[str, Any]:
    """Counts by status (passes from the engine's counts, whether or not they were
    materialised) and, for active findings, severity; coverage flags."""
    # counted by member, then named by value (the .value lookup costs more than counting)
    statuses = Counter(f.status for f in report.findings if f.status is not Status.PASS)
    by_status = Counter({status.value: n for status, n in statuses.items()})
    passes = passed_total(report)
    if passes:
        by_status[Status.PASS.value] = passes
    severities = Counter(f.severity for f in report.findings if f.status in ACTIVE)
    by_severity = {severity.value: n for severity, n in severities.items()}
    return {
        "findings": len(report.findings),
        "by_status": dict(sorted(by_status.items())),
        "by_severity": dict(sorted(by_severity.items())),
        "suppressed": sum(1 for f in report.findings if f.suppressed is not None),
        "resources": report.resources,
        "coverage_complete": not report.gaps,
    }


def to_posture_dict(report: PostureReport) -> dict[str, Any]:
    """The posture document as plain data."""
    return _document(report, [json_finding(f) for f in ordered(report.findings)])


def _document(report: PostureReport, findings: list[dict[str, Any]]) -> dict[str, Any]:
    fw = report.framework
    return {
        "schema": SCHEMA_VERSION,
        "tool": {"name": "hardhull", "version": report.tool_version},
        "created": report.created,
        "source": {"type": "kubernetes", "inputs": list(report.inputs)},
        "pss": {"level": report.pss_level, "version": report.pss_version},
        "framework": None
        if fw is None
        else {
            "name": fw.name,
            "controls": fw.controls,
            "passed": fw.passed,
            "failed": fw.failed,
            "exempted": fw.exempted,
            "pass_rate": fw.pass_rate,
        },
        "controls": [t.as_dict() for t in report.tallies],
        "summary": summary(report),
        "findings": findings,
        "coverage": {
            "files": report.files,
            "documents": report.documents,
            "resources": report.resources,
            "complete": not report.gaps,
            "gaps": [
                {"kind": g.kind, "subject": g.subject, "detail": g.detail} for g in report.gaps
            ],
        },
    }


_JSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
_EMPTY_FINDINGS = b'\n  "findings": []'


def to_posture_json(report: PostureReport) -> bytes:
    """Indented JSON with sorted keys: ``orjson.dumps(to_posture_dict(report))``, with
    each finding serialised on its own into the output, so that the findings never
    exist as plain data all at once (at 100,000 findings that was 180 MiB)."""
    with gc_paused():
        head = orjson.dumps(_document(report, []), option=_JSON_OPTIONS)
        if not report.findings:
            return head
        at = head.index(_EMPTY_FINDINGS) + len(_EMPTY_FINDINGS) - 1  # at the "]"
        out = io.BytesIO()
        out.write(head[: at - 1])
        out.write(b"[\n    ")
        for i, finding in enumerate(ordered(report.findings)):
            if i:
                out.write(b",\n    ")
            entry = orjson.dumps(json_finding(finding), option=_JSON_OPTIONS)
            out.write(entry.replace(b"\n", b"\n    "))  # nested two levels deeper
        out.write(b"\n  ]")
        out.write(head[at + 1 :])
        return out.getvalue()


def _where(finding: Finding) -> str:
    ref = finding.resource
    return (resource_location(ref) if ref is not None else None) or "-"


def render_posture_table(report: PostureReport) -> str:
    """Plain-text table of the non-passing results (and the passes with
    ``--show-passed``), then the summary and the gaps."""
    rows = [("SEVERITY", "STATUS", "RULE", "RESOURCE", "LOCATION", "MESSAGE")]
    for f in ordered(report.findings):
        if f.status is Status.PASS and not report.show_passed:
            continue
        status = f.status.value + (" (exempt)" if f.suppressed is not None else "")
        subject = f.resource.label() if f.resource is not None else f.subject
        message = f.message or f.title
        if f.suppressed is not None:
            message = f"{message} [exception: {f.suppressed.reason}]"
        rows.append((f.severity.value, status, f.rule_id, subject, _where(f), message))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [
        ("  ".join(c.ljust(w) for c, w in zip(r[:5], widths, strict=True)) + "  " + r[5]).rstrip()
        for r in rows
    ]
    s = summary(report)
    counts = ", ".join(f"{n} {k}" for k, n in s["by_status"].items()) or "no results"
    lines += [
        "",
        f"{report.resources} resources checked (PSS {report.pss_level} {report.pss_version}):"
        f" {counts}",
    ]
    fw = report.framework
    if fw is not None:
        rate = "n/a" if fw.pass_rate is None else f"{fw.pass_rate}%"
        lines.append(
            f"{fw.name}: {fw.controls} controls, {fw.passed} passed, {fw.failed} failed,"
            f" {fw.exempted} exempted, pass rate {rate}"
        )
    if report.gaps:
        lines += ["", f"Not checked ({len(report.gaps)}):"]
        lines += [f"  {g.kind}: {g.subject}: {g.detail}" for g in report.gaps]
    else:
        lines.append("Coverage complete: every input was checked.")
    return "\n".join(lines) + "\n"


__all__ = [
    "FrameworkScore",
    "PostureReport",
    "failing",
    "ordered",
    "passed_total",
    "render_posture_table",
    "summary",
    "to_posture_dict",
    "to_posture_json",
]
