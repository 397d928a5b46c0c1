"""``string.matches(<constant pattern>)`` without compiling RE2 on every evaluation.

cel-expr-python compiles the RE2 program of ``matches`` at each call (tens of
microseconds for ``[a-f0-9]{64}``). For constant patterns in a conservative subset of RE2
syntax (literals, escaped punctuation, ``.``, classes with ranges, ``\\d \\w \\s`` and
their negations, groups, ``(?:``, alternation, ``* + ? {n} {n,} {n,m}`` (lazy or not),
``^`` at the start and ``$`` at the end), the pattern is compiled once into a Thompson NFA
and run as a lazily built DFA: linear in the input like RE2, and with RE2's answer,
since ``matches`` only asks whether some substring is in the pattern's regular language.
Anything outside the subset raises :class:`Unsupported` and keeps the native
``matches``.
"""

from __future__ import annotations

import re
import string
import threading
from functools import lru_cache
from typing import Any

FUNCTION = "hhMatchesConstant"  # what supported .matches('...') calls are rewritten to
MAX_REPEAT = 1000  # RE2's limit
MAX_NFA_STATES = 4000
MAX_DFA_STATES = 2000

_Ranges = tuple[tuple[int, int], ...]
_DIGIT: _Ranges = ((48, 57),)
_WORD: _Ranges = ((48, 57), (65, 90), (95, 95), (97, 122))
_SPACE: _Ranges = ((9, 10), (12, 13), (32, 32))  # RE2's \s: no \v
_PERL = {"d": _DIGIT, "w": _WORD, "s": _SPACE}
_CONTROL = {"n": 10, "t": 9, "r": 13, "f": 12, "v": 11}
_PUNCT = frozenset(string.punctuation) - {"_"}
_META = frozenset("\\^$.|?*+()[]{}")
_COUNT = re.compile(r"\{(\d+)(,(\d*))?\}")


class Unsupported(ValueError):
    """The pattern is outside the subset handled here."""


# Nodes: ("set", ranges, negated) | ("cat", nodes) | ("alt", nodes) | ("rep", node, lo, hi)
Node = tuple[Any, ...]


class _Parser:
    def __init__(self, source: str) -> None:
        self.s = source
        self.i = 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def alt(self) -> Node:
        branches = [self.cat()]
        while self.peek() == "|":
            self.i += 1
            branches.append(self.cat())
        return branches[0] if len(branches) == 1 else ("alt", tuple(branches))

    def cat(self) -> Node:
        items: list[Node] = []
        while self.peek() not in ("", "|", ")"):
            items.append(self.repeat())
        return ("cat", tuple(items))

    def repeat(self) -> Node:
        atom = self.atom()
        ch = self.peek()
        if ch in ("*", "+", "?"):
            self.i += 1
            lo, hi = {"*": (0, None), "+": (1, None), "?": (0, 1)}[ch]
        elif ch == "{":
            m = _COUNT.match(self.s, self.i)
            if m is None:
                raise Unsupported("'{' that is not a repetition")
            self.i = m.end()
            lo = int(m.group(1))
            hi = lo if m.group(2) is None else (int(m.group(3)) if m.group(3) else None)
            if lo > MAX_REPEAT or (hi is not None and (hi > MAX_REPEAT or hi < lo)):
                raise Unsupported("bad repetition count")
        else:
            return atom
        if self.peek() == "?":
            self.i += 1  # lazy: the same language
        if self.peek() in ("*", "+", "?", "{"):
            raise Unsupported("repeated repetition")
        return ("rep", atom, lo, hi)

    def atom(self) -> Node:
        ch = self.peek()
        if ch == "(":
            self.i += 1
            if self.peek() == "?":
                if not self.s.startswith("?:", self.i):
                    raise Unsupported("group flags")
                self.i += 2
            inner = self.alt()
            if self.peek() != ")":
                raise Unsupported("unbalanced group")
            self.i += 1
            return inner
        if ch == "[":
            return self.cls()
        if ch == ".":
            self.i += 1
            return ("set", ((10, 10),), True)
        if ch == "\\":
            ranges, negated = self.escape(in_class=False)
            return ("set", ranges, negated)
        if ch in _META:
            raise Unsupported(f"{ch!r} here")
        self.i += 1
        return ("set", ((ord(ch), ord(ch)),), False)

    def escape(self, *, in_class: bool) -> tuple[_Ranges, bool]:
        self.i += 1
        ch = self.peek()
        self.i += 1
        if ch.lower() in _PERL and ch:
            if in_class and ch.isupper():
                raise Unsupported("negated class escape inside a class")
            return _PERL[ch.lower()], ch.isupper()
        if ch in _CONTROL:
            return ((_CONTROL[ch], _CONTROL[ch]),), False
        if ch in _PUNCT:
            return ((ord(ch), ord(ch)),), False
        raise Unsupported(f"escape \\{ch}")

    def cls(self) -> Node:
        self.i += 1
        negated = self.peek() == "^"
        if negated:
            self.i += 1
        if self.peek() == "]":
            raise Unsupported("']' first in a class")
        ranges: list[tuple[int, int]] = []
        while True:
            ch = self.peek()
            if ch == "":
                raise Unsupported("unterminated class")
            if ch == "]":
                self.i += 1
                break
            if ch == "[":
                raise Unsupported("'[' inside a class")
            if ch == "\\":
                got, _ = self.escape(in_class=True)
                if len(got) > 1 or got[0][0] != got[0][1]:
                    ranges.extend(got)
                    if self.peek() == "-" and self.s[self.i + 1 : self.i + 2] != "]":
                        raise Unsupported("range from a class")
                    continue
                lo = got[0][0]
            else:
                self.i += 1
                lo = ord(ch)
            if self.peek() == "-" and self.s[self.i + 1 : self.i + 2] not in ("]", ""):
                self.i += 1
                end = self.peek()
                if end == "\\":
                    got, _ = self.escape(in_class=True)
                    if len(got) > 1 or got[0][0] != got[0][1]:
                        raise Unsupported("range to a class")
                    hi = got[0][0]
                elif end == "[":
                    raise Unsupported("'[' inside a class")
                else:
                    self.i += 1
                    hi = ord(end)
                if hi < lo:
                    raise Unsupported("reversed range")
                ranges.append((lo, hi))
            else:
                ranges.append((lo, lo))
        return ("set", tuple(ranges), negated)


class _Nfa:
    """Thompson NFA: per state either a char set with one successor, or epsilon edges."""

    def __init__(self) -> None:
        self.sets: list[tuple[_Ranges, bool] | None] = []
        self.next: list[list[int]] = []

    def state(self, cset: tuple[_Ranges, bool] | None = None) -> int:
        if len(self.sets) >= MAX_NFA_STATES:
            raise Unsupported("pattern too large")
        self.sets.append(cset)
        self.next.append([])
        return len(self.sets) - 1

    def build(self, node: Node, out: int) -> int:
        """States for ``node`` leading to ``out``; returns the entry state."""
        kind = node[0]
        if kind == "set":
            s = self.state((node[1], node[2]))
            self.next[s].append(out)
            return s
        if kind == "cat":
            entry = out
            for item in reversed(node[1]):
                entry = self.build(item, entry)
            return entry
        if kind == "alt":
            s = self.state()
            self.next[s] = [self.build(b, out) for b in node[1]]
            return s
        _, inner, lo, hi = node
        assert isinstance(lo, int)
        entry = out
        if hi is None:  # inner* then lo copies of inner
            loop = self.state()
            self.next[loop] = [self.build(inner, loop), out]
            entry = loop
        else:
            for _ in range(hi - lo):
                opt = self.state()
                self.next[opt] = [self.build(inner, entry), out]
                entry = opt
        for _ in range(lo):
            entry = self.build(inner, entry)
        return entry


class Matcher:
    """A compiled pattern: ``matcher.search(text)`` is RE2's ``text.matches(pattern)``."""

    def __init__(self, pattern: str) -> None:
        source = pattern
        self.anchor_start = source.startswith("^")
        if self.anchor_start:
            source = source[1:]
        escapes = len(source[:-1]) - len(source[:-1].rstrip("\\"))  # before the last
        self.anchor_end = source.endswith("$") and escapes % 2 == 0
        if self.anchor_end:
            source = source[:-1]
        parser = _Parser(source)
        node = parser.alt()
        if parser.i != len(source):
            raise Unsupported("unbalanced ')'")
        if node[0] == "alt" and (self.anchor_start or self.anchor_end):
            raise Unsupported("anchor with a top-level alternation")
        self.nfa = _Nfa()
        self.accept = self.nfa.state()
        self.start = self.nfa.build(node, self.accept)
        self._start_set = self._closure([self.start])
        self._reset()

    def _reset(self) -> None:
        self._ids: dict[frozenset[int], int] = {}
        self._states: list[frozenset[int]] = []
        self._trans: list[dict[str, int]] = []
        self._accepting: list[bool] = []
        self._initial = self._dstate(self._start_set)

    def _closure(self, seeds: list[int]) -> frozenset[int]:
        seen = set(seeds)
        stack = list(seeds)
        sets, nxt = self.nfa.sets, self.nfa.next
        while stack:
            s = stack.pop()
            if sets[s] is None:
                for t in nxt[s]:
                    if t not in seen:
                        seen.add(t)
                        stack.append(t)
        return frozenset(seen)

    def _dstate(self, members: frozenset[int]) -> int:
        hit = self._ids.get(members)
        if hit is None:
            hit = len(self._states)
            self._ids[members] = hit
            self._states.append(members)
            self._trans.append({})
            self._accepting.append(self.accept in members)
        return hit

    def _step(self, d: int, ch: str) -> int:
        cp = ord(ch)
        seeds: list[int] = []
        sets, nxt = self.nfa.sets, self.nfa.next
        for s in self._states[d]:
            cset = sets[s]
            if cset is None:
                continue
            ranges, negated = cset
            if any(lo <= cp <= hi for lo, hi in ranges) != negated:
                seeds.extend(nxt[s])
        if not self.anchor_start:
            seeds.append(self.start)
        target = self._closure(seeds)
        if len(self._states) >= MAX_DFA_STATES:
            self._reset()
            d = self._initial
            return self._dstate(target)
        t = self._dstate(target)
        self._trans[d][ch] = t
        return t

    def search(self, text: str) -> bool:
        """Whether ``pattern`` matches somewhere in ``text`` (RE2 partial match)."""
        d = self._initial
        accepting, trans = self._accepting, self._trans
        if accepting[d] and not self.anchor_end:
            return True
        for ch in text:
            nd = trans[d].get(ch)
            d = self._step(d, ch) if nd is None else nd
            accepting, trans = self._accepting, self._trans  # _step may reset them
            if accepting[d] and not self.anchor_end:
                return True
            if not self._states[d]:
                return False  # anchored at the start and nothing left alive
        return accepting[d]


@lru_cache(maxsize=256)
def matcher(pattern: str) -> Matcher:
    """The compiled :class:`Matcher` of ``pattern`` (raises :class:`Unsupported`)."""
    return Matcher(pattern)


# Rewritten calls name their pattern by a small integer, not by the pattern string:
# cel-expr-python 0.1.3 never releases the Python objects it makes for a function's
# arguments, and small ints are shared objects where a string would be a new one a call.
_IDS: dict[str, int] = {}
_MATCHERS: list[Matcher] = []
_IDS_LOCK = threading.Lock()


def pattern_id(pattern: str) -> int:
    """The id rewritten calls use for ``pattern`` (raises :class:`Unsupported`)."""
    with _IDS_LOCK:
        ident = _IDS.get(pattern)
        if ident is None:
            _MATCHERS.append(matcher(pattern))
            ident = _IDS[pattern] = len(_MATCHERS) - 1
        return ident


def matches(text: str, ident: int) -> bool:
    """The CEL function behind rewritten ``text.matches(pattern)`` calls."""
    return _MATCHERS[ident].search(text)


_STRING = re.compile(
    r"""\.\s*matches\s*\(\s*(?P<lit>(?P<raw>[rR]?)(?P<q>['"])(?P<body>(?:(?!(?P=q))[^\\\n]|\\.)*)(?P=q))\s*\)"""
)


def _literal(raw: str, body: str) -> str | None:
    """The value of a CEL string literal body (only ``\\\\``, ``\\'``, ``\\"`` escapes)."""
    if raw:
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1 : i + 2]
            if nxt not in ("\\", "'", '"'):
                return None
            out.append(nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def rewrite_matches(source: str, masked: str) -> str:
    """``source`` with every ``.matches('<supported constant>')`` call (found in
    ``masked``, the source with literals blanked, so that text inside other literals is
    never touched) turned into ``.hhMatchesConstant(<pattern id>)``."""
    parts: list[str] = []
    last = 0
    for m in re.finditer(r"\.\s*matches\s*\(", masked):
        full = _STRING.match(source, m.start())
        if full is None:
            continue
        value = _literal(full.group("raw"), full.group("body"))
        if value is None:
            continue
        try:
            ident = pattern_id(value)
        except Unsupported:
            continue
        parts.append(source[last : m.start()])
        parts.append(f".{FUNCTION}({ident})")
        last = full.end()
    if not parts:
        return source
    parts.append(source[last:])
    return "".join(parts)
