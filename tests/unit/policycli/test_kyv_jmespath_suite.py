"""``hardhull policy test`` / ``policy apply`` on a policy built from Kyverno's custom
JMESPath functions (``tests/fixtures/kyverno-jmespath``)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hardhull.cli.main import cli

SUITE = Path(__file__).parents[2] / "fixtures" / "kyverno-jmespath"


def test_jmespath_function_suite_passes() -> None:
    result = CliRunner().invoke(cli, ["policy", "test", str(SUITE)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "20 passed, 0 failed"


def test_jmespath_function_messages() -> None:
    suite = SUITE / "functions"
    result = CliRunner().invoke(
        cli,
        [
            "policy",
            "apply",
            str(suite / "policy.yaml"),
            "--resource",
            str(suite / "resources.yaml"),
            "--format",
            "json",
            "--fail-on",
            "none",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = {(r["rule"], r["resource"]["name"]): r for r in json.loads(result.output)}
    budget = rows[("memory-budget", "pod-big")]
    assert budget["result"] == "fail"
    assert budget["message"].endswith("the Pod requests 1536Mi of memory, more than 1Gi")
    assert rows[("no-docker-hub", "pod-hub")]["message"].endswith(
        "POD: images must not come from Docker Hub; foreach element 0"
    )
    ratio = rows[("limit-ratio", "pod-norequest")]
    assert ratio["result"] == "error" and "Zero divisor passed" in ratio["message"]
    bad_time = rows[("short-lived-exception", "cm-bad-time")]
    assert bad_time["result"] == "error" and 'parsing time "next week"' in bad_time["message"]
