"""Pod Security Standards policy versions (``v1.N`` and ``latest``) as PSA spells them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hardhull.errors import HardhullError

_VERSION_RE = re.compile(r"^v1\.(0|[1-9][0-9]*)$")


class PssVersionError(HardhullError, ValueError):
    """A PSS version string that is not ``latest`` nor ``v1.N`` (N >= 0)."""


@dataclass(frozen=True, slots=True, order=True)
class PssVersion:
    """A policy version; ``latest`` sorts after every ``v1.N``."""

    latest: bool
    minor: int

    @property
    def major(self) -> int:
        """Always 1: PSA knows no other major version."""
        return 1

    def __str__(self) -> str:
        return "latest" if self.latest else f"v1.{self.minor}"

    def at_least(self, minor: int) -> bool:
        """True when this version is ``v1.<minor>`` or newer (``latest`` always is)."""
        return self.latest or self.minor >= minor


LATEST_VERSION = PssVersion(latest=True, minor=0)


def v1(minor: int) -> PssVersion:
    """``v1.<minor>`` as a :class:`PssVersion`."""
    return PssVersion(latest=False, minor=minor)


def parse_version(text: str) -> PssVersion:
    """Parse ``"latest"`` or ``"v1.N"``; anything else raises :class:`PssVersionError`."""
    if not isinstance(text, str):
        raise PssVersionError(f"invalid Pod Security Standards version {text!r}")
    value = text.strip()
    if value == "latest":
        return LATEST_VERSION
    match = _VERSION_RE.match(value)
    if match is None:
        raise PssVersionError(
            f"invalid Pod Security Standards version {text!r}",
            hint='use "latest" or "v1.N" with N >= 0, e.g. "v1.29"',
        )
    return v1(int(match.group(1)))
