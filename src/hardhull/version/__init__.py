"""Version ordering per ecosystem and OSV range evaluation.

Public API (others rely on it):

- :func:`compare` ``(ecosystem, a, b) -> int``: negative, zero or positive, with the
  ecosystem's own ordering rules. ``ecosystem`` is an OSV ecosystem name, with or without
  a release suffix (``Debian``, ``Debian:12``, ``Alpine:v3.20``, ``Red Hat``, ``PyPI``,
  ``npm``, ``Go``, ``Maven``, ``RubyGems``, ``NuGet``, ``Packagist``, ``crates.io``, ...).
- :func:`affected_by` ``(ecosystem, version, affected) -> RangeMatch | None``: whether an
  installed version falls in an OSV ``affected[]`` entry (explicit ``versions`` and every
  ``ECOSYSTEM``/``SEMVER`` range), and which range matched.
- :func:`has_only_git_ranges` ``(affected) -> bool``: nothing in the entry is evaluable
  from a version (only ``GIT`` ranges), so the matcher should note a coverage gap.
- :func:`compile_affected` for callers that want to hold the compiled form themselves.

One module per scheme: :mod:`.dpkg`, :mod:`.rpm`, :mod:`.apk`, :mod:`.pep440`,
:mod:`.semver`, :mod:`.golang`, :mod:`.maven`, :mod:`.rubygems`, :mod:`.nuget`,
:mod:`.composer`; :mod:`.ecosystems` maps OSV names to them; :mod:`.osv` evaluates ranges.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hardhull.version._common import VersionError, cmp_keys
from hardhull.version.ecosystems import ECOSYSTEMS, scheme_for
from hardhull.version.osv import (
    CompiledAffected,
    RangeMatch,
    affected_by,
    compile_affected,
    has_only_git_ranges,
)

__all__ = [
    "ECOSYSTEMS",
    "CompiledAffected",
    "RangeMatch",
    "VersionError",
    "affected_by",
    "compare",
    "compile_affected",
    "has_only_git_ranges",
    "scheme_for",
    "sort_key",
]


def compare(ecosystem: str, a: str, b: str) -> int:
    """Order ``a`` and ``b`` as ``ecosystem`` does: negative, zero or positive.

    Raises :class:`VersionError` for an unknown ecosystem or a version its scheme rejects.
    """
    parse = scheme_for(ecosystem).parse
    return cmp_keys(parse(a), parse(b))


def sort_key(ecosystem: str) -> Callable[[str], Any]:
    """A ``key=`` function for ``sorted`` in ``ecosystem``'s order."""
    return scheme_for(ecosystem).parse
