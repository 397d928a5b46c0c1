"""The hardhull scan JSON document: shape, counts, order, determinism."""

from __future__ import annotations

import dataclasses
import json
import random
from typing import Any

from tests.unit.report.report_sample import check_golden, sample_report, scratch_report

from hardhull.report import write_report
from hardhull.sbomfmt.common import NO_DATABASE_MESSAGE


def _doc(report: Any) -> dict[str, Any]:
    return json.loads(write_report(report, "json"))


def test_sample_matches_golden() -> None:
    check_golden("sample.scan.json", write_report(sample_report(), "json"))


def test_top_level_sections() -> None:
    doc = _doc(sample_report())
    assert set(doc) == {
        "schema", "tool", "created", "source", "distro", "db", "summary", "findings",
        "hardening", "coverage",
    }  # fmt: skip
    assert doc["db"]["stale"] is True
    assert doc["db"]["schema"] == 1
    assert doc["db"]["sources"][0] == {"name": "kev", "updated": "2025-12-19T00:00:00Z"}
    assert doc["hardening"] == {"score": 60, "passed": 1, "failed": ["HH-IMG-002", "HH-IMG-005"]}
    assert doc["coverage"]["has_package_database"] is True
    assert len(doc["coverage"]["gaps"]) == 3


def test_every_finding_has_the_interface_fields() -> None:
    for finding in _doc(sample_report())["findings"]:
        for key in (
            "kind", "id", "aliases", "severity", "status", "title", "package", "locations",
            "fixed_versions", "scores", "kev", "epss", "evidence", "fix", "suppressed",
        ):  # fmt: skip
            assert key in finding, key
        assert isinstance(finding["evidence"], dict)
        if finding["kind"] == "vulnerability":
            assert set(finding["package"]) >= {"type", "name", "version", "purl"}
        else:
            assert finding["package"] is None


def test_summary_counts_exclude_suppressed_findings() -> None:
    summary = _doc(sample_report())["summary"]
    assert summary["vulnerabilities"] == 5
    assert summary["by_severity"] == {
        "critical": 1, "high": 2, "medium": 1, "low": 0, "negligible": 1, "unknown": 0,
    }  # fmt: skip
    assert summary["fixable"] == 3
    assert summary["kev"] == 1
    assert summary["suppressed"] == 2
    assert summary["by_kind"] == {"hardening": 5, "vulnerability": 7}
    assert summary["hardening_score"] == 60


def test_suppression_and_kev_details() -> None:
    found = {f["id"]: f for f in _doc(sample_report())["findings"]}
    assert found["CVE-2022-0005"]["suppressed"] == {
        "kind": "vex",
        "reason": "code_not_reachable",
        "source": "vex/requests.openvex.json",
        "expires": None,
    }
    crit = found["CVE-2024-0001"]
    assert crit["kev"] is True and crit["epss"] == 0.93123
    assert crit["evidence"]["cwe"] == "CWE-787"
    assert crit["layer"] == "sha256:" + "1" * 64
    assert found["GHSA-9wx4-h78v-vm56"]["aliases"] == ["CVE-2024-35195"]


def test_order_does_not_depend_on_input_order() -> None:
    report = sample_report()
    shuffled = list(report.findings)
    random.Random(7).shuffle(shuffled)
    other = dataclasses.replace(report, findings=tuple(shuffled))
    assert write_report(other, "json") == write_report(report, "json")
    ids = [f["id"] for f in _doc(report)["findings"]]
    assert ids[0] in ("CVE-2024-0001", "HH-IMG-005")  # critical first


def test_missing_package_database_is_stated() -> None:
    doc = _doc(scratch_report())
    assert doc["coverage"]["has_package_database"] is False
    assert doc["coverage"]["warning"] == NO_DATABASE_MESSAGE
    assert doc["summary"]["package_database_found"] is False
    assert doc["findings"] == []
