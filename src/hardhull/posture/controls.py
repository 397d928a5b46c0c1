"""The posture controls catalog: every control hardhull reports, with framework mappings.

``CONTROLS`` holds the hardhull ``HH-K8S-*`` controls and the Pod Security Standards
checks (pod-security-admission ids). ``controls_by_framework()`` groups them per
framework for ``hardhull k8s frameworks`` and ``--framework`` filtering.
"""

from __future__ import annotations

from hardhull.posture.base import Control
from hardhull.posture.controls_k8s import CIS, K8S_CONTROLS, MITRE, NIST, NSA, PSS
from hardhull.posture.controls_pss import PSS_CONTROLS

__all__ = [
    "CONTROLS",
    "FRAMEWORKS",
    "Control",
    "control_by_id",
    "controls_by_framework",
]

CONTROLS: tuple[Control, ...] = K8S_CONTROLS + PSS_CONTROLS

#: Framework name -> short description (edition the ids refer to).
FRAMEWORKS: tuple[tuple[str, str], ...] = (
    (CIS, "CIS Kubernetes Benchmark v1.8/v1.9, section 5 (Policies)"),
    (NSA, "NSA/CISA Kubernetes Hardening Guide v1.2 (August 2022)"),
    (NIST, "NIST SP 800-190 Application Container Security Guide, section 4"),
    (MITRE, "MITRE ATT&CK for Containers (technique ids)"),
    (PSS, "Kubernetes Pod Security Standards (baseline, restricted)"),
)

_BY_ID = {c.id: c for c in CONTROLS}


def control_by_id(control_id: str) -> Control | None:
    """The control with this id, or ``None``."""
    return _BY_ID.get(control_id)


def controls_by_framework() -> dict[str, tuple[tuple[str, Control], ...]]:
    """Framework name -> sorted ``(framework control id, Control)`` pairs.

    Every framework of :data:`FRAMEWORKS` is present, in that order; a control mapped
    twice to one framework (two CIS sections) appears once per section.
    """
    grouped: dict[str, list[tuple[str, Control]]] = {name: [] for name, _ in FRAMEWORKS}
    for control in CONTROLS:
        for framework, ref in control.frameworks:
            grouped.setdefault(framework, []).append((ref, control))
    return {
        name: tuple(sorted(pairs, key=lambda p: (_ref_key(p[0]), p[1].id)))
        for name, pairs in grouped.items()
    }


def _ref_key(ref: str) -> tuple[tuple[int, str], ...]:
    """Sort ``5.1.10`` after ``5.1.9`` and ``T1552.007`` after ``T1528``."""
    parts = ref.replace("T", "", 1).split(".") if ref[:1] == "T" else ref.split(".")
    return tuple((int(p), "") if p.isdigit() else (1 << 30, p) for p in parts)
