"""``hardhull admission``: the admission webhook (one module per subcommand)."""

from __future__ import annotations

import click

from hardhull.cli.admission_manifests import admission_manifests
from hardhull.cli.admission_serve import admission_serve


@click.group()
def admission() -> None:
    """Run the admission webhook and print the manifests to install it."""


admission.add_command(admission_serve)
admission.add_command(admission_manifests)

__all__ = ["admission"]
