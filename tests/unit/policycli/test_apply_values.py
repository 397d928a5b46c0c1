"""``policy apply --values-file/-f`` and ``--set``: the values ``policy test`` reads from a
test's ``variables`` file, given to ``policy apply`` as ``kyverno apply -f/--set`` take
them."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hardhull.cli.main import cli

SUITE = Path(__file__).resolve().parents[2] / "fixtures" / "policytest-values" / "context-values"


def _apply(*extra: str) -> tuple[int, dict[tuple[str, str], str], str]:
    result = CliRunner().invoke(
        cli,
        ["policy", "apply", str(SUITE / "policy.yaml"), "--resource",
         str(SUITE / "resources.yaml"), "--format", "json", "--fail-on", "none", *extra],
    )  # fmt: skip
    if result.exit_code != 0:
        return result.exit_code, {}, result.output
    rows = json.loads(result.stdout)
    return 0, {(r["rule"], r["resource"]["name"]): r["result"] for r in rows}, ""


def test_values_file_gives_the_test_suites_expected_results() -> None:
    code, got, _ = _apply("-f", str(SUITE / "values.yaml"))
    assert code == 0
    # the same verdicts as the suite's kyverno-test.yaml expects
    assert got == {
        ("env-matches-dictionary", "prod-pod"): "pass",
        ("env-matches-dictionary", "dev-pod"): "fail",
        ("env-matches-dictionary", "other-team"): "pass",
        ("owner-is-team", "prod-pod"): "pass",
        ("owner-is-team", "dev-pod"): "pass",
        ("owner-is-team", "other-team"): "fail",
        ("name-not-reserved", "prod-pod"): "fail",
        ("name-not-reserved", "dev-pod"): "pass",
        ("name-not-reserved", "other-team"): "pass",
        ("autogen-env-matches-dictionary", "prod-deploy"): "pass",
        ("autogen-owner-is-team", "prod-deploy"): "pass",
        ("autogen-name-not-reserved", "prod-deploy"): "pass",
    }


def test_set_gives_global_values_only() -> None:
    code, got, _ = _apply("--set", "team=payments,request.operation=UPDATE")
    assert code == 0
    # the configMap context entry has no value now: error, never pass
    assert got[("env-matches-dictionary", "prod-pod")] == "error"
    assert got[("owner-is-team", "other-team")] == "fail"
    assert got[("owner-is-team", "prod-pod")] == "pass"
    assert got[("name-not-reserved", "prod-pod")] == "pass"  # no per-resource value


def test_bad_set_and_missing_values_file_are_clear_errors(tmp_path: Path) -> None:
    code, _, out = _apply("--set", "bogus")
    assert code == 2 and "--set 'bogus': expected NAME=VALUE" in out
    code, _, out = _apply("-f", str(tmp_path / "nope.yaml"))
    assert code == 2 and "nope.yaml" in out and "Traceback" not in out
