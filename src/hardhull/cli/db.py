"""``hardhull db``: import, update and inspect the vulnerability database (placeholder)."""

from __future__ import annotations

import click


@click.group()
def db() -> None:
    """Manage the local vulnerability database."""
