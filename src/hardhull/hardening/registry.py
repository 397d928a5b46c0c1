"""The explicit, ordered list of hardening checks a scan runs."""

from __future__ import annotations

from hardhull.hardening.base import HardeningCheck
from hardhull.hardening.baseimage import BaseImageEolCheck, PinnedBaseCheck
from hardhull.hardening.distroless import NoPackageManagerCheck, NoShellCheck
from hardhull.hardening.metadata import HealthcheckCheck, OciLabelsCheck
from hardhull.hardening.permissions import SetuidCheck, WorldWritableCheck
from hardhull.hardening.secret_check import SecretsCheck
from hardhull.hardening.user import NonRootUserCheck


def default_checks() -> tuple[HardeningCheck, ...]:
    """Every baseline check, in id order (HH-IMG-001 .. HH-IMG-010)."""
    return (
        NonRootUserCheck(),
        NoShellCheck(),
        NoPackageManagerCheck(),
        SetuidCheck(),
        WorldWritableCheck(),
        SecretsCheck(),
        BaseImageEolCheck(),
        HealthcheckCheck(),
        OciLabelsCheck(),
        PinnedBaseCheck(),
    )
