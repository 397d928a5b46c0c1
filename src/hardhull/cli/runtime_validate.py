"""``hardhull runtime validate``."""

from __future__ import annotations

import click

from hardhull.errors import UsageError


@click.command("validate")
def runtime_validate() -> None:
    """(being built)"""
    raise UsageError("hardhull runtime validate is not built yet")
