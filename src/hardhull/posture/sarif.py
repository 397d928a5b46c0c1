"""SARIF 2.1.0 for posture results: one rule per control, a location at the manifest line.

Results are the unsuppressed ``fail``/``warn``/``error`` findings plus suppressed ones
(with a ``suppressions`` entry); passes are results (``kind: pass``, ``level: none``)
only with ``--show-passed``, and are counted in ``runs[0].properties.byStatus`` always.
Each result points at the manifest file and the line of its document (cluster objects
point at ``cluster:<ctx>``) and has a stable fingerprint. Coverage gaps become tool
execution notifications.
"""

from __future__ import annotations

from typing import Any

import orjson

from hardhull.model import Finding, Status
from hardhull.posture.base import Control
from hardhull.posture.report import PostureReport, ordered, summary
from hardhull.report.facts import security_severity
from hardhull.report.sarif import LEVEL, location, manifest_place, partial_fingerprints, sarif_log

_SHOWN = (Status.FAIL, Status.WARN, Status.ERROR, Status.SKIP)


def _rule(finding: Finding, control: Control | None) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": finding.rule_id,
        "name": finding.rule_id,
        "shortDescription": {"text": control.title if control else finding.title},
        "defaultConfiguration": {"level": LEVEL[finding.severity]},
        "properties": {
            "security-severity": f"{security_severity(finding):.1f}",
            "tags": ["security", "kubernetes", finding.severity.value],
        },
    }
    if control is not None:
        rule["fullDescription"] = {"text": control.rationale}
        rule["help"] = {"text": control.remediation, "markdown": control.remediation}
    return rule


def _result(finding: Finding, index: int) -> dict[str, Any]:
    ref = finding.resource
    uri, line = manifest_place(ref)
    subject = ref.label() if ref is not None else finding.subject
    if finding.status is Status.PASS:
        level = "none"
    elif finding.status is Status.ERROR:
        level = "error"
    else:
        level = LEVEL[finding.severity]
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index,
        "level": level,
        "message": {"text": f"{subject}: {finding.message or finding.title}"},
        "locations": [location(uri, line, subject)],
        "partialFingerprints": partial_fingerprints(finding.rule_id, subject, uri),
        "properties": {"kind": finding.kind.value, "status": finding.status.value},
    }
    if finding.status is Status.PASS:
        result["kind"] = "pass"
    if finding.suppressed is not None:
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": finding.suppressed.reason}
        ]
    return result


def to_posture_sarif(report: PostureReport, controls: dict[str, Control]) -> bytes:
    """The SARIF log (deterministic)."""
    shown = [
        f
        for f in ordered(report.findings)
        if (f.status in _SHOWN and (f.status is not Status.SKIP or f.suppressed is not None))
        or (f.status is Status.PASS and report.show_passed)
    ]
    first: dict[str, Finding] = {}
    for f in shown:
        first.setdefault(f.rule_id, f)
    rule_ids = sorted(first)
    index = {r: i for i, r in enumerate(rule_ids)}
    notes = [
        {
            "level": "warning",
            "descriptor": {"id": f"coverage/{g.kind}"},
            "message": {"text": f"Not checked: {g.subject}: {g.detail}"},
        }
        for g in report.gaps
    ]
    doc = sarif_log(
        [_rule(first[r], controls.get(r)) for r in rule_ids],
        [_result(f, index[f.rule_id]) for f in shown],
        version=report.tool_version,
        invocations=[
            {
                "executionSuccessful": not any(f.status is Status.ERROR for f in shown),
                "toolExecutionNotifications": notes,
            }
        ],
        columnKind="unicodeCodePoints",
        properties={
            "coverageComplete": not report.gaps,
            "byStatus": summary(report)["by_status"],
        },
    )
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2)


__all__ = ["to_posture_sarif"]
