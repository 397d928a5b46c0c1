"""``hardhull runtime validate RULE_FILES...``: load rule files in order, print positioned
errors and warnings and a summary; exit 0 only when every file loads without errors."""

from __future__ import annotations

from typing import Any

import click
import orjson

from hardhull.errors import RuleLoadError


def _diag(d: Any) -> dict[str, Any]:
    pos = d.position
    return {
        "severity": d.severity,
        "code": d.code,
        "message": d.message,
        "file": pos.file if pos else None,
        "line": pos.line if pos else None,
        "column": pos.column if pos else None,
    }


@click.command("validate")
@click.argument("rule_files", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def runtime_validate(rule_files: tuple[str, ...], fmt: str) -> None:
    """Check Falco rule files (and hardhull sequence/threshold items), loaded in order.

    \b
    Example:
      hardhull runtime validate falco_rules.yaml falco-incubating_rules.yaml my_rules.yaml
    """
    from hardhull.runtime.rules.loader import load_rules_report

    result = load_rules_report(rule_files)
    diags = result.ruleset.diagnostics
    counts = dict(result.counts)
    if fmt == "json":
        doc = {
            "files": list(rule_files),
            "summary": counts,
            "diagnostics": [_diag(d) for d in diags],
        }
        click.echo(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
    else:
        for d in diags:
            click.echo(str(d), err=d.severity == "error")
        click.echo(
            "{files} file(s): {rules} rule(s) ({rules_disabled} disabled), {macros} macro(s), "
            "{lists} list(s), {sequences} sequence(s), {thresholds} threshold(s); "
            "{errors} error(s), {warnings} warning(s)".format(**counts)
        )
    if counts["errors"]:
        raise RuleLoadError(f"{counts['errors']} error(s) in the rule files")
