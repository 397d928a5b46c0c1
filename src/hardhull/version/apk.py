"""Alpine / Wolfi / Chainguard (apk) version ordering.

Implemented from the documented grammar
``digit{.digit}...{letter}{_suf{#}}...{~hash}{-r#}`` (apk-tools' own source is GPL and was
not used). Tokens compare left to right; at the first difference:

- numbers: the first one as an integer; later ``.N`` parts as integers, except that a part
  with a leading zero compares as a string (``1.2.07 < 1.2.12``, ``8.2.0015 < 8.2.002``);
- when the token kinds differ, the kind decides: ``.N`` > letter > post-release suffix >
  ``~hash`` > ``-rN`` > end of string > pre-release suffix. So ``1.2 < 1.2a < 1.2.1``,
  ``1.2_rc1 < 1.2 < 1.2-r1 < 1.2_p1``;
- suffixes: ``alpha < beta < pre < rc`` (pre-release, below the bare version) and
  ``cvs < svn < git < hg < p`` (post-release); the optional number compares numerically;
- ``~hash`` compares as a string, ``-rN`` as an integer.

Text past a point where the grammar breaks (``1.0bc``, ``23_foo``) is kept as one token
that compares as a string, above the end of a string and below ``-rN``
(``1.0 < 1.0bc``): comparisons up to that point still decide as apk does. A version
not starting with a digit is rejected.
"""

from __future__ import annotations

import re

from hardhull.version._common import Scheme, bad

__all__ = ["SCHEME", "parse"]

_PRE = {"alpha": 0, "beta": 1, "pre": 2, "rc": 3}
_POST = {"cvs": 0, "svn": 1, "git": 2, "hg": 3, "p": 4}

# Ranks of token kinds (a higher rank wins when kinds differ at the same position).
_DIGIT, _LETTER, _POSTSUF, _HASH, _REV, _INVALID, _END, _PRESUF = 60, 50, 40, 20, 10, 5, 0, -10

_LEAD = re.compile(r"[0-9]+")
_DOT = re.compile(r"\.([0-9]+)")
_LETTER_RE = re.compile(r"[a-z](?![a-z])")
_SUFFIX = re.compile(r"_([a-z]+)([0-9]*)")
_HASH_RE = re.compile(r"~([0-9a-f]+)")
_REV_RE = re.compile(r"-r([0-9]+)$")

Token = tuple[int, int, int] | tuple[int, int, str] | tuple[int, str] | tuple[int, int] | tuple[int]


def parse(text: str) -> tuple[Token, ...]:
    """The ordering key of an apk version (see the module docstring)."""
    m = _LEAD.match(text)
    if m is None:
        raise bad("apk", text, "does not start with a digit")
    out: list[Token] = [(_DIGIT, 1, int(m.group()))]
    pos = m.end()
    n = len(text)
    while pos < n:
        m = _DOT.match(text, pos)
        if m is None:
            break
        digits = m.group(1)
        if digits[0] == "0":
            out.append((_DIGIT, 0, digits))
        else:
            out.append((_DIGIT, 1, int(digits)))
        pos = m.end()
    m = _LETTER_RE.match(text, pos)
    if m is not None:
        out.append((_LETTER, m.group()))
        pos = m.end()
    while pos < n:
        m = _SUFFIX.match(text, pos)
        if m is None:
            break
        name, num = m.group(1), int(m.group(2) or 0)
        if name in _PRE:
            out.append((_PRESUF, _PRE[name], num))
        elif name in _POST:
            out.append((_POSTSUF, _POST[name], num))
        else:
            break
        pos = m.end()
    m = _HASH_RE.match(text, pos)
    if m is not None:
        out.append((_HASH, m.group(1)))
        pos = m.end()
    m = _REV_RE.match(text, pos)
    if m is not None:
        out.append((_REV, int(m.group(1))))
        pos = m.end()
    if pos < n:
        out.append((_INVALID, text[pos:]))
    else:
        out.append((_END,))
    return tuple(out)


SCHEME = Scheme("apk", parse)
