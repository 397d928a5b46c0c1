"""SARIF 2.1.0: valid against the official schema, shaped for GitHub code scanning."""

from __future__ import annotations

import json
from typing import Any

from tests.unit.report.report_sample import (
    check_golden,
    hostile_report,
    sample_report,
    sarif_validator,
    scratch_report,
)
from tests.unit.sbomfmt.sbomfmt_sample import assert_valid

from hardhull.report import write_report


def _run(report: Any) -> dict[str, Any]:
    doc = json.loads(write_report(report, "sarif"))
    assert doc["version"] == "2.1.0"
    assert len(doc["runs"]) == 1
    run: dict[str, Any] = doc["runs"][0]
    return run


def test_valid_against_the_official_schema() -> None:
    validator = sarif_validator()
    for report in (sample_report(), scratch_report(), hostile_report()):
        assert_valid(validator, write_report(report, "sarif"))


def test_schema_validation_rejects_a_broken_log() -> None:
    doc = json.loads(write_report(sample_report(), "sarif"))
    doc["runs"][0]["results"][0]["level"] = "fatal"
    assert not sarif_validator().is_valid(doc)


def test_sample_matches_golden() -> None:
    check_golden("sample.sarif.json", write_report(sample_report(), "sarif"))


def test_rules_carry_security_severity_and_help() -> None:
    run = _run(sample_report())
    driver = run["tool"]["driver"]
    assert driver["name"] == "hardhull" and driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    rules = {r["id"]: r for r in driver["rules"]}
    crit = rules["CVE-2024-0001"]
    assert crit["properties"]["security-severity"] == "9.8"
    assert "kev" in crit["properties"]["tags"] and "security" in crit["properties"]["tags"]
    assert crit["helpUri"] == "https://security-tracker.debian.org/tracker/CVE-2024-0001"
    assert crit["shortDescription"]["text"] and crit["fullDescription"]["text"]
    assert "2.36-9+deb12u5" in crit["help"]["markdown"]
    # no score: a number for the severity band, still a string
    assert rules["CVE-2023-0004"]["properties"]["security-severity"] == "8.0"
    assert rules["CVE-2023-0004"]["helpUri"] == "https://nvd.nist.gov/vuln/detail/CVE-2023-0004"
    for rule in rules.values():
        float(rule["properties"]["security-severity"])


def test_results_levels_locations_and_fingerprints() -> None:
    run = _run(sample_report())
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    results = run["results"]
    by_id = {r["ruleId"]: r for r in results}
    assert "HH-IMG-001" not in by_id  # a passing check is not a result
    assert "HH-IMG-008" not in by_id  # a skipped check is a notification instead
    assert by_id["CVE-2024-0001"]["level"] == "error"
    assert by_id["GHSA-9wx4-h78v-vm56"]["level"] == "warning"
    assert by_id["CVE-2010-0006"]["level"] == "note"
    for result in results:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        loc = result["locations"][0]["physicalLocation"]
        uri = loc["artifactLocation"]["uri"]
        assert not uri.startswith("/") and "://" not in uri
        assert loc["region"] == {"startLine": 1}
        assert result["partialFingerprints"]["hardhull/v1"]
    uri = by_id["GHSA-9wx4-h78v-vm56"]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri["uri"] == "usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA"
    prints = [r["partialFingerprints"]["hardhull/v1"] for r in results]
    assert len(set(prints)) == len(prints)
    assert prints == [
        r["partialFingerprints"]["hardhull/v1"] for r in _run(sample_report())["results"]
    ]


def test_suppressed_findings_are_marked() -> None:
    results = {r["ruleId"]: r for r in _run(sample_report())["results"]}
    sup = results["CVE-2022-0005"]["suppressions"][0]
    assert sup["kind"] == "external" and sup["status"] == "accepted"
    assert "code_not_reachable" in sup["justification"]
    assert "suppressions" not in results["CVE-2024-0001"]


def test_coverage_gaps_and_stale_db_are_notifications() -> None:
    invocation = _run(sample_report())["invocations"][0]
    assert invocation["executionSuccessful"] is True
    notes = invocation["toolExecutionNotifications"]
    ids = [n["descriptor"]["id"] for n in notes]
    assert ids.count("coverage/unreadable-file") == 2
    assert "coverage/too-large" in ids
    assert "vulndb/stale" in ids
    assert "check-skipped/HH-IMG-008" in ids
    assert any("Coverage INCOMPLETE" in n["message"]["text"] for n in notes)


def test_missing_package_database_is_an_error_notification() -> None:
    run = _run(scratch_report())
    assert run["results"] == []
    first = run["invocations"][0]["toolExecutionNotifications"][0]
    assert first["level"] == "error"
    assert "NO PACKAGE DATABASE FOUND" in first["message"]["text"]
    assert run["properties"]["packageDatabaseFound"] is False


def test_hostile_strings_stay_data() -> None:
    run = _run(hostile_report())
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "GHSA-<x>")
    assert rule["helpUri"].startswith("https://github.com/advisories/GHSA-%3Cx%3E")
    result = next(r for r in run["results"] if r["ruleId"] == "GHSA-<x>")
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert "<" not in uri and uri.startswith("app/node_modules/%3Cevil%3E/")
