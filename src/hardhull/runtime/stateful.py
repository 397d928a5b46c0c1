"""State for hardhull's stateful rule kinds: sequences and thresholds.

Both run on **event time** (:attr:`Event.time`), never wall time, so replaying a recorded
stream gives the same alerts every time. All state is bounded: each rule tracks at most
``max_keys`` groups (``by`` values, plus the step key for sequences); the least recently
used group is evicted when a new one arrives, and evictions are counted.

Sequences: a group's progress starts when step 0 matches and advances one step per
matching event; the last step raises an :class:`Alert` (``kind=SEQUENCE``). Progress
expires ``within`` after the first step. Steps that give a ``key`` must agree on its value
(the key binds at the first step that gives one); steps without a key advance any
progress of the same ``by`` values.

Thresholds: per group, a sliding window of ``within``. Without ``distinct`` the last
``count`` event times are kept; with it, the last time each distinct value was seen (at
most ``count`` values). When the window holds ``count`` events (or values) one alert is
raised (``kind=THRESHOLD``); the group is then quiet until ``within`` after that alert,
when it re-arms with an empty window.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from hardhull.model.event import Alert, AlertKind, Event
from hardhull.runtime.rules.model import SequenceRule, ThresholdRule

DEFAULT_MAX_KEYS = 10_000


def _freeze(value: Any) -> Hashable:
    """A hashable form of an extracted value (lists and sets become tuples)."""
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, set | frozenset):
        return tuple(sorted(map(repr, value)))
    if isinstance(value, dict):
        return tuple(sorted((str(k), repr(v)) for k, v in value.items()))
    return value  # type: ignore[no-any-return]


def group_of(extractors: tuple[Callable[[Event], Any], ...], event: Event) -> Hashable:
    """The ``by`` values of ``event`` as one hashable key."""
    if len(extractors) == 1:
        return _freeze(extractors[0](event))
    return tuple(_freeze(x(event)) for x in extractors)


@dataclass(slots=True)
class _Progress:
    next_step: int
    started: int


class SequenceState:
    """Progress of one :class:`SequenceRule` over all its groups."""

    def __init__(self, rule: SequenceRule, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self.rule = rule
        self.max_keys = max_keys
        self.evictions = 0
        self._within = rule.within_ns
        self._last = len(rule.steps) - 1
        # (by, key) -> progress, least recently touched first
        self._groups: OrderedDict[tuple[Hashable, Hashable], _Progress] = OrderedDict()
        # by -> keys with progress (for steps without a key)
        self._by_index: dict[Hashable, set[Hashable]] = {}

    def __len__(self) -> int:
        return len(self._groups)

    def _drop(self, slot: tuple[Hashable, Hashable]) -> None:
        self._groups.pop(slot, None)
        keys = self._by_index.get(slot[0])
        if keys is not None:
            keys.discard(slot[1])
            if not keys:
                del self._by_index[slot[0]]

    def _sweep(self, now: int) -> None:
        """Drop expired progress from the least recently touched end."""
        groups = self._groups
        while groups:
            slot, progress = next(iter(groups.items()))
            if now - progress.started <= self._within:
                return
            self._drop(slot)

    def _store(self, slot: tuple[Hashable, Hashable], progress: _Progress, now: int) -> None:
        self._sweep(now)
        groups = self._groups
        if slot not in groups and len(groups) >= self.max_keys:
            oldest = next(iter(groups))
            self._drop(oldest)
            self.evictions += 1
        groups[slot] = progress
        groups.move_to_end(slot)
        self._by_index.setdefault(slot[0], set()).add(slot[1])

    def _alert(self, event: Event) -> Alert:
        rule = self.rule
        return Alert(
            rule=rule.name,
            priority=rule.priority,
            output=rule.format_output(event),
            event=event,
            kind=AlertKind.SEQUENCE,
            tags=rule.tags,
        )

    def feed(self, event: Event, steps: tuple[int, ...]) -> Alert | None:
        """Offer ``event`` to the given step indexes (those whose types can match it).

        Raises whatever a compiled matcher or extractor raises; the engine counts it.
        """
        rule = self.rule
        now = event.time
        by: Hashable | None = None
        # Later steps first: an event advances existing progress before starting new.
        for index in reversed(steps):
            step = rule.steps[index]
            if not step.match(event):
                continue
            if by is None:
                by = group_of(rule.by, event)
            key = _freeze(step.key(event)) if step.key is not None else None
            if index == 0:
                if self._start(by, key, now) and self._last == 0:
                    self._drop((by, key))
                    return self._alert(event)
                continue
            slot = self._find(by, key, index, now)
            if slot is None:
                continue
            progress = self._groups[slot]
            if index == self._last:
                self._drop(slot)
                return self._alert(event)
            progress.next_step = index + 1
            if key is not None and slot[1] is None:
                # bind the key now: move the progress under (by, key)
                self._drop(slot)
                self._store((by, key), progress, now)
            else:
                self._groups.move_to_end(slot)
            return None
        return None

    def _start(self, by: Hashable, key: Hashable, now: int) -> bool:
        slot = (by, key)
        current = self._groups.get(slot)
        if current is not None and now - current.started <= self._within:
            # keep the progress already made; only refresh its recency
            self._groups.move_to_end(slot)
            return False
        self._store(slot, _Progress(1, now), now)
        return True

    def _find(
        self, by: Hashable, key: Hashable, index: int, now: int
    ) -> tuple[Hashable, Hashable] | None:
        """The live progress of ``by`` waiting for step ``index`` that ``key`` agrees with."""
        if key is not None:
            candidates: tuple[Hashable, ...] = (key, None)
        else:
            candidates = tuple(self._by_index.get(by, ()))
        for k in candidates:
            slot = (by, k)
            progress = self._groups.get(slot)
            if progress is None or progress.next_step != index:
                continue
            if now - progress.started > self._within:
                self._drop(slot)
                continue
            return slot
        return None


@dataclass(slots=True)
class _Window:
    times: deque[int]
    values: OrderedDict[Hashable, int] | None
    quiet_until: int


class ThresholdState:
    """Sliding windows of one :class:`ThresholdRule` over all its groups."""

    def __init__(self, rule: ThresholdRule, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        if rule.count < 1:
            raise ValueError(f"threshold rule {rule.name!r}: count must be at least 1")
        self.rule = rule
        self.max_keys = max_keys
        self.evictions = 0
        self._groups: OrderedDict[Hashable, _Window] = OrderedDict()

    def __len__(self) -> int:
        return len(self._groups)

    def feed(self, event: Event) -> Alert | None:
        """Count ``event`` if it matches; an :class:`Alert` when the window fills."""
        rule = self.rule
        if not rule.match(event):
            return None
        by = group_of(rule.by, event)
        now = event.time
        window = self._groups.get(by)
        if window is None:
            if len(self._groups) >= self.max_keys:
                self._groups.popitem(last=False)
                self.evictions += 1
            window = _Window(
                deque(maxlen=rule.count),
                OrderedDict() if rule.distinct is not None else None,
                0,
            )
            self._groups[by] = window
        else:
            self._groups.move_to_end(by)
        if now < window.quiet_until:
            return None
        horizon = now - rule.within_ns
        if window.values is None:
            times = window.times
            times.append(now)
            if len(times) < rule.count or times[0] < horizon:
                return None
            times.clear()
        else:
            assert rule.distinct is not None
            value = rule.distinct(event)
            if value is None:
                return None
            values = window.values
            fv = _freeze(value)
            values[fv] = now
            values.move_to_end(fv)
            while values:
                first = next(iter(values.items()))
                if first[1] >= horizon:
                    break
                values.popitem(last=False)
            if len(values) < rule.count:
                return None
            values.clear()
        window.quiet_until = now + rule.within_ns
        return Alert(
            rule=rule.name,
            priority=rule.priority,
            output=rule.format_output(event),
            event=event,
            kind=AlertKind.THRESHOLD,
            tags=rule.tags,
            output_fields={"threshold.count": rule.count, "threshold.within_ns": rule.within_ns},
        )
