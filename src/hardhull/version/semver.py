"""SemVer 2.0.0 precedence, with the loose forms npm and others accept.

Used for npm, crates.io, Hex, Pub and SwiftURL, and for OSV ``SEMVER`` ranges.

Precedence (semver.org section 11): ``major.minor.patch`` numerically; a version with a
pre-release is lower than the same version without; pre-release identifiers compare
left to right, numeric ones as integers and below alphanumeric ones (ASCII order), and a
shorter list that is a prefix of a longer one is lower. Build metadata (``+...``) is
ignored, so ``1.0.0+a`` and ``1.0.0+b`` compare equal.

Loose input accepted (npm's loose mode and common advisory data): surrounding
whitespace, a leading ``v``/``V`` or ``=``, and a missing minor or patch (``1.2`` means
``1.2.0``, ``1`` means ``1.0.0``). Leading zeros in numbers are tolerated and read as
integers. Anything else is a :class:`VersionError`.
"""

from __future__ import annotations

import re

from hardhull.version._common import Scheme, bad

__all__ = ["SCHEME", "parse", "prerelease_key"]

PreId = tuple[int, int] | tuple[int, str]
Key = tuple[int, int, int, tuple[int, tuple[PreId, ...]]]

_SEMVER = re.compile(
    r"[=vV]*\s*(0|[0-9]+)(?:\.([0-9]+)(?:\.([0-9]+))?)?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)
_RELEASE: tuple[int, tuple[PreId, ...]] = (1, ())


def prerelease_key(pre: str | None) -> tuple[int, tuple[PreId, ...]]:
    """The ordering key of a pre-release part (``None`` for a release)."""
    if not pre:
        return _RELEASE
    ids: list[PreId] = []
    for ident in pre.split("."):
        if ident.isdigit():
            ids.append((0, int(ident)))
        else:
            ids.append((1, ident))
    return (0, tuple(ids))


def parse(text: str) -> Key:
    """The SemVer precedence key of ``text`` (loose forms as in the module docstring)."""
    m = _SEMVER.fullmatch(text.strip())
    if m is None:
        raise bad("semver", text, "not a semantic version (MAJOR.MINOR.PATCH[-pre][+build])")
    major, minor, patch, pre, _build = m.groups()
    return (int(major), int(minor or 0), int(patch or 0), prerelease_key(pre))


SCHEME = Scheme("semver", parse)
