"""Every shared real manifest through loader, checks and writers: no crash, stable output.

The golden file holds one line per non-passing finding and per coverage gap, with paths
relative to the data folder, plus the status counts. Regenerate with
``HARDHULL_UPDATE_GOLDEN=1 pytest tests/unit/k8s/test_k8s_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest
import yaml
from tests.support.shared import SHARED

from hardhull.posture.loader import load_paths
from hardhull.posture.policyreport import to_policyreport_yaml
from hardhull.posture.registry import all_controls, default_checks, default_cluster_checks
from hardhull.posture.report import ordered, render_posture_table, summary, to_posture_json
from hardhull.posture.run import PostureOptions, build_report
from hardhull.posture.sarif import to_posture_sarif

DATA = SHARED / "data" / "k8s-manifests"
GOLDEN = Path(__file__).parents[2] / "fixtures" / "k8s" / "shared-manifests.golden.txt"

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="shared k8s manifests missing")


def _golden_text() -> str:
    loaded = load_paths([str(DATA)])
    report = build_report(
        loaded.resources,
        loaded.gaps,
        [str(DATA)],
        PostureOptions(pss_level="restricted"),
        default_checks(),
        default_cluster_checks(),
        files=loaded.files,
        documents=loaded.documents,
    )
    prefix = str(DATA) + "/"
    lines = [
        f"files {report.files} documents {report.documents} resources {report.resources}",
        "status " + " ".join(f"{k}={v}" for k, v in summary(report)["by_status"].items()),
    ]
    for f in ordered(report.findings):
        if f.status.value == "pass":
            continue
        ref = f.resource
        where = f"{ref.file}:{ref.line}" if ref and ref.file else "-"
        lines.append(
            f"{f.status.value} {f.severity.value} {f.rule_id} {f.subject} {where} | {f.message}"
        )
    lines += [f"gap {g.kind} {g.subject} | {g.detail}" for g in report.gaps]
    # every writer runs on the whole set and produces parseable output
    assert orjson.loads(to_posture_json(report))["summary"]["resources"] == report.resources
    assert orjson.loads(to_posture_sarif(report, all_controls()))["version"] == "2.1.0"
    assert yaml.safe_load(to_policyreport_yaml(report))["kind"] == "List"
    assert render_posture_table(report)
    return "\n".join(line.replace(prefix, "") for line in lines) + "\n"


def test_shared_manifests_golden() -> None:
    text = _golden_text()
    if os.environ.get("HARDHULL_UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()
