"""RubyGems version ordering (``Gem::Version``).

From the RubyGems documentation of ``Gem::Version``: a version is dot-separated segments
of digits or letters (``1.2.3``, ``1.0.a.2``, ``2.0.0.rc1``); a ``-`` is read as
``.pre.`` (``1.0-1`` is ``1.0.pre.1``); a version containing a letter is a pre-release.
The segments are the runs of digits (integers) and letters (strings). Before comparing,
trailing zeros are dropped from the numeric head and from the tail that starts at the
first letter segment (``1.0 = 1``, ``1.0.a = 1.a``). Segments then compare pairwise with
missing ones read as ``0``: numbers numerically, strings by byte order, and a string is
always lower than a number (``1.a < 1 < 1.0.1``). Blank means ``0``.
"""

from __future__ import annotations

import re

from hardhull.version._common import Scheme, bad

__all__ = ["SCHEME", "GemVersion", "parse"]

_VALID = re.compile(r"[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?")
_SEGMENTS = re.compile(r"[0-9]+|[a-zA-Z]+")

Segment = int | str


def _drop_zeros(segs: list[Segment]) -> list[Segment]:
    while segs and segs[-1] == 0:
        segs.pop()
    return segs


class GemVersion:
    """A parsed gem version; compares like ``Gem::Version#<=>``."""

    __slots__ = ("segments", "text")

    def __init__(self, text: str, segments: tuple[Segment, ...]) -> None:
        self.text = text
        self.segments = segments

    def cmp(self, other: GemVersion) -> int:
        """-1, 0 or 1."""
        a, b = self.segments, other.segments
        for i in range(max(len(a), len(b))):
            x = a[i] if i < len(a) else 0
            y = b[i] if i < len(b) else 0
            if x == y:
                continue
            if isinstance(x, str) and isinstance(y, int):
                return -1
            if isinstance(x, int) and isinstance(y, str):
                return 1
            return -1 if x < y else 1  # type: ignore[operator]
        return 0

    def __lt__(self, other: GemVersion) -> bool:
        return self.cmp(other) < 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GemVersion) and self.cmp(other) == 0

    def __repr__(self) -> str:
        return f"GemVersion({self.text!r})"


def parse(text: str) -> GemVersion:
    """The ordering key of a gem version; :class:`VersionError` for malformed text."""
    t = text.strip() or "0"
    if not _VALID.fullmatch(t):
        raise bad("rubygems", text, "malformed version number string")
    t = t.replace("-", ".pre.")
    segs: list[Segment] = [int(s) if s.isdigit() else s for s in _SEGMENTS.findall(t)]
    first_str = next((i for i, s in enumerate(segs) if isinstance(s, str)), len(segs))
    canonical = _drop_zeros(segs[:first_str]) + _drop_zeros(segs[first_str:])
    return GemVersion(text, tuple(canonical))


SCHEME = Scheme("rubygems", parse)
