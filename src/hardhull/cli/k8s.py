"""``hardhull k8s``: Kubernetes posture commands (one module per subcommand)."""

from __future__ import annotations

import importlib

import click

from hardhull.cli.k8s_scan import k8s_scan


@click.group()
def k8s() -> None:
    """Check Kubernetes manifests and live clusters (Pod Security Standards and more)."""


k8s.add_command(k8s_scan)

# Subcommands other modules provide, added when present (explicit list, no scanning).
for _module, _name in (
    ("hardhull.cli.k8s_fix", "fix"),
    ("hardhull.cli.k8s_frameworks", "frameworks"),
):
    try:
        _command = getattr(importlib.import_module(_module), _name, None)
    except ImportError:
        _command = None
    if isinstance(_command, click.Command):
        k8s.add_command(_command)

__all__ = ["k8s"]
