"""The explicit registry of posture checks: plain tuples, no import-time registration.

Modules written alongside (``posture/pss``, ``posture/checks``) are wired in here as they
land; the PSS adapter is included once ``posture/pss`` offers ``evaluate_pod``.
"""

from __future__ import annotations

import importlib

from hardhull.posture.base import ClusterCheck, Control, ResourceCheck
from hardhull.posture.checks.images import ImageCheck
from hardhull.posture.controls import CONTROLS
from hardhull.posture.controls_pss import PSS_CONTROLS
from hardhull.posture.engine import PssCheck


def _pss_available() -> bool:
    try:
        module = importlib.import_module("hardhull.posture.pss")
    except ImportError:
        return False
    return hasattr(module, "evaluate_pod") and hasattr(module, "pod_spec_of")


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
    """The per-resource checks ``hardhull k8s scan`` runs."""
    checks: list[ResourceCheck] = [ImageCheck()]
    if _pss_available():
        checks.append(PssCheck(PSS_CONTROLS))
    return tuple(checks)


def default_cluster_checks() -> tuple[ClusterCheck, ...]:
    """The checks that look at relations between resources (namespaces, RBAC, network)."""
    return ()


__all__ = ["all_controls", "default_checks", "default_cluster_checks"]
