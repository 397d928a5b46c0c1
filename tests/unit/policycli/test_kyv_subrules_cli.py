"""``hardhull policy test`` on a hand-written suite of podSecurity and cel subrules."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from hardhull.cli.main import cli
from hardhull.policy.testrunner import run_tests

SUITE = Path(__file__).parents[2] / "fixtures" / "kyverno-subrules"


def test_subrule_suite_passes() -> None:
    result = CliRunner().invoke(cli, ["policy", "test", str(SUITE)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "24 passed, 0 failed"


def test_subrule_suite_cases_cover_both_subrules() -> None:
    outcome = run_tests([str(SUITE)])
    assert not outcome.errors
    seen = {(c.policy, c.expected) for c in outcome.cases}
    assert ("psa-restricted-exempt-seccomp", "pass") in seen
    assert ("psa-restricted-exempt-seccomp", "fail") in seen
    assert ("cel-checks", "skip") in seen
    by = {(c.rule, c.kind, c.resource): c.actual for c in outcome.cases}
    # autogen results answer for the Pod rule on Deployments
    assert by[("no-latest", "Deployment", "big-host-pid")] == "fail"
    assert by[("baseline", "Deployment", "big-host-pid")] == "fail"
