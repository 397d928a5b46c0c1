"""The explicit registry of posture checks: plain tuples, no import-time registration.

Modules written alongside (``posture/pss``, ``posture/checks``, ``posture/controls``) are
wired in here as they land.
"""

from __future__ import annotations

import importlib.util

from hardhull.posture.base import ClusterCheck, Control, ResourceCheck
from hardhull.posture.engine import PssCheck


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def all_controls() -> tuple[Control, ...]:
    """Every documented control of the registered checks, by id, without duplicates."""
    seen: dict[str, Control] = {}
    groups = [c.controls for c in default_checks()]
    groups += [c.controls for c in default_cluster_checks()]
    for controls in groups:
        for control in controls:
            seen.setdefault(control.id, control)
    return tuple(seen[k] for k in sorted(seen))


def default_checks() -> tuple[ResourceCheck, ...]:
    """The per-resource checks ``hardhull k8s scan`` runs."""
    checks: list[ResourceCheck] = []
    if _has("hardhull.posture.pss"):
        checks.append(PssCheck())
    return tuple(checks)


def default_cluster_checks() -> tuple[ClusterCheck, ...]:
    """The checks that look at relations between resources (namespaces, RBAC, network)."""
    return ()


__all__ = ["all_controls", "default_checks", "default_cluster_checks"]
