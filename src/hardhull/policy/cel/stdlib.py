"""The Kubernetes CEL string, list and regex libraries, implemented in Python.

Semantics follow cel-go's ``ext.Strings`` (version 2) and
``k8s.io/apiserver/pkg/cel/library`` (lists.go, regex.go): indices count code points,
out-of-range arguments are errors, ``min``/``max`` of an empty list is an error.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any


def char_at(s: str, i: int) -> str:
    """``s.charAt(i)``; ``i == size(s)`` gives ``""``."""
    if i < 0 or i > len(s):
        raise ValueError(f"index out of range: {i}")
    return s[i : i + 1]


def index_of(s: str, sub: str) -> int:
    """``s.indexOf(sub)``."""
    return s.find(sub)


def index_of_from(s: str, sub: str, offset: int) -> int:
    """``s.indexOf(sub, offset)``."""
    if offset < 0 or offset > len(s):
        raise ValueError(f"index out of range: {offset}")
    return s.find(sub, offset)


def last_index_of(s: str, sub: str) -> int:
    """``s.lastIndexOf(sub)``."""
    return s.rfind(sub)


def last_index_of_from(s: str, sub: str, offset: int) -> int:
    """``s.lastIndexOf(sub, offset)``: the last match starting at or before offset."""
    if offset < 0 or offset > len(s):
        raise ValueError(f"index out of range: {offset}")
    return s.rfind(sub, 0, offset + len(sub))


def lower_ascii(s: str) -> str:
    """``s.lowerAscii()``: only ASCII letters change."""
    return s.translate(_LOWER)


def upper_ascii(s: str) -> str:
    """``s.upperAscii()``: only ASCII letters change."""
    return s.translate(_UPPER)


_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_UPPER = {c: c - 32 for c in range(ord("a"), ord("z") + 1)}


def replace(s: str, old: str, new: str) -> str:
    """``s.replace(old, new)``."""
    return s.replace(old, new)


def replace_n(s: str, old: str, new: str, n: int) -> str:
    """``s.replace(old, new, n)``; negative n replaces all."""
    return s.replace(old, new, n if n >= 0 else -1)


def split(s: str, sep: str) -> list[str]:
    """``s.split(sep)``; an empty separator splits into characters."""
    return list(s) if sep == "" else s.split(sep)


def split_n(s: str, sep: str, n: int) -> list[str]:
    """``s.split(sep, n)`` with Go ``SplitN`` semantics."""
    if n == 0:
        return []
    if n < 0:
        return split(s, sep)
    if sep == "":
        chars = list(s)
        return [*chars[: n - 1], "".join(chars[n - 1 :])] if len(chars) > n else chars
    return s.split(sep, n - 1)


def substring(s: str, start: int) -> str:
    """``s.substring(start)``."""
    if start < 0 or start > len(s):
        raise ValueError(f"index out of range: {start}")
    return s[start:]


def substring_range(s: str, start: int, end: int) -> str:
    """``s.substring(start, end)``."""
    if start < 0 or start > len(s) or end < start or end > len(s):
        raise ValueError(f"invalid substring range. start: {start}, end: {end}")
    return s[start:end]


def trim(s: str) -> str:
    """``s.trim()``: strip leading and trailing Unicode whitespace."""
    return s.strip()


def join(items: Sequence[Any]) -> str:
    """``list.join()``."""
    return join_sep(items, "")


def join_sep(items: Sequence[Any], sep: str) -> str:
    """``list.join(sep)``; every element must be a string."""
    if not all(isinstance(x, str) for x in items):
        raise ValueError("join: list elements must be strings")
    return sep.join(items)


def _check_homogeneous(items: Sequence[Any]) -> list[Any]:
    values = list(items)
    kinds = {type(v) for v in values}
    if len(kinds) > 1 and not kinds <= {int, float}:
        raise ValueError("no such overload: list elements are not comparable")
    return values


def is_sorted(items: Sequence[Any]) -> bool:
    """``list.isSorted()``."""
    values = _check_homogeneous(items)
    return all(a <= b for a, b in itertools.pairwise(values))


def list_sum(items: Sequence[Any]) -> Any:
    """``list.sum()``: 0 for an empty list."""
    values = _check_homogeneous(items)
    if values and not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise ValueError("no such overload: sum() needs numbers")
    return sum(values)


def list_min(items: Sequence[Any]) -> Any:
    """``list.min()``; an error for an empty list."""
    values = _check_homogeneous(items)
    if not values:
        raise ValueError("min called on empty list")
    return min(values)


def list_max(items: Sequence[Any]) -> Any:
    """``list.max()``; an error for an empty list."""
    values = _check_homogeneous(items)
    if not values:
        raise ValueError("max called on empty list")
    return max(values)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


def list_index_of(items: Sequence[Any], value: Any) -> int:
    """``list.indexOf(value)``."""
    return next((i for i, v in enumerate(items) if _equal(v, value)), -1)


def list_last_index_of(items: Sequence[Any], value: Any) -> int:
    """``list.lastIndexOf(value)``."""
    values = list(items)
    return next((i for i in range(len(values) - 1, -1, -1) if _equal(values[i], value)), -1)


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None


def find(s: str, pattern: str) -> str:
    """``s.find(regex)``: the first match, or ``""``."""
    m = _regex(pattern).search(s)
    return m.group(0) if m else ""


def find_all(s: str, pattern: str) -> list[str]:
    """``s.findAll(regex)``."""
    return [m.group(0) for m in _regex(pattern).finditer(s)]


def find_all_n(s: str, pattern: str, n: int) -> list[str]:
    """``s.findAll(regex, n)``; negative n means all."""
    found = find_all(s, pattern)
    return found if n < 0 else found[:n]
