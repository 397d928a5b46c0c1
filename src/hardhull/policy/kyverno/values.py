"""Kyverno's scalar vocabulary: wildcards, quantities, durations and pattern strings.

A pattern string is a small expression language (Kyverno ``pkg/engine/pattern``):
``a | b`` (any), ``a & b`` (all), operators ``>``, ``>=``, ``<``, ``<=``, ``!``, ranges
``1-10`` / ``1!-10``, wildcards ``*``/``?``, and numeric comparisons that understand
Kubernetes quantities (``100Mi``) and Go durations (``1h30m``).
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Any

_QUANTITY = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:[eE]([+-]?\d+))?([a-zA-Z]*)$")
_SUFFIX = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(1000),
    "M": Decimal(1000) ** 2,
    "G": Decimal(1000) ** 3,
    "T": Decimal(1000) ** 4,
    "P": Decimal(1000) ** 5,
    "E": Decimal(1000) ** 6,
    "Ki": Decimal(1024),
    "Mi": Decimal(1024) ** 2,
    "Gi": Decimal(1024) ** 3,
    "Ti": Decimal(1024) ** 4,
    "Pi": Decimal(1024) ** 5,
    "Ei": Decimal(1024) ** 6,
}
_DUR_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_DUR_UNIT = {
    "ns": Decimal("1e-9"),
    "us": Decimal("1e-6"),
    "µs": Decimal("1e-6"),
    "μs": Decimal("1e-6"),
    "ms": Decimal("1e-3"),
    "s": Decimal(1),
    "m": Decimal(60),
    "h": Decimal(3600),
}
_RANGE = re.compile(r"^([+-]?\d+(?:\.\d+)?[a-zA-Z]*)(!?-)([+-]?\d+(?:\.\d+)?[a-zA-Z]*)$")
_NUMBER_PREFIX = re.compile(r"^\d*(?:\.\d+)?")


@functools.lru_cache(maxsize=4096)
def _wildcard_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    for ch in pattern:
        if ch == "*":
            parts.append(".*")
        elif ch == "?":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts), re.DOTALL)


def wildcard_match(pattern: str, value: str) -> bool:
    """Kyverno ``wildcard.Match``: ``*`` any run, ``?`` one character, whole string."""
    if "*" not in pattern and "?" not in pattern:
        return pattern == value
    return _wildcard_regex(pattern).fullmatch(value) is not None


def has_wildcard(text: str) -> bool:
    """Does ``text`` contain ``*`` or ``?``."""
    return "*" in text or "?" in text


@functools.lru_cache(maxsize=4096)
def parse_quantity(text: str) -> Decimal | None:
    """A Kubernetes quantity (``250m``, ``1.5Gi``, ``1e3``) as a Decimal, else None."""
    m = _QUANTITY.match(text.strip())
    if m is None:
        return None
    number, exp, suffix = m.groups()
    mult = _SUFFIX.get(suffix)
    if mult is None:
        return None
    try:
        value = Decimal(number) * mult
        if exp:
            value *= Decimal(10) ** int(exp)
    except InvalidOperation:
        return None
    return value


@functools.lru_cache(maxsize=4096)
def parse_duration(text: str) -> Decimal | None:
    """A Go duration (``1h30m``, ``-5s``, ``0``) in seconds, else None."""
    s = text.strip()
    sign = Decimal(1)
    if s[:1] in "+-" and s:
        sign = Decimal(-1) if s[0] == "-" else Decimal(1)
        s = s[1:]
    if s == "0":
        return Decimal(0)
    pos, total = 0, Decimal(0)
    if not s:
        return None
    for m in _DUR_PART.finditer(s):
        if m.start() != pos:
            return None
        total += Decimal(m.group(1)) * _DUR_UNIT[m.group(2)]
        pos = m.end()
    if pos != len(s):
        return None
    return sign * total


def to_number(value: Any) -> Decimal | None:
    """int/float/numeric-string/quantity -> Decimal (bools are not numbers)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    if isinstance(value, str):
        return parse_quantity(value)
    return None


def compare(left: Any, right: Any) -> int | None:
    """Order two values as numbers/quantities, else durations; None if incomparable."""
    a, b = to_number(left), to_number(right)
    if a is None or b is None:
        da = parse_duration(left) if isinstance(left, str) else None
        db = parse_duration(right) if isinstance(right, str) else None
        if da is None and isinstance(left, int | float) and not isinstance(left, bool):
            da = Decimal(str(left))
        if db is None and isinstance(right, int | float) and not isinstance(right, bool):
            db = Decimal(str(right))
        if da is None or db is None:
            return None
        a, b = da, db
    return (a > b) - (a < b)


def scalar_text(value: Any) -> str | None:
    """How Kyverno stringifies a scalar for string patterns; None for maps/lists."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value
    return None


def _match_one(value: Any, pattern: str) -> bool:
    if pattern == "*":
        return value is not None
    m = _RANGE.match(pattern)
    if m is not None:
        lo, op, hi = m.groups()
        c1, c2 = compare(value, lo), compare(value, hi)
        if c1 is None or c2 is None:
            return False
        inside = c1 >= 0 and c2 <= 0
        return inside if op == "-" else not inside
    op = ""
    for candidate in (">=", "<=", ">", "<", "!"):
        if pattern.startswith(candidate):
            op = candidate
            break
    operand = pattern[len(op) :].strip()
    if op in ("", "!"):
        text = scalar_text(value)
        if text is None:
            return False
        number = _NUMBER_PREFIX.match(operand)
        if number is not None and number.group(0) and parse_quantity(operand) is not None:
            c = compare(value, operand)
            equal = c == 0 if c is not None else wildcard_match(operand, text)
        else:
            equal = wildcard_match(operand, text)
        return equal if op == "" else not equal
    c = compare(value, operand)
    if c is None:
        return False
    return {">=": c >= 0, "<=": c <= 0, ">": c > 0, "<": c < 0}[op]


def match_string_pattern(value: Any, pattern: str) -> bool:
    """A value against a Kyverno pattern string (``|`` of ``&`` of operator terms)."""
    if isinstance(value, str) and value == pattern:
        return True
    for alternative in pattern.split("|"):
        terms = [t.strip() for t in alternative.strip().split("&")]
        if all(_match_one(value, t) for t in terms):
            return True
    return False


def match_scalar(value: Any, pattern: Any) -> bool:
    """Kyverno ``ValidateValueWithPattern`` for a scalar pattern."""
    if isinstance(pattern, bool):
        return isinstance(value, bool) and value == pattern
    if isinstance(pattern, int | float):
        if isinstance(value, bool):
            return False
        if isinstance(value, int | float):
            return float(value) == float(pattern)
        if isinstance(value, str):
            n = to_number(value)
            return n is not None and n == Decimal(str(pattern))
        return False
    if pattern is None:
        return value in (None, "", 0, False) and not (isinstance(value, bool) and value)
    if isinstance(pattern, str):
        if isinstance(value, dict | list):
            return pattern == "*"
        return match_string_pattern(value, pattern)
    return False
