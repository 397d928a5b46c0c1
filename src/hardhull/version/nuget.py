"""NuGet version ordering (``NuGetVersion``: SemVer 2.0 with an optional 4th part).

From NuGet's versioning documentation: ``Major.Minor.Patch[.Revision][-label.label]
[+metadata]``; missing numeric parts are ``0`` (``1.0 = 1.0.0 = 1.0.0.0``); a release
is greater than any pre-release of the same numbers; labels compare left to right,
numeric labels numerically and below alphanumeric ones, alphanumeric labels
**case-insensitively**; a shorter label list that is a prefix of a longer one is lower;
metadata is ignored. A leading ``v`` and surrounding whitespace are tolerated.
"""

from __future__ import annotations

import re

from hardhull.version._common import Scheme, bad

__all__ = ["SCHEME", "parse"]

_NUGET = re.compile(
    r"[vV]?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:\.([0-9]+))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]*)?"
)

Label = tuple[int, int] | tuple[int, str]
Key = tuple[int, int, int, int, tuple[int, tuple[Label, ...]]]


def parse(text: str) -> Key:
    """The ordering key of a NuGet version."""
    m = _NUGET.fullmatch(text.strip())
    if m is None:
        raise bad("nuget", text, "not a NuGet version (Major.Minor.Patch[.Revision][-pre])")
    major, minor, patch, rev, pre = m.groups()
    pre_key: tuple[int, tuple[Label, ...]] = (1, ())
    if pre:
        labels: list[Label] = [
            (0, int(p)) if p.isdigit() else (1, p.lower()) for p in pre.split(".")
        ]
        pre_key = (0, tuple(labels))
    return (int(major), int(minor or 0), int(patch or 0), int(rev or 0), pre_key)


SCHEME = Scheme("nuget", parse)
