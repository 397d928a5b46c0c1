"""Per-control tallies: how many resources each control was evaluated on, and how it went.

A control's outcome for one resource is its worst result there (error > fail > warn >
exempted); passes come from the engine's counts, not from findings, so a tally is the
same whether pass findings were materialised or not. Framework pass rates and the report
summaries are computed from these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hardhull.model import Finding, ResourceRef, Status
from hardhull.posture.engine import PassCount

_RANK = {Status.SKIP: 1, Status.WARN: 2, Status.FAIL: 3, Status.ERROR: 4}


@dataclass(frozen=True, slots=True)
class ControlTally:
    """Outcomes of one control over the resources it applied to."""

    control_id: str
    passed: int = 0
    failed: int = 0
    warned: int = 0
    exempted: int = 0
    errors: int = 0

    @property
    def evaluated(self) -> int:
        """Resources the control was evaluated on (every outcome)."""
        return self.passed + self.failed + self.warned + self.exempted + self.errors

    def as_dict(self) -> dict[str, int | str]:
        """Plain data for the JSON report."""
        return {
            "id": self.control_id,
            "evaluated": self.evaluated,
            "passed": self.passed,
            "failed": self.failed,
            "warned": self.warned,
            "exempted": self.exempted,
            "errors": self.errors,
        }


def tally(findings: Iterable[Finding], passes: Iterable[PassCount]) -> tuple[ControlTally, ...]:
    """The tallies (sorted by control id) of ``findings`` (after exceptions) and the
    engine's pass counts. Pass findings among ``findings`` are ignored: the counts hold
    them already."""
    worst: dict[tuple[str, int], Status] = {}
    # Resources are told apart by value (equal refs are one resource), but hashing a
    # ResourceRef hashes its six fields: number each distinct ref object once instead.
    numbers: dict[ResourceRef | None, int] = {}
    by_object: dict[int, int] = {}
    keep: list[ResourceRef | None] = []  # holds the refs so that their ids stay unique
    for f in findings:
        rank = _RANK.get(f.status)
        if rank is None:
            continue
        ref = f.resource
        number = by_object.get(id(ref))
        if number is None:
            number = by_object[id(ref)] = numbers.setdefault(ref, len(numbers))
            keep.append(ref)
        key = (f.rule_id, number)
        seen = worst.get(key)
        if seen is None or _RANK[seen] < rank:
            worst[key] = f.status
    outcomes: dict[str, list[int]] = {}
    for rule, _ns, n in passes:
        outcomes.setdefault(rule, [0, 0, 0, 0, 0])[0] += n
    slot = {Status.FAIL: 1, Status.WARN: 2, Status.SKIP: 3, Status.ERROR: 4}
    for (rule, _ref), status in worst.items():
        outcomes.setdefault(rule, [0, 0, 0, 0, 0])[slot[status]] += 1
    return tuple(ControlTally(rule, *counts) for rule, counts in sorted(outcomes.items()))


__all__ = ["ControlTally", "tally"]
