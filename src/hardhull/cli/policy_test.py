"""``hardhull policy test DIR...``: run every ``kyverno-test.yaml`` under the directories."""

from __future__ import annotations

import sys

import click


@click.command("test")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--failures-only", is_flag=True, help="Print only the cases that failed.")
def policy_test(paths: tuple[str, ...], failures_only: bool) -> None:
    """Run declarative policy tests (kyverno test format) and report per case.

    \b
    Example:
      hardhull policy test tests/fixtures/kyverno
    """
    from hardhull.policy.testrunner import run_tests

    outcome = run_tests(paths)
    for err in outcome.errors:
        level = "error" if err.fatal else "note"
        click.echo(f"{level}: {err.pos}: {err.message}")
    for case in outcome.cases:
        if failures_only and case.ok:
            continue
        mark = "PASS" if case.ok else "FAIL"
        line = f"{mark} {case.test}: {case.policy}/{case.rule} {case.kind}/{case.resource}"
        if not case.ok:
            line += f" (expected {case.expected}, got {case.actual})"
            if case.detail:
                line += f": {case.detail}"
        click.echo(line)
    click.echo(f"{outcome.passed} passed, {outcome.failed} failed")
    if outcome.failed:
        sys.exit(1)
