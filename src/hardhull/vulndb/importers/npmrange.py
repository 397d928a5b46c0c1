"""npm semver range text -> OSV ``SEMVER`` ranges, where that is exactly expressible.

Translated: ``||`` unions of comparator sets; comparators ``<``, ``<=``, ``>``, ``>=``,
``=`` and bare versions (spaces after the operator allowed); partial versions (``4``,
``4.x``, ``4.1.*``, ``*``); caret ``^`` and tilde ``~``; hyphen ranges ``A - B``. Each
comparator set becomes one interval; ``vulnerable minus patched`` is computed, so
``8.x`` minus ``^8.1.4`` is ``>=8.0.0 <8.1.4``. Exclusive lower bounds ``>V`` become
``introduced`` at the next possible SemVer version (``2.0.0`` -> ``2.0.1-0``,
``1.0.0-rc.1`` -> ``1.0.0-rc.1.0``), which is exact in SemVer order.

One known difference: npm excludes pre-release versions from a range unless a comparator
of the same ``major.minor.patch`` names a pre-release; OSV SEMVER ranges do not, so a
translated range may also cover pre-releases that npm would not. Anything else (loose
versions such as ``1.2.3.4``, unknown operators) raises :class:`RangeSyntaxError`, and the
importer keeps the original text as a coverage note instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hardhull.model import AffectedRange, EventKind, RangeEvent

_VERSION = re.compile(
    r"^v?(?P<major>0|[1-9]\d*|[xX*])(?:\.(?P<minor>0|[1-9]\d*|[xX*]))?"
    r"(?:\.(?P<patch>0|[1-9]\d*|[xX*]))?(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)
_OP = re.compile(r"^(<=|>=|<|>|=|\^|~>?)?(.*)$")
_WILD = frozenset({"x", "X", "*"})

Key = tuple[object, ...]


class RangeSyntaxError(ValueError):
    """The range text uses something this translation does not express exactly."""


@dataclass(frozen=True, slots=True)
class _Bound:
    key: Key
    text: str
    inclusive: bool


_Interval = tuple[_Bound | None, _Bound | None]


def _key(major: int, minor: int, patch: int, pre: str | None) -> Key:
    if pre is None:
        return (major, minor, patch, 1, ())
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (major, minor, patch, 0, parts)


def _bound(major: int, minor: int, patch: int, pre: str | None, inclusive: bool) -> _Bound:
    text = f"{major}.{minor}.{patch}" + (f"-{pre}" if pre else "")
    return _Bound(_key(major, minor, patch, pre), text, inclusive)


def _partial(text: str) -> tuple[list[int], str | None]:
    """The numeric parts given (wildcards end the list) and the pre-release."""
    match = _VERSION.match(text)
    if match is None:
        raise RangeSyntaxError(f"not a SemVer version: {text!r}")
    parts: list[int] = []
    for name in ("major", "minor", "patch"):
        value = match.group(name)
        if value is None or value in _WILD:
            break
        parts.append(int(value))
    pre = match.group("pre")
    if pre is not None and len(parts) < 3:
        raise RangeSyntaxError(f"pre-release on a partial version: {text!r}")
    return parts, pre


def _next_prefix(parts: list[int]) -> _Bound | None:
    """Exclusive upper bound just past every version starting with ``parts``."""
    if not parts:
        return None
    bumped = [*parts[:-1], parts[-1] + 1] + [0] * (3 - len(parts))
    return _bound(bumped[0], bumped[1], bumped[2], "0", False)


def _lower_of(parts: list[int]) -> _Bound | None:
    if not parts:
        return None
    full = parts + [0] * (3 - len(parts))
    return _bound(full[0], full[1], full[2], None, True)


def _comparator(token: str) -> _Interval:
    op_match = _OP.match(token)
    assert op_match is not None
    op, text = op_match.group(1) or "", op_match.group(2)
    if text in ("", "*", "x", "X") and op in ("", "="):
        return (None, None)
    parts, pre = _partial(text)
    exact = len(parts) == 3
    if op in ("", "="):
        if exact:
            point = _bound(parts[0], parts[1], parts[2], pre, True)
            return (point, point)
        return (_lower_of(parts), _next_prefix(parts))
    if op == ">=":
        if exact:
            return (_bound(parts[0], parts[1], parts[2], pre, True), None)
        return (_lower_of(parts), None)
    if op == "<":
        if exact:
            return (None, _bound(parts[0], parts[1], parts[2], pre, False))
        lower = _lower_of(parts)
        return (None, None if lower is None else _bound(*_nums(lower), "0", False))
    if op == "<=":
        if exact:
            return (None, _bound(parts[0], parts[1], parts[2], pre, True))
        return (None, _next_prefix(parts))
    if op == ">":
        if exact:
            return (_successor(_bound(parts[0], parts[1], parts[2], pre, False)), None)
        upper = _next_prefix(parts)
        if upper is None:
            raise RangeSyntaxError("'>*' matches nothing")
        return (_Bound(upper.key, upper.text, True), None)
    if op == "^":
        full = parts + [0] * (3 - len(parts))
        lower = _bound(full[0], full[1], full[2], pre, True) if parts else None
        keep = next((i for i, n in enumerate(full) if n != 0), len(parts) - 1)
        keep = min(keep, len(parts) - 1) if parts else -1
        return (lower, _next_prefix(parts[: keep + 1]) if parts else None)
    if op in ("~", "~>"):
        full = parts + [0] * (3 - len(parts))
        lower = _bound(full[0], full[1], full[2], pre, True) if parts else None
        prefix = parts[:2] if len(parts) >= 2 else parts[:1]
        return (lower, _next_prefix(prefix))
    raise RangeSyntaxError(f"unknown operator {op!r}")


def _successor(bound: _Bound) -> _Bound:
    """The smallest version above ``bound`` as an inclusive bound (exact in SemVer)."""
    major, minor, patch = _nums(bound)
    pre = bound.text.partition("-")[2] or None
    if pre is None:
        return _bound(major, minor, patch + 1, "0", True)
    return _bound(major, minor, patch, pre + ".0", True)


def _nums(bound: _Bound) -> tuple[int, int, int]:
    major, minor, patch = bound.key[:3]
    return int(major), int(minor), int(patch)  # type: ignore[call-overload]


def _lower_max(a: _Bound | None, b: _Bound | None) -> _Bound | None:
    if a is None or b is None:
        return b if a is None else a
    if a.key != b.key:
        return a if a.key > b.key else b
    return a if not a.inclusive else b


def _upper_min(a: _Bound | None, b: _Bound | None) -> _Bound | None:
    if a is None or b is None:
        return b if a is None else a
    if a.key != b.key:
        return a if a.key < b.key else b
    return a if not a.inclusive else b


def _empty(interval: _Interval) -> bool:
    lo, hi = interval
    if lo is None or hi is None:
        return False
    if lo.key != hi.key:
        return bool(lo.key > hi.key)
    return not (lo.inclusive and hi.inclusive)


def _intersect(a: _Interval, b: _Interval) -> _Interval:
    return (_lower_max(a[0], b[0]), _upper_min(a[1], b[1]))


def _parse_set(text: str) -> _Interval:
    text = re.sub(r"(<=|>=|<|>|=|\^|~>?)\s+", r"\1", text.strip())
    hyphen = re.fullmatch(r"(\S+)\s+-\s+(\S+)", text)
    if hyphen:
        low = _comparator(">=" + hyphen.group(1))
        high = _comparator("<=" + hyphen.group(2))
        return _intersect(low, high)
    interval: _Interval = (None, None)
    for token in text.split():
        interval = _intersect(interval, _comparator(token))
    return interval


def parse_npm_range(text: str) -> list[_Interval]:
    """The non-empty intervals of an npm range (a union)."""
    if len(text) > 2000:
        raise RangeSyntaxError("range text longer than 2000 characters")
    out = [_parse_set(part) for part in text.split("||")]
    return [iv for iv in out if not _empty(iv)]


def _subtract(intervals: list[_Interval], removed: list[_Interval]) -> list[_Interval]:
    for lo, hi in removed:
        pieces: list[_Interval] = []
        for iv in intervals:
            if lo is not None:
                pieces.append(_intersect(iv, (None, _Bound(lo.key, lo.text, not lo.inclusive))))
            if hi is not None:
                pieces.append(_intersect(iv, (_Bound(hi.key, hi.text, not hi.inclusive), None)))
        intervals = [iv for iv in pieces if not _empty(iv)]
    return intervals


def translate(vulnerable: str, patched: str | None) -> tuple[AffectedRange, ...]:
    """OSV SEMVER ranges for ``vulnerable`` minus ``patched`` (npm range texts)."""
    intervals = parse_npm_range(vulnerable)
    if patched and patched.strip():
        intervals = _subtract(intervals, parse_npm_range(patched))
    intervals.sort(key=lambda iv: (iv[0] is not None, iv[0].key if iv[0] else ()))
    ranges = []
    for lo, hi in intervals:
        if lo is not None and not lo.inclusive:
            lo = _successor(lo)
        events = [RangeEvent(EventKind.INTRODUCED, "0" if lo is None else lo.text)]
        if hi is not None:
            kind = EventKind.LAST_AFFECTED if hi.inclusive else EventKind.FIXED
            events.append(RangeEvent(kind, hi.text))
        ranges.append(AffectedRange("SEMVER", tuple(events)))
    return tuple(ranges)
