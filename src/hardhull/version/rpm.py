"""RPM version ordering (librpm's ``rpmvercmp`` applied to ``[epoch:]version[-release]``).

``rpmvercmp`` splits a string into alphanumeric segments, skipping every other character
except ``~`` and ``^``. Segments are compared pairwise: a numeric segment beats an
alphabetic one, numbers compare as integers, letters as ASCII strings. ``~`` sorts before
anything, including the end of the string (``1.0~rc1 < 1.0``); ``^`` sorts after the end
but before any further segment (``1.0 < 1.0^git1 < 1.0.1``). When one string runs out,
the one with segments left is newer.

That makes a total order over token sequences, so the key is a tuple of ranked tokens
(``~`` 0, end 1, ``^`` 2, alpha 3, number 4) closed by the end token. The epoch (absent =
0) compares first as an integer, then the version, then the release (absent = empty),
which is what ``rpm.vercmp`` of rpm 4.18 does. Written from the documented algorithm;
checked against ``rpm`` itself in the tests.
"""

from __future__ import annotations

import re

from hardhull.version._common import Scheme, bad

__all__ = ["SCHEME", "parse", "segments_key"]

Token = tuple[int, str] | tuple[int, int] | tuple[int]
Key = tuple[int, tuple[Token, ...], tuple[Token, ...]]

_TOKENS = re.compile(r"~|\^|[0-9]+|[A-Za-z]+")
_END: Token = (1,)


def segments_key(text: str) -> tuple[Token, ...]:
    """The rpmvercmp key of one version or release string."""
    out: list[Token] = []
    for tok in _TOKENS.findall(text):
        if tok == "~":
            out.append((0,))
        elif tok == "^":
            out.append((2,))
        elif tok[0].isdigit():
            out.append((4, int(tok)))
        else:
            out.append((3, tok))
    out.append(_END)
    return tuple(out)


def parse(text: str) -> Key:
    """The ordering key of an RPM ``[epoch:]version[-release]`` string."""
    if not text or any(c.isspace() for c in text):
        raise bad("rpm", text, "empty or contains whitespace")
    epoch = 0
    rest = text
    head, colon, tail = text.partition(":")
    if colon:
        if head and not head.isdigit():
            raise bad("rpm", text, "epoch is not a number")
        epoch = int(head) if head else 0
        rest = tail
    version, dash, release = rest.rpartition("-")
    if not dash:
        version, release = rest, ""
    if not version:
        raise bad("rpm", text, "empty version")
    return (epoch, segments_key(version), segments_key(release))


SCHEME = Scheme("rpm", parse)
