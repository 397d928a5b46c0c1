"""Glob patterns as libsinsp matches them: ``glob``/``iglob`` call the C library's
``fnmatch(pattern, value, 0)`` (``FNM_CASEFOLD`` for ``iglob``), so ``*`` and ``?`` also
match ``/`` and a leading ``.``; ``[...]`` takes ``!`` or ``^`` for negation, ranges and
``[:class:]`` names; a backslash makes the next character literal. ``pmatch`` compares
path components, so a ``*`` there stands for one component.

Python's :mod:`fnmatch` differs on ``[^...]`` (a literal ``^`` there) and on backslashes
(literal there), hence this translator."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_CLASSES = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v",
    "blank": " \\t",
    "xdigit": "0-9A-Fa-f",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "cntrl": "\\x00-\\x1f\\x7f",
    "print": " -~",
    "graph": "!-~",
}


def _bracket(p: str, i: int) -> tuple[str, int] | None:
    """The regex class for the bracket expression starting after ``[`` at ``i``, and the
    index after its ``]``; ``None`` when it is not closed (then ``[`` is literal)."""
    j = i
    neg = j < len(p) and p[j] in "!^"
    if neg:
        j += 1
    parts: list[str] = []
    first = True
    while j < len(p):
        c = p[j]
        if c == "]" and not first:
            body = "".join(parts)
            return ("[^" if neg else "[") + body + "]", j + 1
        first = False
        if c == "[" and p.startswith("[:", j):
            end = p.find(":]", j + 2)
            name = p[j + 2 : end] if end > 0 else ""
            if name in _CLASSES:
                parts.append(_CLASSES[name])
                j = end + 2
                continue
        if c == "\\" and j + 1 < len(p):
            j += 1
            c = p[j]
        if j + 2 < len(p) and p[j + 1] == "-" and p[j + 2] != "]":
            hi = p[j + 2]
            if hi == "\\" and j + 3 < len(p):
                hi = p[j + 3]
                j += 1
            parts.append(re.escape(c) + "-" + re.escape(hi))
            j += 3
            continue
        parts.append(re.escape(c))
        j += 1
    return None


def translate(pattern: str, *, one_component: bool = False) -> str:
    """A regex (to ``fullmatch``) for ``pattern``; ``one_component``: wildcards do not
    match ``/`` (used for ``pmatch`` components, which contain none anyway)."""
    any_char = "[^/]" if one_component else "."
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append(any_char + "*")
            while i + 1 < len(pattern) and pattern[i + 1] == "*":
                i += 1
        elif c == "?":
            out.append(any_char)
        elif c == "[":
            got = _bracket(pattern, i + 1)
            if got is None:
                out.append(re.escape("["))
            else:
                out.append(got[0])
                i = got[1]
                continue
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def glob_pred(pattern: str, *, casefold: bool = False) -> Callable[[Any], bool]:
    rx = re.compile(translate(pattern), re.S | (re.I if casefold else 0))
    return lambda v: rx.fullmatch(v) is not None


_WILD = re.compile(r"[*?\[\\]")


def _components(path: str) -> list[str]:
    return [c for c in path.split("/") if c]


def pmatch_pred(prefixes: tuple[str, ...]) -> Callable[[Any], bool]:
    """libsinsp's ``pmatch``: the value is below (or equal to) one of the prefix paths,
    compared component by component; a prefix component may be a glob (``/opt/*/bin``)."""
    exact = frozenset("/".join(_components(p)) for p in prefixes if not _WILD.search(p))
    globs = tuple(
        tuple(re.compile(translate(c, one_component=True), re.S) for c in _components(p))
        for p in prefixes
        if _WILD.search(p)
    )

    def p(v: Any) -> bool:
        comps = _components(str(v))
        if exact:
            for n in range(len(comps), -1, -1):
                if "/".join(comps[:n]) in exact:
                    return True
        for g in globs:
            if len(g) <= len(comps) and all(
                rx.fullmatch(c) is not None for rx, c in zip(g, comps, strict=False)
            ):
                return True
        return False

    return p
