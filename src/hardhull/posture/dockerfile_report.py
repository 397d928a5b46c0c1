"""Report of ``hardhull dockerfile scan``: JSON, table and SARIF.

The scan report writers (``hardhull.report``) are built around an image SBOM, so this
module writes its own documents, from the same parts as the other outputs: findings are
the scan JSON's ``json_finding``, whose ``rule_id`` and ``resource`` (``kind``
``Dockerfile``, ``name``, ``namespace`` null, ``api_version`` empty, ``file``, ``line``)
have the shape of the Kubernetes posture JSON's; SARIF results carry the shared
``partialFingerprints`` (:func:`hardhull.report.sarif.partial_fingerprints`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import orjson

from hardhull import __version__
from hardhull.model import Finding, Gap, Status
from hardhull.posture.base import Control
from hardhull.posture.dockerfile_controls import CONTROLS
from hardhull.report.facts import SEVERITY_SCORE, relative_uri
from hardhull.report.sarif import LEVEL, partial_fingerprints, sarif_log
from hardhull.report.scan_json import json_finding

SCHEMA = "hardhull.posture.dockerfile/v1"
FORMATS = ("table", "json", "sarif")


@dataclass(frozen=True, slots=True)
class DockerfileReport:
    """Findings over one or more files, with what was examined."""

    files: tuple[str, ...]
    instructions: int
    findings: tuple[Finding, ...]
    gaps: tuple[Gap, ...] = ()


def _control(control: Control) -> dict[str, Any]:
    return {
        "id": control.id,
        "title": control.title,
        "severity": control.severity.value,
        "rationale": control.rationale,
        "remediation": control.remediation,
        "frameworks": [{"name": n, "id": i} for n, i in control.frameworks],
    }


def to_dict(report: DockerfileReport) -> dict[str, Any]:
    """The JSON document as plain data."""
    return {
        "schema": SCHEMA,
        "tool": {"name": "hardhull", "version": __version__},
        "source": {"scheme": "dockerfile", "targets": list(report.files)},
        "summary": {
            "findings": len(report.findings),
            "by_status": dict(sorted(Counter(f.status.value for f in report.findings).items())),
            "by_severity": dict(sorted(Counter(f.severity.value for f in report.findings).items())),
        },
        "findings": [json_finding(f) for f in report.findings],
        "controls": [_control(c) for c in CONTROLS],
        "coverage": {
            "files": list(report.files),
            "instructions": report.instructions,
            "complete": not report.gaps,
            "gaps": [
                {"kind": g.kind, "subject": g.subject, "detail": g.detail} for g in report.gaps
            ],
        },
    }


def to_table(report: DockerfileReport) -> str:
    """A plain-text table, one finding per line, then the coverage line."""
    rows = [("SEVERITY", "STATUS", "RULE", "LOCATION", "MESSAGE")]
    for f in report.findings:
        ref = f.resource
        where = f"{ref.file}:{ref.line}" if ref else f.subject
        rows.append((f.severity.value.upper(), f.status.value, f.rule_id, where, f.message))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4]
        for row in rows
    ]
    if len(rows) == 1:
        lines = ["No findings."]
    lines.append(
        f"\nExamined {len(report.files)} file(s), {report.instructions} instruction(s); "
        f"{len(report.findings)} finding(s)."
    )
    for gap in report.gaps:
        lines.append(f"Not examined: {gap.subject}: {gap.detail}")
    return "\n".join(lines) + "\n"


def to_sarif(report: DockerfileReport) -> dict[str, Any]:
    """SARIF 2.1.0 with one rule per control and file/line locations."""
    rules = [
        {
            "id": c.id,
            "name": c.title,
            "shortDescription": {"text": c.title},
            "fullDescription": {"text": c.rationale},
            "help": {"text": c.remediation},
            "properties": {
                "security-severity": f"{SEVERITY_SCORE[c.severity]:.1f}",
                "tags": ["security", "dockerfile", *(f"{n} {i}" for n, i in c.frameworks)],
            },
        }
        for c in CONTROLS
    ]
    index = {c.id: n for n, c in enumerate(CONTROLS)}
    seen: Counter[tuple[str, ...]] = Counter()
    results = []
    for f in report.findings:
        ref = f.resource
        uri = relative_uri(ref.file) if ref is not None and ref.file else f.subject
        location: dict[str, Any] = {"artifactLocation": {"uri": uri}}
        if ref and ref.line:
            location["region"] = {"startLine": ref.line}
        # identity without the line (edits above a finding must not change it); the
        # message tells findings of one rule in one file apart, an ordinal the rest
        parts: tuple[str, ...] = (f.rule_id, ref.label() if ref else f.subject, uri, f.message)
        seen[parts] += 1
        if seen[parts] > 1:
            parts = (*parts, str(seen[parts]))
        results.append(
            {
                "ruleId": f.rule_id,
                "ruleIndex": index.get(f.rule_id, -1),
                "level": LEVEL[f.severity] if f.status is Status.FAIL else "note",
                "message": {"text": f.message or f.title},
                "locations": [{"physicalLocation": location}],
                "partialFingerprints": partial_fingerprints(*parts),
                "properties": {"kind": f.kind.value, "status": f.status.value},
            }
        )
    return sarif_log(rules, results, version=__version__)


def render(report: DockerfileReport, fmt: str) -> bytes:
    """Serialise ``report`` as one of :data:`FORMATS`."""
    if fmt == "table":
        return to_table(report).encode()
    data = to_dict(report) if fmt == "json" else to_sarif(report)
    return orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"


__all__ = ["FORMATS", "DockerfileReport", "render", "to_dict", "to_sarif"]
