"""Version ordering per ecosystem and OSV range evaluation.

Public API (others rely on it):

- :func:`compare` ``(ecosystem, a, b) -> int``: negative, zero or positive, with the
  ecosystem's own ordering rules. ``ecosystem`` is an OSV ecosystem name, with or without
  a release suffix (``Debian``, ``Debian:12``, ``Alpine:v3.20``, ``Red Hat``, ``PyPI``,
  ``npm``, ``Go``, ``Maven``, ``RubyGems``, ``NuGet``, ``Packagist``, ``crates.io``, ...).
- :func:`affected_by` ``(ecosystem, version, affected) -> RangeMatch | None``: whether an
  installed version falls in an OSV ``affected[]`` entry (explicit ``versions`` and every
  ``ECOSYSTEM``/``SEMVER`` range), and which range matched.

Placeholder until the version engineer lands the real modules.
"""

from __future__ import annotations

from dataclasses import dataclass

from hardhull.errors import HardhullError
from hardhull.model import Affected


class VersionError(HardhullError):
    """A version string the ecosystem's grammar rejects, or an unknown ecosystem."""


@dataclass(frozen=True, slots=True)
class RangeMatch:
    """Why a version is affected: a readable range (``>=1.0, <1.2.3`` or ``listed in
    versions[]``) and the fixed versions that range names (may be empty)."""

    description: str
    fixed: tuple[str, ...] = ()


def compare(ecosystem: str, a: str, b: str) -> int:
    """Order ``a`` and ``b`` as ``ecosystem`` does."""
    raise NotImplementedError


def affected_by(ecosystem: str, version: str, affected: Affected) -> RangeMatch | None:
    """The range of ``affected`` that ``version`` falls in, or ``None``."""
    raise NotImplementedError
