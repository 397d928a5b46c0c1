"""``hardhull scan``: vulnerabilities, hardening and coverage of an image (placeholder)."""

from __future__ import annotations

import click


@click.group()
def scan() -> None:
    """Scan images for vulnerabilities and hardening problems."""
