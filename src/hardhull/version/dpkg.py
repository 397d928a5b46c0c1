"""Debian/Ubuntu version ordering (``dpkg --compare-versions``).

Grammar (Debian policy 5.6.12): ``[epoch:]upstream[-revision]``. The epoch is a decimal
number (absent = 0); the revision is everything after the last hyphen (absent = empty,
which orders like ``0``). Upstream and revision are compared as alternating runs of
non-digits and digits: non-digit runs character by character where ``~`` sorts before
everything (even the end of the string), then the end, then letters, then the other
characters; digit runs numerically.

The key built here turns that walk into one tuple so a comparison is a tuple comparison:
each non-digit run becomes the ranks of its characters followed by the end rank 0, each
digit run its integer; trailing empty pairs are dropped and one empty pair terminates the
sequence, which orders a trailing ``~`` part below the end exactly as dpkg does.
Written from the policy text; checked against ``dpkg`` itself in the tests.
"""

from __future__ import annotations

import re

from hardhull.version._common import Scheme, bad

__all__ = ["SCHEME", "parse"]

Part = tuple[tuple[int, ...], int]
Key = tuple[int, tuple[Part, ...], tuple[Part, ...]]

_RUNS = re.compile(r"([^0-9]*)([0-9]*)")
_EMPTY: Part = ((0,), 0)
# dpkg's order(): '~' -1, end 0, letters their code, everything else code + 256.
_RANK = {chr(c): (c if chr(c).isascii() and chr(c).isalpha() else c + 256) for c in range(256)}
_RANK["~"] = -1


def _char_rank(c: str) -> int:
    rank = _RANK.get(c)
    return rank if rank is not None else ord(c) + 256


def _part_key(text: str) -> tuple[Part, ...]:
    parts: list[Part] = []
    for letters, digits in _RUNS.findall(text):
        if not letters and not digits:
            continue
        parts.append(((*map(_char_rank, letters), 0), int(digits) if digits else 0))
    while parts and parts[-1] == _EMPTY:
        parts.pop()
    parts.append(_EMPTY)
    return tuple(parts)


def parse(text: str) -> Key:
    """The ordering key of a Debian version; :class:`VersionError` when dpkg rejects it."""
    if not text:
        raise bad("dpkg", text, "empty version")
    if any(c.isspace() for c in text):
        raise bad("dpkg", text, "embedded whitespace")
    epoch = 0
    rest = text
    colon = text.find(":")
    if colon >= 0:
        head = text[:colon]
        if not head.isdigit():
            raise bad("dpkg", text, "epoch is not a number")
        epoch = int(head)
        rest = text[colon + 1 :]
    upstream, dash, revision = rest.rpartition("-")
    if not dash:
        upstream, revision = rest, ""
    if not upstream:
        raise bad("dpkg", text, "empty upstream version")
    return (epoch, _part_key(upstream), _part_key(revision))


SCHEME = Scheme("dpkg", parse)
