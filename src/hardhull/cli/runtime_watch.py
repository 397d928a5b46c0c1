"""``hardhull runtime watch``."""

from __future__ import annotations

import click

from hardhull.errors import UsageError


@click.command("watch")
def runtime_watch() -> None:
    """(being built)"""
    raise UsageError("hardhull runtime watch is not built yet")
