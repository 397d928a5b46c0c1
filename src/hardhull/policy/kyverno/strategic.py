"""Kyverno ``patchStrategicMerge``: an overlay with anchors merged into a resource.

Merge rules (Kubernetes strategic merge as policies use it): maps merge recursively, a
``null`` overlay value deletes the key, lists of maps merge element by element on their
``name`` key (containers, initContainers, volumes, env, ports, ...; an element without a
match is appended), any other list replaces the resource's list.

Anchors in overlay keys (Kyverno's mutate anchors):

- ``(key): pattern`` conditional: the overlay map it sits in applies only if the
  resource's ``key`` matches ``pattern`` (validate pattern semantics). In a list element
  the element is merged into every resource element that matches; a mismatch outside
  any list leaves the whole resource unchanged.
- ``+(key): value`` add-if-not-present: set only when the resource has no ``key``.
- ``<(key): pattern`` global: if it does not match, nothing of the patch applies (in a
  list element: nothing applies unless some resource element matches, or the resource
  has no such list at all).

The conditional and global anchors' own values are conditions: they are not written.
Anchors that Kyverno documents for validation only (``=()``, ``^()``, ``X()``) are
rejected by :func:`check_overlay` at load time, as are strategic-merge directives
(``$patch``, ``$retainKeys``, ...).
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Mapping
from typing import Any

from hardhull.errors import HardhullError
from hardhull.policy.kyverno.pattern import Status, match_pattern, split_anchor

_MISSING: Any = object()
_CONDITIONS = ("(", "<(")
_MUTATE_ANCHORS = ("", "(", "<(", "+(")


class OverlayError(HardhullError):
    """An overlay that cannot be used (found at load time)."""


class _Condition(Exception):
    """A conditional anchor did not hold (skips the enclosing map or list element)."""


class _Global(Exception):
    """A global anchor did not hold (skips the whole patch)."""


def check_overlay(overlay: Any, path: str = "") -> None:
    """Load-time check: a map at the top, only mutate anchors, no SMP directives."""
    if not path and not isinstance(overlay, Mapping):
        raise OverlayError("patchStrategicMerge must be a map")
    if isinstance(overlay, Mapping):
        for key, value in overlay.items():
            text = str(key)
            anchor, name = split_anchor(text)
            here = f"{path}/{name}"
            if anchor not in _MUTATE_ANCHORS:
                raise OverlayError(f"anchor {anchor}) at {here} is not supported in mutate rules")
            if name.startswith("$"):
                raise OverlayError(f"strategic merge directive {name} at {here} is not supported")
            check_overlay(value, here)
    elif isinstance(overlay, list):
        for i, item in enumerate(overlay):
            check_overlay(item, f"{path}/{i}")


def _has_anchor(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(split_anchor(str(k))[0] or _has_anchor(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_anchor(v) for v in value)
    return False


def _has_global(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(split_anchor(str(k))[0] == "<(" or _has_global(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_global(v) for v in value)
    return False


def _plain(value: Any) -> Any:
    """An overlay value written where the resource has nothing: anchors resolved
    against absence (conditions fail, add-if-not-present keys are added)."""
    return _merge(_MISSING, value)


def _merge(resource: Any, overlay: Any) -> Any:
    if isinstance(overlay, Mapping):
        return _merge_map(resource if isinstance(resource, Mapping) else _MISSING, overlay)
    if isinstance(overlay, list):
        if isinstance(resource, list):
            return _merge_list(resource, overlay)
        if _has_global(overlay):  # a global anchor on a list the resource lacks fails
            raise _Global("list")
        return _merge_list([], overlay)
    return copy.deepcopy(overlay)


def _holds(resource: Any, name: str, pattern: Any) -> bool:
    if resource is _MISSING or name not in resource:
        return False
    return match_pattern(resource[name], pattern).status == Status.OK


def _merge_map(resource: Any, overlay: Mapping[str, Any]) -> Any:
    entries = [(split_anchor(str(k)), v) for k, v in overlay.items()]
    for (anchor, name), pattern in entries:
        if anchor == "<(" and not _holds(resource, name, pattern):
            raise _Global(name)
    for (anchor, name), pattern in entries:
        if anchor == "(" and not _holds(resource, name, pattern):
            raise _Condition(name)
    out: dict[str, Any] = dict(resource) if resource is not _MISSING else {}
    for (anchor, name), value in entries:
        if anchor == "+(":
            if name not in out:
                out[name] = _plain(value)
        elif anchor in _CONDITIONS:
            if isinstance(value, Mapping | list) and _has_anchor(value):
                out[name] = _merge(out[name], value)  # nested anchors act on the resource
        elif value is None:
            out.pop(name, None)
        else:
            out[name] = _merge(out.get(name, _MISSING), value)
    return out


def _merge_list(resource: list[Any], overlay: list[Any]) -> list[Any]:
    if not overlay or not all(isinstance(item, Mapping) for item in overlay):
        return [copy.deepcopy(item) for item in overlay]
    anchored = [item for item in overlay if _has_anchor(item)]
    named = all("name" in item for item in overlay if item not in anchored)
    if not anchored and not named:
        return [_plain(item) for item in overlay]
    out = list(resource)
    for item in overlay:
        if "name" in item:
            _merge_named(out, item)
        elif item in anchored:
            _merge_each(out, item)
        else:
            out.append(_plain(item))
    return out


def _merge_named(out: list[Any], item: Mapping[str, Any]) -> None:
    for i, existing in enumerate(out):
        if isinstance(existing, Mapping) and existing.get("name") == item["name"]:
            with contextlib.suppress(_Condition):
                out[i] = _merge(existing, item)
            return
    with contextlib.suppress(_Condition):
        out.append(_plain(item))


def _merge_each(out: list[Any], item: Mapping[str, Any]) -> None:
    """An anchored element: merged into every resource element it matches."""
    is_global = _has_global(item)
    failed_global: _Global | None = None
    passed = False
    for i, existing in enumerate(out):
        try:
            merged = _merge(existing, item)
        except _Condition:
            continue
        except _Global as exc:
            failed_global = exc
            continue
        passed = True
        if not is_global:
            out[i] = merged
    if is_global and not passed and failed_global is not None:
        raise failed_global


def strategic_merge(resource: Any, overlay: Mapping[str, Any]) -> Any:
    """``resource`` with ``overlay`` merged in (a new object); unchanged when a
    conditional anchor outside lists or a global anchor does not hold."""
    try:
        return _merge(resource, overlay)
    except (_Condition, _Global):
        return copy.deepcopy(resource)


__all__ = ["OverlayError", "check_overlay", "strategic_merge"]
