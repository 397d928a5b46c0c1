"""Posture outputs: SARIF and PolicyReport shapes, framework pass rates, ``--show-passed``.

Passes are counted per (control, resource) and materialised only on request; every writer
must tell the same totals either way.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from tests.unit.report.report_sample import sarif_validator
from tests.unit.sbomfmt.sbomfmt_sample import assert_valid

from hardhull.cli.k8s_scan import k8s_scan
from hardhull.model import Status
from hardhull.posture.loader import load_paths
from hardhull.posture.policyreport import API_VERSION, policy_reports
from hardhull.posture.registry import all_controls, default_checks, default_cluster_checks
from hardhull.posture.report import PostureReport, summary, to_posture_dict
from hardhull.posture.run import PostureOptions, build_report
from hardhull.posture.sarif import to_posture_sarif

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "kchecks"
FILES = [str(FIXTURES / n) for n in ("workload_good.yaml", "workload_bad.yaml", "rbac.yaml")]


def _report(*, show_passed: bool = False, framework: str | None = None) -> PostureReport:
    loaded = load_paths(FILES)
    return build_report(
        loaded.resources,
        loaded.gaps,
        FILES,
        PostureOptions(show_passed=show_passed, framework=framework),
        default_checks(),
        default_cluster_checks(),
        files=loaded.files,
        documents=loaded.documents,
    )


def test_passes_are_counts_unless_shown() -> None:
    hidden, shown = _report(), _report(show_passed=True)
    assert not [f for f in hidden.findings if f.status is Status.PASS]
    pass_findings = [f for f in shown.findings if f.status is Status.PASS]
    assert pass_findings and len(pass_findings) == sum(n for _, _, n in shown.passes)
    # the non-passing findings, the counts and the tallies do not depend on the flag
    assert hidden.passes == shown.passes and hidden.tallies == shown.tallies
    assert [f for f in shown.findings if f.status is not Status.PASS] == list(hidden.findings)
    assert summary(hidden)["by_status"] == summary(shown)["by_status"]
    assert summary(shown)["findings"] == len(shown.findings)  # what the document lists
    assert summary(hidden)["by_status"]["pass"] == len(pass_findings)
    # one pass per (control, resource), never for a pair that also failed
    pairs = Counter((f.rule_id, f.resource) for f in pass_findings)
    assert set(pairs.values()) == {1}
    failed = {(f.rule_id, f.resource) for f in hidden.findings}
    assert not failed & set(pairs)


def test_tallies_add_up() -> None:
    report = _report(show_passed=True)
    by_id = {t.control_id: t for t in report.tallies}
    passes = Counter(f.rule_id for f in report.findings if f.status is Status.PASS)
    for rule, n in passes.items():
        assert by_id[rule].passed == n
    for t in report.tallies:
        assert t.evaluated == t.passed + t.failed + t.warned + t.exempted + t.errors > 0
    doc = to_posture_dict(_report())
    assert doc["controls"] == [t.as_dict() for t in report.tallies]


def test_sarif_is_valid_and_lists_passes_only_on_request() -> None:
    validator = sarif_validator()
    controls = all_controls()
    hidden = to_posture_sarif(_report(), controls)
    shown = to_posture_sarif(_report(show_passed=True), controls)
    assert_valid(validator, hidden)
    assert_valid(validator, shown)
    run_hidden, run_shown = json.loads(hidden)["runs"][0], json.loads(shown)["runs"][0]
    assert all(r.get("kind") != "pass" for r in run_hidden["results"])
    passes = [r for r in run_shown["results"] if r.get("kind") == "pass"]
    assert passes and {r["level"] for r in passes} == {"none"}
    assert run_hidden["properties"]["byStatus"] == run_shown["properties"]["byStatus"]
    assert run_hidden["properties"]["byStatus"]["pass"] == len(passes)
    rules = [r["id"] for r in run_shown["tool"]["driver"]["rules"]]
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in run_shown["results"])


def _shape(docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        assert doc["apiVersion"] == API_VERSION == "wgpolicyk8s.io/v1alpha2"
        assert doc["kind"] in ("PolicyReport", "ClusterPolicyReport")
        assert ("namespace" in doc["metadata"]) == (doc["kind"] == "PolicyReport")
        assert set(doc["summary"]) == {"pass", "fail", "warn", "error", "skip"}
        for result in doc["results"]:
            assert result["result"] in doc["summary"]
            assert result["policy"] and result["source"] == "hardhull"


def test_policyreport_summaries_match_results_and_keep_passes() -> None:
    shown = policy_reports(_report(show_passed=True))
    hidden = policy_reports(_report())
    _shape(shown)
    _shape(hidden)
    assert [d["metadata"]["name"] for d in shown] == [d["metadata"]["name"] for d in hidden]
    assert {d["kind"] for d in shown} == {"PolicyReport", "ClusterPolicyReport"}
    for full, short in zip(shown, hidden, strict=True):
        counts = Counter(r["result"] for r in full["results"])
        assert full["summary"] == {k: counts.get(k, 0) for k in full["summary"]}
        # without --show-passed: no pass results, yet the same summary
        assert all(r["result"] != "pass" for r in short["results"])
        assert short["summary"] == full["summary"]
    total = sum(d["summary"]["pass"] for d in hidden)
    assert total == sum(t.passed for t in _report().tallies) > 0


def test_framework_pass_rate_counts_control_resource_outcomes() -> None:
    report = _report(show_passed=True, framework="Pod Security Standards")
    fw = report.framework
    assert fw is not None and fw.name == "Pod Security Standards"
    outcome: dict[tuple[str, object], Status] = {}
    for f in report.findings:
        key = (f.rule_id, f.resource)
        if f.status is not Status.PASS or key not in outcome:
            outcome[key] = f.status
    passed = sum(1 for s in outcome.values() if s is Status.PASS)
    failed = sum(1 for s in outcome.values() if s in (Status.FAIL, Status.WARN, Status.ERROR))
    assert (fw.passed, fw.failed) == (passed, failed) and passed and failed
    assert fw.pass_rate == round(100.0 * passed / (passed + failed), 1)
    ids = {t.control_id for t in report.tallies}
    assert {f.rule_id for f in report.findings} <= ids
    assert "HH-K8S-004" not in ids  # resources requests/limits: not a PSS control
    hidden = _report(framework="pod security standards")
    assert hidden.framework == fw


def test_cli_show_passed_and_framework(tmp_path: Path) -> None:
    runner = CliRunner()
    base = [*FILES, "--format", "json"]
    plain = json.loads(runner.invoke(k8s_scan, base).output)
    full = json.loads(runner.invoke(k8s_scan, [*base, "--show-passed"]).output)
    assert not [f for f in plain["findings"] if f["status"] == "pass"]
    shown = [f for f in full["findings"] if f["status"] == "pass"]
    assert (
        len(shown) == plain["summary"]["by_status"]["pass"] == full["summary"]["by_status"]["pass"]
    )
    assert plain["controls"] == full["controls"]
    table = runner.invoke(k8s_scan, [*FILES, "--framework", "NSA-CISA"]).output
    assert "pass rate" in table and "NSA-CISA" in table
    out = tmp_path / "pr.yaml"
    result = runner.invoke(k8s_scan, [*FILES, "--format", "policyreport", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(out.read_text())["items"][0]["apiVersion"] == API_VERSION


def _scan_report_with_posture_finding() -> Any:
    import dataclasses

    from tests.unit.report.report_sample import sample_report

    from hardhull.model import Finding, FindingKind, ResourceRef, Severity

    ref = ResourceRef("Deployment", "web", "shop", "apps/v1", "k8s/web.yaml", 12)
    posture = Finding(
        kind=FindingKind.POSTURE,
        status=Status.FAIL,
        severity=Severity.HIGH,
        rule_id="privileged",
        title="Pod Security Standards (baseline): privileged",
        subject=ref.label(),
        message='container "app" must not set securityContext.privileged=true',
        resource=ref,
    )
    report = sample_report()
    return dataclasses.replace(report, findings=(*report.findings, posture))


def test_scan_table_shows_the_resource_of_posture_findings() -> None:
    from tests.unit.report.report_sample import sample_report

    from hardhull.report.scan_table import render_scan_table

    text = render_scan_table(_scan_report_with_posture_finding(), width=200)
    (row,) = [line for line in text.splitlines() if "privileged" in line and "FAIL" in line]
    assert "Deployment shop/web (k8s/web.yaml:12)" in row
    # an image scan without such findings keeps its columns
    assert "RESOURCE" in text
    assert "RESOURCE" not in render_scan_table(sample_report(), width=200)


def test_scan_sarif_locates_posture_findings_at_their_manifest_line() -> None:
    from hardhull.report.sarif import to_sarif_dict

    doc = to_sarif_dict(_scan_report_with_posture_finding())
    sarif_validator().validate(doc)
    (result,) = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "privileged"]
    location = result["locations"][0]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "k8s/web.yaml"},
        "region": {"startLine": 12},
    }
    assert location["message"]["text"] == "Deployment shop/web at k8s/web.yaml:12"
    assert result["properties"]["resource"] == {
        "kind": "Deployment",
        "name": "web",
        "namespace": "shop",
        "file": "k8s/web.yaml",
        "line": 12,
    }
