"""Loading rule files for the runtime commands (``watch``, ``replay``, ``audit-serve``):
diagnostics printed with their positions, errors fatal unless ``--keep-going``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hardhull.errors import RuleLoadError, UsageError

if TYPE_CHECKING:
    from hardhull.runtime.rules.model import RuleSet


def load_rule_files(rule_files: Sequence[str], keep_going: bool, *, what: str) -> RuleSet:
    """Load ``rule_files`` in order; print every diagnostic; raise on load errors unless
    ``keep_going`` (then ``what`` runs with the rules that loaded) and when nothing
    loaded at all."""
    from hardhull.runtime.rules.loader import load_rules

    for path in rule_files:
        if not Path(path).is_file():
            raise UsageError(f"{path}: no such rule file")
    ruleset = load_rules(list(rule_files))
    for diag in ruleset.diagnostics:
        click.echo(f"hardhull: {diag}", err=True)
    errors = ruleset.errors
    if errors and not keep_going:
        raise RuleLoadError(
            f"{len(errors)} rule load error(s)",
            hint=f"fix them (hardhull runtime validate), or pass --keep-going to {what} "
            "with the rules that loaded",
        )
    if not (ruleset.rules or ruleset.sequences or ruleset.thresholds):
        raise RuleLoadError("no rules loaded from " + ", ".join(rule_files))
    return ruleset
