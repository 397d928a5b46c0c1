"""``hardhull policy``: policy-as-code commands (one module per subcommand)."""

from __future__ import annotations

import click

from hardhull.cli.policy_apply import policy_apply
from hardhull.cli.policy_test import policy_test


@click.group()
def policy() -> None:
    """Apply and test admission policies (Kyverno, ValidatingAdmissionPolicy) offline."""


policy.add_command(policy_apply)
policy.add_command(policy_test)

__all__ = ["policy"]
