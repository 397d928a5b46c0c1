"""OSV ``affected[]`` evaluation: explicit ``versions[]`` and ``ECOSYSTEM``/``SEMVER`` ranges.

Semantics follow the OSV schema's evaluation rules:

- ``versions[]`` lists affected versions; membership is exact string equality.
- A range's events are sorted by the range's version order (``introduced: "0"`` first,
  ``limit: "*"`` last), then walked: an ``introduced`` at or below the version makes it
  affected, a ``fixed`` at or below it or a ``last_affected`` below it makes it
  unaffected. When the range has ``limit`` events, the version must also be below one.
- ``ECOSYSTEM`` ranges use the ecosystem's scheme; ``SEMVER`` ranges use SemVer 2.0
  (the Go scheme for ``Go``, which tolerates the ``v`` prefix and ``go1.N`` tags).
- ``GIT`` ranges (and unknown types) cannot be evaluated from a version and are skipped;
  :func:`has_only_git_ranges` tells the caller when that left nothing to evaluate.
- An event whose version the scheme cannot parse is skipped (and listed in
  :attr:`CompiledRange.skipped`), never fatal; an unparsable installed version raises
  :class:`VersionError` when there is a range to evaluate.

Ranges are compiled once per ``Affected`` (parsed, sorted) and the compiled form is
cached, so repeated matching is key comparisons only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hardhull.model import Affected, AffectedRange, EventKind
from hardhull.version._common import Scheme
from hardhull.version.ecosystems import SCHEMES, scheme_for

__all__ = [
    "CompiledAffected",
    "CompiledRange",
    "RangeMatch",
    "affected_by",
    "compile_affected",
    "has_only_git_ranges",
]

_EVALUABLE = frozenset({"ECOSYSTEM", "SEMVER"})
_BOTTOM: tuple[int, Any] = (0, None)
_TOP: tuple[int, Any] = (2, None)


@dataclass(frozen=True, slots=True)
class RangeMatch:
    """Why a version is affected: a readable range (``>=1.0, <1.2.3`` or ``listed in
    versions[]``) and the fixed versions that range names above the version, lowest
    first (may be empty)."""

    description: str
    fixed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Event:
    kind: EventKind
    value: str
    key: tuple[int, Any]


@dataclass(frozen=True, slots=True)
class CompiledRange:
    """One evaluable range: its scheme, events sorted by version, skipped events."""

    scheme: Scheme
    events: tuple[_Event, ...]
    limits: tuple[tuple[int, Any], ...]
    skipped: tuple[str, ...] = ()

    def match(self, key: tuple[int, Any]) -> RangeMatch | None:
        """The match for an installed version's ``(1, parsed)`` key, or ``None``."""
        if self.limits and not any(key < lim for lim in self.limits):
            return None
        start: _Event | None = None
        last = -1
        for i, ev in enumerate(self.events):
            if ev.kind is EventKind.INTRODUCED:
                if not key < ev.key:
                    if start is None:
                        start = ev
                    last = i
            elif ev.kind is EventKind.FIXED:
                if not key < ev.key:
                    start, last = None, i
            elif ev.kind is EventKind.LAST_AFFECTED and ev.key < key:
                start, last = None, i
        if start is None:
            return None
        parts = [f">={start.value}"]
        for ev in self.events[last + 1 :]:
            if ev.kind is EventKind.FIXED:
                parts.append(f"<{ev.value}")
                break
            if ev.kind is EventKind.LAST_AFFECTED:
                parts.append(f"<={ev.value}")
                break
        else:
            lims = [ev for ev in self.events if ev.kind is EventKind.LIMIT and key < ev.key]
            if lims:
                parts.append(f"<{lims[0].value}")
        fixed = tuple(ev.value for ev in self.events if ev.kind is EventKind.FIXED and key < ev.key)
        return RangeMatch(", ".join(parts), fixed)


@dataclass(frozen=True, slots=True)
class CompiledAffected:
    """An ``Affected`` entry ready for repeated matching."""

    ecosystem: str
    versions: frozenset[str]
    ranges: tuple[CompiledRange, ...]
    only_git: bool

    def match(self, version: str) -> RangeMatch | None:
        """The :class:`RangeMatch` for ``version``, or ``None`` when unaffected."""
        if version in self.versions:
            return RangeMatch("listed in versions[]")
        for rng in self.ranges:
            hit = rng.match((1, rng.scheme.parse(version)))
            if hit is not None:
                return hit
        return None


def _range_scheme(ecosystem: str, range_type: str) -> Scheme:
    scheme = scheme_for(ecosystem)
    if range_type == "SEMVER" and scheme.name != "go":
        return SCHEMES["semver"]
    return scheme


def _compile_range(scheme: Scheme, rng: AffectedRange) -> CompiledRange:
    events: list[_Event] = []
    limits: list[tuple[int, Any]] = []
    skipped: list[str] = []
    for ev in rng.events:
        value = ev.value.strip()
        if ev.kind is EventKind.INTRODUCED and value == "0":
            key: tuple[int, Any] = _BOTTOM
        elif ev.kind is EventKind.LIMIT and value == "*":
            key = _TOP
        else:
            try:
                key = (1, scheme.parse(value))
            except Exception:  # a malformed event must never stop matching
                skipped.append(f"{ev.kind.value}: {ev.value}")
                continue
        events.append(_Event(ev.kind, ev.value, key))
        if ev.kind is EventKind.LIMIT:
            limits.append(key)
    events.sort(key=lambda e: e.key)
    return CompiledRange(scheme, tuple(events), tuple(limits), tuple(skipped))


def compile_affected(ecosystem: str, affected: Affected) -> CompiledAffected:
    """Parse and sort ``affected``'s ranges once (``VersionError``: unknown ecosystem)."""
    ranges = tuple(
        _compile_range(_range_scheme(ecosystem, r.type), r)
        for r in affected.ranges
        if r.type in _EVALUABLE
    )
    return CompiledAffected(
        ecosystem, frozenset(affected.versions), ranges, has_only_git_ranges(affected)
    )


def has_only_git_ranges(affected: Affected) -> bool:
    """True when ``affected`` names versions only through ``GIT`` (or unknown) ranges:
    nothing in it can be evaluated against a version, so a non-match says nothing."""
    return (
        not affected.versions
        and bool(affected.ranges)
        and not any(r.type in _EVALUABLE for r in affected.ranges)
    )


_COMPILED: dict[tuple[int, str], tuple[Affected, CompiledAffected]] = {}
_COMPILED_MAX = 1 << 16


def _compiled(ecosystem: str, affected: Affected) -> CompiledAffected:
    slot = (id(affected), ecosystem)
    hit = _COMPILED.get(slot)
    if hit is not None and hit[0] is affected:
        return hit[1]
    compiled = compile_affected(ecosystem, affected)
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.clear()
    _COMPILED[slot] = (affected, compiled)
    return compiled


def affected_by(ecosystem: str, version: str, affected: Affected) -> RangeMatch | None:
    """The range of ``affected`` that ``version`` falls in, or ``None``.

    ``ecosystem`` chooses the order of ``ECOSYSTEM`` ranges (normally
    ``affected.ecosystem``). Raises :class:`VersionError` for an unknown ecosystem or an
    installed version the scheme cannot parse.
    """
    return _compiled(ecosystem, affected).match(version)
