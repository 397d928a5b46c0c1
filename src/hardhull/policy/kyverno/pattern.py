"""Kyverno's structural pattern matcher: the pattern tree walked in lockstep with the resource.

Anchors on map keys: ``(k)`` conditional (mismatch or absence skips this level),
``=(k)`` equality-if-present, ``X(k)`` negation (must be absent), ``^(k)`` existence (at
least one list element matches), ``<(k)`` global (mismatch skips the whole rule) and
``+(k)`` add-if-absent (a mutate anchor; in validation it acts like ``=(k)``).
The outcome is a typed :class:`Outcome`, never a classified error string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from hardhull.policy.kyverno.values import has_wildcard, match_scalar, wildcard_match

_ANCHOR = re.compile(r"^(\(|=\(|X\(|\^\(|<\(|\+\()(.+)\)$")


class Status(Enum):
    """How a pattern (or part of it) went."""

    OK = "ok"
    FAIL = "fail"
    SKIP = "skip"  # a conditional anchor did not hold
    GLOBAL_SKIP = "global-skip"  # a global anchor did not hold


@dataclass(frozen=True, slots=True)
class Outcome:
    """A pattern verdict with the path of the first mismatch."""

    status: Status
    path: str = ""
    detail: str = ""


OK = Outcome(Status.OK)


def split_anchor(key: str) -> tuple[str, str]:
    """``"=(name)"`` -> ``("=(", "name")``; a plain key -> ``("", key)``."""
    m = _ANCHOR.match(key)
    if m is None:
        return "", key
    return m.group(1), m.group(2)


def _skipping(o: Outcome) -> bool:
    return o.status in (Status.SKIP, Status.GLOBAL_SKIP)


def _contains_anchor(pattern: Any) -> bool:
    if isinstance(pattern, Mapping):
        return any(split_anchor(str(k))[0] or _contains_anchor(v) for k, v in pattern.items())
    if isinstance(pattern, list):
        return any(_contains_anchor(v) for v in pattern)
    return False


def match_pattern(resource: Any, pattern: Any, path: str = "/") -> Outcome:
    """Match ``resource`` against ``pattern``; OK, FAIL (with path) or a skip."""
    if isinstance(pattern, Mapping):
        if not isinstance(resource, Mapping):
            return Outcome(Status.FAIL, path, f"expected a map at {path}")
        return _match_map(resource, pattern, path)
    if isinstance(pattern, list):
        if not isinstance(resource, list):
            return Outcome(Status.FAIL, path, f"expected a list at {path}")
        return _match_list(resource, pattern, path)
    if isinstance(resource, list):
        for item in resource:
            if not match_scalar(item, pattern):
                return Outcome(Status.FAIL, path, f"value {item!r} does not match {pattern!r}")
        return OK
    if not match_scalar(resource, pattern):
        return Outcome(Status.FAIL, path, f"value {resource!r} does not match {pattern!r}")
    return OK


def _expand_wildcards(resource: Mapping[str, Any], pattern: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pattern.items():
        anchor, name = split_anchor(str(key))
        if has_wildcard(name):
            hits = [k for k in resource if wildcard_match(name, str(k))]
            if hits:
                for hit in hits:
                    out[f"{anchor}{hit})" if anchor else hit] = value
                continue
        out[str(key)] = value
    return out


@dataclass(frozen=True, slots=True)
class _Plan:
    """A pattern mapping taken apart once: anchored (conditional/global) keys first, then
    the others with anchor-bearing values first, as Kyverno evaluates them."""

    anchored: tuple[tuple[str, str, Any], ...]
    plain: tuple[tuple[str, str, Any], ...]


# Plans by pattern identity. Patterns live as long as their compiled policy; patterns
# rebuilt per request (variables substituted) just churn through. The stored pattern
# object is compared by identity, so a reused id can never return a stale plan.
_PLANS: dict[int, tuple[Mapping[str, Any], _Plan]] = {}
_MAX_PLANS = 4096


def _make_plan(pattern: Mapping[str, Any]) -> _Plan:
    anchored: list[tuple[str, str, Any]] = []
    plain: list[tuple[str, str, Any]] = []
    for key, value in pattern.items():
        kind, name = split_anchor(str(key))
        (anchored if kind in ("(", "<(") else plain).append((kind, name, value))
    plain.sort(key=lambda entry: 0 if _contains_anchor(entry[2]) else 1)
    return _Plan(tuple(anchored), tuple(plain))


def _plan_for(pattern: Mapping[str, Any]) -> _Plan | None:
    """The cached plan of a pattern without wildcard keys (``None`` when it has some)."""
    key = id(pattern)
    hit = _PLANS.get(key)
    if hit is not None and hit[0] is pattern:
        return hit[1]
    if any(has_wildcard(split_anchor(str(k))[1]) for k in pattern):
        return None
    plan = _make_plan(pattern)
    if len(_PLANS) >= _MAX_PLANS:
        _PLANS.clear()
    _PLANS[key] = (pattern, plan)
    return plan


def _match_map(resource: Mapping[str, Any], pattern: Mapping[str, Any], path: str) -> Outcome:
    plan = _plan_for(pattern)
    if plan is None:  # wildcard keys depend on the resource: plan it per call
        plan = _make_plan(_expand_wildcards(resource, pattern))
    for kind, name, sub in plan.anchored:
        here = f"{path}{name}/"
        if name not in resource:
            status = Status.SKIP if kind == "(" else Status.GLOBAL_SKIP
            return Outcome(status, here, f"conditional anchor key {name} is absent")
        inner = match_pattern(resource[name], sub, here)
        if inner.status == Status.GLOBAL_SKIP:
            return inner
        if inner.status != Status.OK:
            status = Status.SKIP if kind == "(" else Status.GLOBAL_SKIP
            return Outcome(status, inner.path, inner.detail)
    for kind, name, sub in plan.plain:
        here = f"{path}{name}/"
        present = name in resource
        if kind == "X(":
            if present:
                return Outcome(Status.FAIL, here, f"field {name} is not allowed")
            continue
        if kind in ("=(", "+("):
            if not present:
                continue
            inner = match_pattern(resource[name], sub, here)
        elif kind == "^(":
            inner = _match_existence(resource.get(name), sub, here)
        else:
            value = resource.get(name)
            if not present and isinstance(sub, Mapping | list):
                return Outcome(Status.FAIL, here, f"field {name} is required")
            inner = match_pattern(value, sub, here)
        if inner.status != Status.OK:
            return inner
    return OK


def _match_existence(value: Any, pattern: Any, path: str) -> Outcome:
    if not isinstance(value, list) or not isinstance(pattern, list) or not pattern:
        return Outcome(Status.FAIL, path, "existence anchor needs a list")
    for i, item in enumerate(value):
        if match_pattern(item, pattern[0], f"{path}{i}/").status == Status.OK:
            return OK
    return Outcome(Status.FAIL, path, "no list element matches the existence anchor")


def _match_list(resource: list[Any], pattern: list[Any], path: str) -> Outcome:
    if not pattern:
        return Outcome(Status.FAIL, path, "empty pattern list")
    first = pattern[0]
    if isinstance(first, Mapping):
        items: list[tuple[Any, Any]] = [(item, first) for item in resource]
    elif not isinstance(first, list):
        return match_pattern(resource, first, path)
    else:
        if len(resource) < len(pattern):
            return Outcome(Status.FAIL, path, "list shorter than pattern")
        items = list(zip(resource, pattern, strict=False))
    applied, skips = 0, []
    for i, (item, sub) in enumerate(items):
        inner = match_pattern(item, sub, f"{path}{i}/")
        if _skipping(inner):
            skips.append(inner)
            continue
        if inner.status != Status.OK:
            return inner
        applied += 1
    if applied == 0 and skips:
        worst = next((s for s in skips if s.status == Status.GLOBAL_SKIP), skips[0])
        return Outcome(worst.status, path, worst.detail)
    return OK
