"""``hardhull runtime replay``."""

from __future__ import annotations

import click

from hardhull.errors import UsageError


@click.command("replay")
def runtime_replay() -> None:
    """(being built)"""
    raise UsageError("hardhull runtime replay is not built yet")
