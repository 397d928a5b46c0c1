"""Kyverno's ``random(pattern)``: a random string matching a regular expression, as
``goregen`` generates them (unbounded repeats at most 10 more times)."""

from __future__ import annotations

import re
import secrets
import string
from typing import Any

from hardhull.policy.kyverno.jmes_extra import fn_error, go_regex, python_syntax

_MAX_UNBOUNDED = 10  # goregen's default for *, + and {n,}
_PRINTABLE = [c for c in string.printable if c not in "\t\n\r\x0b\x0c"]


class _Gen:
    """Generate one random string of a (Python-compatible) regular expression."""

    def __init__(self, pattern: str) -> None:
        self.s, self.i = pattern, 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def alt(self) -> list[list[Any]]:
        branches = [self.seq()]
        while self.peek() == "|":
            self.i += 1
            branches.append(self.seq())
        return branches

    def seq(self) -> list[Any]:
        items: list[Any] = []
        while self.peek() not in ("", "|", ")"):
            atom = self.atom()
            lo, hi = 1, 1
            m = re.compile(r"\{(\d+)(,(\d*))?\}").match(self.s, self.i)
            if self.peek() in ("*", "+", "?"):
                lo, hi = {"*": (0, -1), "+": (1, -1), "?": (0, 1)}[self.peek()]
                self.i += 1
            elif m is not None:
                lo = int(m.group(1))
                hi = lo if m.group(2) is None else (int(m.group(3)) if m.group(3) else -1)
                self.i = m.end()
            if self.peek() == "?" and (lo, hi) != (1, 1):
                self.i += 1
            items.append((atom, lo, hi))
        return items

    def atom(self) -> Any:
        ch = self.peek()
        self.i += 1
        if ch == "(":
            if self.peek() == "?":
                m = re.compile(r"\?(?:P?<[A-Za-z_]\w*>|[a-zA-Z]*:)").match(self.s, self.i)
                if m is None:
                    raise ValueError("unsupported group")
                self.i = m.end()
            inner = self.alt()
            self.i += 1  # ')'
            return ("alt", inner)
        if ch in ("^", "$"):
            return ("chars", [""])
        if ch == ".":
            return ("chars", _PRINTABLE)
        if ch == "[":
            return ("chars", self.cls())
        if ch == "\\":
            return ("chars", self.escape())
        return ("chars", [ch])

    def escape(self) -> list[str]:
        ch = self.peek()
        self.i += 1
        classes = {"d": string.digits, "w": string.ascii_letters + string.digits + "_", "s": " "}
        if ch in classes:
            return list(classes[ch])
        if ch.lower() in classes:
            return [c for c in _PRINTABLE if c not in classes[ch.lower()]]
        return [{"n": "\n", "t": "\t", "r": "\r"}.get(ch, ch)]

    def cls(self) -> list[str]:
        negated = self.peek() == "^"
        if negated:
            self.i += 1
        chars: set[str] = set()
        first = True
        while self.peek() != "]" or first:
            first = False
            ch = self.peek()
            self.i += 1
            got = self.escape() if ch == "\\" else [ch]
            if len(got) == 1 and self.peek() == "-" and self.s[self.i + 1 : self.i + 2] != "]":
                self.i += 1
                end = self.peek()
                self.i += 1
                if end == "\\":
                    end = self.escape()[0]
                got = [chr(c) for c in range(ord(got[0]), ord(end) + 1)]
            chars.update(got)
        self.i += 1
        if negated:
            return [c for c in _PRINTABLE if c not in chars]
        return sorted(chars)

    def render(self, branches: list[list[Any]]) -> str:
        seq = secrets.choice(branches)
        out: list[str] = []
        for atom, lo, hi in seq:
            top = hi if hi >= 0 else lo + _MAX_UNBOUNDED
            for _ in range(lo + secrets.randbelow(top - lo + 1)):
                kind, body = atom
                out.append(self.render(body) if kind == "alt" else secrets.choice(body))
        return "".join(out)


def random_string(pattern: str) -> str:
    """Kyverno ``random``: a random string matching ``pattern``."""
    if pattern == "":
        raise fn_error("random", "no pattern provided")
    go_regex(pattern, "random")
    try:
        gen = _Gen(python_syntax(pattern))
        tree = gen.alt()
        if gen.i != len(gen.s):
            raise ValueError("unbalanced ')'")
        return gen.render(tree)
    except (ValueError, IndexError) as exc:
        raise fn_error("random", f"cannot generate from {pattern!r}: {exc}") from None
