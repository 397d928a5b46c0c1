"""``hardhull runtime fields``."""

from __future__ import annotations

import click

from hardhull.errors import UsageError


@click.command("fields")
def runtime_fields() -> None:
    """(being built)"""
    raise UsageError("hardhull runtime fields is not built yet")
