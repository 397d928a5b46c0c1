"""``hardhull policy test`` on the real Kyverno suites and ``policy apply`` output."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hardhull.cli.main import cli

FIXTURES = Path(__file__).parents[2] / "fixtures" / "kyverno"


def test_kyv_real_suites_pass() -> None:
    result = CliRunner().invoke(cli, ["policy", "test", str(FIXTURES)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "51 passed, 0 failed"


def test_kyv_apply_json() -> None:
    suite = FIXTURES / "disallow-host-path"
    result = CliRunner().invoke(
        cli,
        [
            "policy",
            "apply",
            str(suite / "disallow-host-path.yaml"),
            "--resource",
            str(suite / "resource.yaml"),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 1
    rows = json.loads(result.output)
    by = {(r["resource"]["name"], r["rule"]): r for r in rows}
    assert by[("badpod01", "host-path")]["result"] == "fail"
    assert by[("goodpod01", "host-path")]["result"] == "pass"
    assert by[("badcronjob01", "autogen-cronjob-host-path")]["result"] == "fail"
    assert by[("baddeployment01", "autogen-host-path")]["resource"]["line"] > 1
    assert "HostPath volumes are forbidden" in by[("badpod01", "host-path")]["message"]


def test_kyv_unsupported_is_error(tmp_path: Path) -> None:
    pol = tmp_path / "p.yaml"
    pol.write_text(
        "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: p}\nspec:\n"
        "  rules:\n  - name: r\n    match: {any: [{resources: {kinds: [Pod]}}]}\n"
        "    context:\n    - name: cm\n      configMap: {name: x, namespace: y}\n"
        "    validate: {pattern: {metadata: {name: '*'}}}\n"
    )
    res = tmp_path / "r.yaml"
    res.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n")
    result = CliRunner().invoke(
        cli, ["policy", "apply", str(pol), "--resource", str(res), "--format", "json"]
    )
    assert f"{pol}:6" in result.output
    rows = json.loads(result.output[result.output.index("[") :])
    assert [r["result"] for r in rows] == ["error"]
