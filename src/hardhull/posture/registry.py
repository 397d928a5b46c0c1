"""The explicit registry of posture checks: plain tuples, no import-time registration."""

from __future__ import annotations

from hardhull.posture.base import ClusterCheck, Control, ResourceCheck
from hardhull.posture.checks import CHECKS, CLUSTER_CHECKS
from hardhull.posture.controls import CONTROLS
from hardhull.posture.controls_pss import PSS_CONTROLS
from hardhull.posture.engine import PssCheck


def all_controls() -> dict[str, Control]:
    """Every documented control (the catalog plus those of the registered checks), by id."""
    seen: dict[str, Control] = {c.id: c for c in CONTROLS}
    groups = [c.controls for c in default_checks()]
    groups += [c.controls for c in default_cluster_checks()]
    for controls in groups:
        for control in controls:
            seen.setdefault(control.id, control)
    return seen


def default_checks() -> tuple[ResourceCheck, ...]:
    """The per-resource checks ``hardhull k8s scan`` runs: PSS plus the other controls."""
    return (PssCheck(PSS_CONTROLS), *CHECKS)


def default_cluster_checks() -> tuple[ClusterCheck, ...]:
    """The checks that look at relations between resources (namespaces, RBAC, network)."""
    return CLUSTER_CHECKS


__all__ = ["all_controls", "default_checks", "default_cluster_checks"]
