"""Which ``evt.type`` values a condition can match, through ``and``/``or``/``not``.

Each node gets two sets: ``may`` (types for which the node can be true) and ``must``
(types for which it is true whatever the other fields are). Only ``evt.type`` checks have
a non-trivial ``must``; any other check may be true for every type and is never sure to
be. ``not`` swaps and complements them, ``and`` intersects, ``or`` unites; the rule's types
are its ``may`` set. A set is a pair ``(items, complemented)`` so that ``evt.type !=
open`` ("every type but open") needs no list of all event types; a complemented result
is reported as ``None`` (any type), which is always safe for the index.

This is what Falco's evttype resolver computes for ``evt.type = x``, ``in``, ``!=``,
``not``, ``not not``, ``and``/``or``; where Falco's resolver narrows further than the
boolean logic allows (``evt.type=close or not (evt.type=openat and proc.name=nginx)``,
which Falco restricts to "not openat" although an openat by another process matches),
hardhull keeps the safe superset.
"""

from __future__ import annotations

from dataclasses import dataclass

TypeSet = tuple[frozenset[str], bool]  # (items, complemented)

ALL: TypeSet = (frozenset(), True)
NONE: TypeSet = (frozenset(), False)


@dataclass(frozen=True, slots=True)
class Types:
    may: TypeSet = ALL
    must: TypeSet = NONE

    @property
    def public(self) -> frozenset[str] | None:
        items, neg = self.may
        return None if neg else items


UNKNOWN = Types()


def exact(items: frozenset[str], *, negated: bool = False) -> Types:
    """An ``evt.type`` check: true exactly for ``items`` (or all but them)."""
    ts = (items, negated)
    return Types(ts, ts)


def _inter(a: TypeSet, b: TypeSet) -> TypeSet:
    (s, n), (t, m) = a, b
    if not n and not m:
        return (s & t, False)
    if not n:
        return (s - t, False)
    if not m:
        return (t - s, False)
    return (s | t, True)


def _union(a: TypeSet, b: TypeSet) -> TypeSet:
    (s, n), (t, m) = a, b
    if not n and not m:
        return (s | t, False)
    if not n:
        return (t - s, True)
    if not m:
        return (s - t, True)
    return (s & t, True)


def _compl(a: TypeSet) -> TypeSet:
    return (a[0], not a[1])


def negate(x: Types) -> Types:
    return Types(_compl(x.must), _compl(x.may))


def conj(items: list[Types]) -> Types:
    may, must = ALL, ALL
    for x in items:
        may, must = _inter(may, x.may), _inter(must, x.must)
    return Types(may, must)


def disj(items: list[Types]) -> Types:
    may, must = NONE, NONE
    for x in items:
        may, must = _union(may, x.may), _union(must, x.must)
    return Types(may, must)
