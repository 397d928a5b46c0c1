"""Kubernetes resource quantities (``1Gi``, ``500m``, ``1e3``) as exact fractions.

Semantics follow ``k8s.io/apimachinery/pkg/api/resource``: a signed decimal number with
an optional binary (``Ki``..``Ei``), decimal (``n``..``E``) or exponent (``e3``) suffix.
A quantity travels through CEL as a tagged ``map<string, string>`` holding its reduced
numerator and denominator, so two quantities of equal value compare equal with ``==``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from functools import lru_cache

TAG = "__quantity__"

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_RE = re.compile(
    r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))([eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE]?)$"
)
_POW1024 = [1 << (10 * i) for i in range(7)]
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


def parse(text: str) -> Fraction:
    """The exact value of a quantity string; ``ValueError`` when it is not one."""
    m = _RE.match(text)
    if m is None:
        raise ValueError(f"quantities must match the regular expression: invalid {text!r}")
    number, suffix = m.group(1), m.group(2)
    value = Fraction(number)
    if suffix in _BINARY:
        return value * Fraction(_POW1024[_BINARY[suffix]])
    if suffix[:1] in ("e", "E") and len(suffix) > 1:
        return value * Fraction(
            10 ** int(suffix[1:]) if int(suffix[1:]) >= 0 else Fraction(1, 10 ** -int(suffix[1:]))
        )
    exp = _DECIMAL[suffix]
    return value * (Fraction(10**exp) if exp >= 0 else Fraction(1, 10**-exp))


def is_quantity(text: str) -> bool:
    """``isQuantity(string)``."""
    return _RE.match(text) is not None


def to_cel(value: Fraction) -> dict[str, str]:
    """Encode a value for CEL."""
    return {TAG: "1", "n": str(value.numerator), "d": str(value.denominator)}


def from_cel(value: Mapping[str, str]) -> Fraction:
    """Decode a CEL quantity; ``ValueError`` when the map is not one."""
    if not isinstance(value, Mapping) or TAG not in value:
        raise ValueError("no such overload: expected a quantity")
    return _fraction(value["n"], value["d"])


@lru_cache(maxsize=4096)
def _fraction(n: str, d: str) -> Fraction:
    return Fraction(int(n), int(d))


def make(text: str) -> dict[str, str]:
    """``quantity(string)`` (cached where env.py registers it)."""
    return to_cel(parse(text))


def sign(q: Mapping[str, str]) -> int:
    """``q.sign()``: -1, 0 or 1."""
    v = from_cel(q)
    return (v > 0) - (v < 0)


def is_integer(q: Mapping[str, str]) -> bool:
    """``q.isInteger()``: representable as an int64."""
    v = from_cel(q)
    return v.denominator == 1 and _INT64_MIN <= v.numerator <= _INT64_MAX


def as_integer(q: Mapping[str, str]) -> int:
    """``q.asInteger()``; an error when not an integer or out of int64 range."""
    if not is_integer(q):
        raise ValueError("cannot convert value to integer")
    return from_cel(q).numerator


def as_float(q: Mapping[str, str]) -> float:
    """``q.asApproximateFloat()``."""
    return float(from_cel(q))


def compare(a: Mapping[str, str], b: Mapping[str, str]) -> int:
    """``a.compareTo(b)``: -1, 0 or 1."""
    x, y = from_cel(a), from_cel(b)
    return (x > y) - (x < y)


def less(a: Mapping[str, str], b: Mapping[str, str]) -> bool:
    """``a.isLessThan(b)``."""
    return from_cel(a) < from_cel(b)


def greater(a: Mapping[str, str], b: Mapping[str, str]) -> bool:
    """``a.isGreaterThan(b)``."""
    return from_cel(a) > from_cel(b)


def add(a: Mapping[str, str], b: Mapping[str, str]) -> dict[str, str]:
    """``a.add(b)``."""
    return to_cel(from_cel(a) + from_cel(b))


def add_int(a: Mapping[str, str], b: int) -> dict[str, str]:
    """``a.add(int)``."""
    return to_cel(from_cel(a) + b)


def sub(a: Mapping[str, str], b: Mapping[str, str]) -> dict[str, str]:
    """``a.sub(b)``."""
    return to_cel(from_cel(a) - from_cel(b))


def sub_int(a: Mapping[str, str], b: int) -> dict[str, str]:
    """``a.sub(int)``."""
    return to_cel(from_cel(a) - b)
