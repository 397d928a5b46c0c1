"""``hardhull policy apply --format sarif|policyreport`` on a real Kyverno suite."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from hardhull.cli.main import cli

SUITE = Path(__file__).parents[2] / "fixtures" / "kyverno" / "disallow-host-path"


def _apply(fmt: str, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        [
            "policy",
            "apply",
            str(SUITE / "disallow-host-path.yaml"),
            "--resource",
            str(SUITE / "resource.yaml"),
            "--format",
            fmt,
            *extra,
        ],
    )
    return result.exit_code, result.output


def test_apply_sarif_lists_failures_with_locations() -> None:
    code, out = _apply("sarif")
    assert code == 1
    log = json.loads(out)
    run = log["runs"][0]
    results = run["results"]
    assert results, "failures expected"
    assert {r["level"] for r in results} == {"error"}
    names = {r["locations"][0]["message"]["text"] for r in results}
    assert "Pod badpod01" in " ".join(names) or any("badpod01" in n for n in names)
    assert not any("goodpod01" in n for n in names)
    uri = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.endswith("resource.yaml")
    assert results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
    by = run["properties"]["byResult"]
    assert by["fail"] == len(results)
    assert by["pass"] > 0
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert all(results[i]["ruleId"] == ids[results[i]["ruleIndex"]] for i in range(len(results)))


def test_apply_policyreport_groups_by_namespace(tmp_path: Path) -> None:
    out_file = tmp_path / "reports.yaml"
    code, _ = _apply("policyreport", "--output", str(out_file))
    assert code == 1
    doc = yaml.safe_load(out_file.read_text())
    assert doc["kind"] == "List"
    reports = doc["items"]
    assert reports and all(r["apiVersion"] == "wgpolicyk8s.io/v1alpha2" for r in reports)
    total = dict.fromkeys(("pass", "fail", "warn", "error", "skip"), 0)
    for report in reports:
        for key, value in report["summary"].items():
            total[key] += value
        assert report["summary"]["fail"] == sum(
            1 for r in report["results"] if r["result"] == "fail"
        )
    assert total["fail"] > 0 and total["pass"] > 0
    failed = {
        r["resources"][0]["name"]
        for report in reports
        for r in report["results"]
        if r["result"] == "fail"
    }
    assert "badpod01" in failed and "goodpod01" not in failed
