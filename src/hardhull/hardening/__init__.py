"""Hardened-image baseline checks on the image config and the squashed file tree.

Use: ``checks = default_checks()``; pass ``check_selectors(checks)`` to
``hardhull.scan.inventory(..., extra_selectors=...)``; then
``run_hardening(sbom, tree, checks)``.
"""

from __future__ import annotations

from hardhull.hardening.base import HardeningCheck
from hardhull.hardening.engine import check_selectors, run_hardening
from hardhull.hardening.registry import default_checks

__all__ = ["HardeningCheck", "check_selectors", "default_checks", "run_hardening"]
