"""SPDX license identifiers and expressions: recognise, normalise, and make LicenseRefs.

The identifier list (``spdx-license-ids.txt`` beside this module) is the SPDX License List;
it holds license and exception identifiers alike. Expressions follow SPDX 2.3 Annex D:
``id``, ``id+``, ``LicenseRef-x``, ``DocumentRef-y:LicenseRef-x``, ``WITH``, ``AND``,
``OR`` and parentheses.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import cache
from importlib import resources

LICENSE_LIST_VERSION = "3.28"

_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_IDSTRING = re.compile(r"[A-Za-z0-9.\-]+")
_REF = re.compile(r"(?:DocumentRef-[A-Za-z0-9.\-]+:)?LicenseRef-[A-Za-z0-9.\-]+")
_OPERATORS = {"AND", "OR", "WITH"}


@cache
def _ids() -> dict[str, str]:
    text = resources.files("hardhull.sbomfmt").joinpath("spdx-license-ids.txt").read_text()
    ids = (line.strip() for line in text.splitlines())
    return {i.lower(): i for i in ids if i and not i.startswith("#")}


def canonical_id(text: str) -> str | None:
    """The SPDX License List spelling of ``text`` (matching is case-insensitive), or None."""
    return _ids().get(text.strip().lower())


class _Parser:
    """Recursive descent over SPDX expression tokens; produces the normalised text."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def operator(self) -> str | None:
        token = self.peek()
        if (
            token is not None
            and token.upper() in _OPERATORS
            and token in (token.upper(), token.lower())
        ):
            return token.upper()
        return None

    def expression(self) -> str | None:
        # OR binds loosest, then AND, then WITH.
        return self._chain("OR", self.conjunction)

    def conjunction(self) -> str | None:
        return self._chain("AND", self.term)

    def _chain(self, op: str, operand: Callable[[], str | None]) -> str | None:
        """``operand (op operand)*``, or None as soon as one operand is not valid."""
        left = operand()
        while left is not None and self.operator() == op:
            self.take()
            right = operand()
            left = None if right is None else f"{left} {op} {right}"
        return left

    def term(self) -> str | None:
        token = self.peek()
        if token is None:
            return None
        if token == "(":
            self.take()
            inner = self.expression()
            if inner is None or self.peek() != ")":
                return None
            self.take()
            return f"({inner})"
        if token == ")" or self.operator() is not None:
            return None
        simple = _simple(self.take())
        if simple is None:
            return None
        if self.operator() == "WITH":
            self.take()
            exception = self.peek()
            canonical = canonical_id(exception) if exception else None
            if canonical is None:
                return None
            self.take()
            return f"{simple} WITH {canonical}"
        return simple


def _simple(token: str) -> str | None:
    if _REF.fullmatch(token):
        return token
    plus = token.endswith("+")
    canonical = canonical_id(token[:-1] if plus else token)
    if canonical is None:
        return None
    return canonical + ("+" if plus else "")


def normalize_expression(text: str) -> str | None:
    """``text`` as a valid SPDX expression with canonical ids and operators, or None."""
    tokens = _TOKEN.findall(text)
    if not tokens:
        return None
    parser = _Parser(tokens)
    result = parser.expression()
    if result is None or parser.pos != len(tokens):
        return None
    return result


def is_compound(expression: str) -> bool:
    """True when a normalised expression is more than one bare identifier."""
    return " " in expression or "(" in expression


def license_ref(name: str) -> str:
    """A stable ``LicenseRef-`` identifier for a license that is not on the SPDX list."""
    words = re.sub(r"[^A-Za-z0-9.\-]+", "-", name).strip("-")
    if not words or not _IDSTRING.fullmatch(words):
        words = hashlib.sha256(name.encode()).hexdigest()[:12]
    return f"LicenseRef-{words}"
