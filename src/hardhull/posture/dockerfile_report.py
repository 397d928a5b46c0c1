"""Report of ``hardhull dockerfile scan``: JSON, table and SARIF.

The scan report writers (``hardhull.report``) are built around an image SBOM and do not
carry a finding's ``resource`` (file and line), which is the whole point here, so this
module writes its own documents. Findings are serialised with the scan JSON's
``json_finding`` plus a ``resource`` object, so consumers of ``scan image --format json``
read them the same way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import orjson

from hardhull import __version__
from hardhull.model import Finding, Gap, ResourceRef, Status
from hardhull.posture.base import Control
from hardhull.posture.dockerfile_controls import CONTROLS
from hardhull.report.sarif import LEVEL
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


def json_resource(ref: ResourceRef | None) -> dict[str, Any] | None:
    """``resource`` of a posture finding."""
    if ref is None:
        return None
    return {
        "kind": ref.kind,
        "name": ref.name,
        "namespace": ref.namespace,
        "file": ref.file,
        "line": ref.line,
    }


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
    findings = []
    for f in report.findings:
        entry = json_finding(f)
        entry["rule_id"] = f.rule_id
        entry["resource"] = json_resource(f.resource)
        findings.append(entry)
    return {
        "schema": SCHEMA,
        "tool": {"name": "hardhull", "version": __version__},
        "source": {"scheme": "dockerfile", "targets": list(report.files)},
        "summary": {
            "findings": len(report.findings),
            "by_status": dict(sorted(Counter(f.status.value for f in report.findings).items())),
            "by_severity": dict(sorted(Counter(f.severity.value for f in report.findings).items())),
        },
        "findings": findings,
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
                "security-severity": {"critical": "9.5", "high": "8.0", "medium": "5.5"}.get(
                    c.severity.value, "3.0"
                ),
                "tags": ["security", "dockerfile", *(f"{n} {i}" for n, i in c.frameworks)],
            },
        }
        for c in CONTROLS
    ]
    index = {c.id: n for n, c in enumerate(CONTROLS)}
    results = []
    for f in report.findings:
        ref = f.resource
        location: dict[str, Any] = {"artifactLocation": {"uri": ref.file if ref else f.subject}}
        if ref and ref.line:
            location["region"] = {"startLine": ref.line}
        results.append(
            {
                "ruleId": f.rule_id,
                "ruleIndex": index.get(f.rule_id, -1),
                "level": LEVEL[f.severity] if f.status is Status.FAIL else "note",
                "message": {"text": f.message or f.title},
                "locations": [{"physicalLocation": location}],
            }
        )
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "hardhull",
                        "version": __version__,
                        "informationUri": "https://github.com/hardhull/hardhull",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }


def render(report: DockerfileReport, fmt: str) -> bytes:
    """Serialise ``report`` as one of :data:`FORMATS`."""
    if fmt == "table":
        return to_table(report).encode()
    data = to_dict(report) if fmt == "json" else to_sarif(report)
    return orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"


__all__ = ["FORMATS", "DockerfileReport", "json_resource", "render", "to_dict", "to_sarif"]
