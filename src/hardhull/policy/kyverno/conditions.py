"""Kyverno conditions (``preconditions``, ``deny.conditions``): ``any``/``all`` blocks of
``{key, operator, value}`` after variable substitution."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hardhull.errors import HardhullError
from hardhull.policy.kyverno.values import compare, parse_duration, scalar_text, wildcard_match
from hardhull.policy.kyverno.variables import substitute


class ConditionError(HardhullError):
    """A condition uses an unknown operator or values of the wrong type."""


def _equals(key: Any, value: Any) -> bool:
    if isinstance(key, Mapping | list) or isinstance(value, Mapping | list):
        return bool(key == value)
    if isinstance(key, bool) or isinstance(value, bool):
        return scalar_text(key) == scalar_text(value)
    if isinstance(value, str) and isinstance(key, str):
        if wildcard_match(value, key):
            return True
        c = compare(key, value)
        return c == 0
    if isinstance(key, int | float) or isinstance(value, int | float):
        c = compare(key, value)
        if c is not None:
            return c == 0
    return scalar_text(key) == scalar_text(value)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if value is None:
        return []
    return [value]


def _member(item: Any, values: Any) -> bool:
    if isinstance(values, str):
        rng = _range(item, values)
        if rng is not None:
            return rng
        return _equals(item, values) or (isinstance(item, str) and wildcard_match(item, values))
    for v in _as_list(values):
        if _equals(item, v):
            return True
        if isinstance(item, str) and isinstance(v, str) and wildcard_match(item, v):
            return True
    return False


def _range(item: Any, text: str) -> bool | None:
    if "-" not in text.strip("-"):
        return None
    lo, _, hi = text.rpartition("-") if text.count("-") == 1 else (None, None, None)
    if lo is None or hi is None:
        return None
    c1, c2 = compare(item, lo), compare(item, hi)
    if c1 is None or c2 is None:
        return None
    return c1 >= 0 and c2 <= 0


def _in(key: Any, value: Any) -> bool:
    if isinstance(key, list):
        return all(_member(k, value) for k in key)
    return _member(key, value)


def _any_in(key: Any, value: Any) -> bool:
    return any(_member(k, value) for k in _as_list(key))


def _all_in(key: Any, value: Any) -> bool:
    keys = _as_list(key)
    return bool(keys) and all(_member(k, value) for k in keys)


def _any_not_in(key: Any, value: Any) -> bool:
    return any(not _member(k, value) for k in _as_list(key))


def _all_not_in(key: Any, value: Any) -> bool:
    keys = _as_list(key)
    return bool(keys) and all(not _member(k, value) for k in keys)


def _cmp(test: Callable[[int], bool]) -> Callable[[Any, Any], bool]:
    def run(key: Any, value: Any) -> bool:
        c = compare(key, value)
        return c is not None and test(c)

    return run


def _dcmp(test: Callable[[int], bool]) -> Callable[[Any, Any], bool]:
    def run(key: Any, value: Any) -> bool:
        a = parse_duration(str(key)) if key is not None else None
        b = parse_duration(str(value)) if value is not None else None
        if a is None or b is None:
            return False
        return test((a > b) - (a < b))

    return run


OPERATORS: Mapping[str, Callable[[Any, Any], bool]] = {
    "equals": _equals,
    "equal": _equals,
    "notequals": lambda k, v: not _equals(k, v),
    "notequal": lambda k, v: not _equals(k, v),
    "in": _in,
    "notin": lambda k, v: not _in(k, v),
    "anyin": _any_in,
    "allin": _all_in,
    "anynotin": _any_not_in,
    "allnotin": _all_not_in,
    "greaterthan": _cmp(lambda c: c > 0),
    "greaterthanorequals": _cmp(lambda c: c >= 0),
    "lessthan": _cmp(lambda c: c < 0),
    "lessthanorequals": _cmp(lambda c: c <= 0),
    "durationgreaterthan": _dcmp(lambda c: c > 0),
    "durationgreaterthanorequals": _dcmp(lambda c: c >= 0),
    "durationlessthan": _dcmp(lambda c: c < 0),
    "durationlessthanorequals": _dcmp(lambda c: c <= 0),
}


def check_operator(name: Any) -> str:
    """The normalised operator name, or ConditionError when unknown."""
    key = str(name).lower()
    if key not in OPERATORS:
        raise ConditionError(f"unknown condition operator {name!r}")
    return key


def _one(cond: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    op = OPERATORS[check_operator(cond.get("operator"))]
    key = substitute(cond.get("key"), data)
    value = substitute(cond.get("value"), data)
    return op(key, value)


def evaluate(block: Any, data: Mapping[str, Any]) -> bool:
    """A conditions block: a list (all must hold) or ``{any: [...], all: [...]}``."""
    if block is None:
        return True
    if isinstance(block, list):
        return all(_one(c, data) for c in block)
    if not isinstance(block, Mapping):
        raise ConditionError("conditions must be a list or an any/all map")
    any_list = block.get("any")
    all_list = block.get("all")
    if any_list and not any(_one(c, data) for c in any_list):
        return False
    return not (all_list and not all(_one(c, data) for c in all_list))


def validate_block(block: Any) -> None:
    """Load-time check: every operator is known."""
    if block is None:
        return
    items: list[Any] = []
    if isinstance(block, list):
        items = block
    elif isinstance(block, Mapping):
        items = list(block.get("any") or []) + list(block.get("all") or [])
    else:
        raise ConditionError("conditions must be a list or an any/all map")
    for c in items:
        if not isinstance(c, Mapping):
            raise ConditionError("a condition must be a map with key/operator/value")
        check_operator(c.get("operator"))
