"""Deduplication and rate limiting of alerts, with counts of what was suppressed.

:class:`RateLimiter` wraps any :class:`~hardhull.runtime.outputs.AlertSink`; it is
re-exported from :mod:`hardhull.runtime.outputs`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hardhull.model.event import Alert, AlertKind, Event, Priority

if TYPE_CHECKING:
    from hardhull.runtime.outputs import AlertSink

SUMMARY_RULE = "hardhull: suppressed alerts"


@dataclass(slots=True)
class _Bucket:
    tokens: float
    last: float


@dataclass(frozen=True, slots=True)
class SuppressionCounts:
    """Per rule: alerts dropped as ``duplicate`` (dedup window) or ``rate_limited``."""

    duplicate: Mapping[str, int] = field(default_factory=dict)
    rate_limited: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.duplicate.values()) + sum(self.rate_limited.values())


class RateLimiter:
    """Wraps a sink: drops an alert identical in (rule, container, output) to one emitted
    less than ``dedup_window`` seconds ago, then applies a token bucket of ``burst``
    alerts refilled at ``rate`` per second per (rule, container). Suppressed alerts are
    counted per rule and reported as a summary alert (rule ``hardhull: suppressed
    alerts``) every ``summary_interval`` seconds (checked on each alert and by
    :meth:`tick`) and at :meth:`close`. ``max_keys`` bounds the memory kept."""

    def __init__(
        self,
        sink: AlertSink,
        *,
        dedup_window: float = 60.0,
        rate: float = 1.0,
        burst: int = 10,
        summary_interval: float = 300.0,
        max_keys: int = 65536,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sink = sink
        self.dedup_window = dedup_window
        self.rate = rate
        self.burst = max(1, burst)
        self.summary_interval = summary_interval
        self.max_keys = max(1, max_keys)
        self._clock = clock
        self._seen: OrderedDict[tuple[str, str, str], float] = OrderedDict()
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()
        self._pending: dict[str, dict[str, int]] = {"duplicate": {}, "rate_limited": {}}
        self._total: dict[str, dict[str, int]] = {"duplicate": {}, "rate_limited": {}}
        self._last_summary = clock()
        self._lock = threading.Lock()
        self.emitted = 0
        self.summaries = 0

    def suppressed(self) -> SuppressionCounts:
        """Totals since the start."""
        with self._lock:
            return SuppressionCounts(
                dict(self._total["duplicate"]), dict(self._total["rate_limited"])
            )

    def _suppress(self, reason: str, rule: str) -> None:
        for table in (self._pending, self._total):
            table[reason][rule] = table[reason].get(rule, 0) + 1

    def _allow(self, alert: Alert, now: float) -> bool:
        cid = alert.event.container_id
        key = (alert.rule, cid, alert.output)
        first = self._seen.get(key)
        if first is not None and now - first < self.dedup_window:
            self._suppress("duplicate", alert.rule)
            return False
        bkey = (alert.rule, cid)
        bucket = self._buckets.get(bkey)
        if bucket is None:
            bucket = self._buckets[bkey] = _Bucket(float(self.burst), now)
        else:
            self._buckets.move_to_end(bkey)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.last) * self.rate)
            bucket.last = now
        if bucket.tokens < 1.0:
            self._suppress("rate_limited", alert.rule)
            return False
        bucket.tokens -= 1.0
        self._seen[key] = now
        self._seen.move_to_end(key)
        for table in (self._seen, self._buckets):
            while len(table) > self.max_keys:
                table.popitem(last=False)
        return True

    def emit(self, alert: Alert) -> None:
        now = self._clock()
        with self._lock:
            allowed = self._allow(alert, now)
            summary = self._take_summary(now, force=False)
        if allowed:
            self.sink.emit(alert)
            self.emitted += 1
        if summary is not None:
            self.sink.emit(summary)

    def tick(self) -> None:
        """Emit a due summary even when no alert arrives."""
        now = self._clock()
        with self._lock:
            summary = self._take_summary(now, force=False)
        if summary is not None:
            self.sink.emit(summary)

    def _take_summary(self, now: float, *, force: bool) -> Alert | None:
        if not force and now - self._last_summary < self.summary_interval:
            return None
        pending = self._pending
        if not pending["duplicate"] and not pending["rate_limited"]:
            self._last_summary = now
            return None
        self._pending = {"duplicate": {}, "rate_limited": {}}
        self._last_summary = now
        self.summaries += 1
        return summary_alert(pending["duplicate"], pending["rate_limited"])

    def close(self) -> None:
        with self._lock:
            summary = self._take_summary(self._clock(), force=True)
        if summary is not None:
            self.sink.emit(summary)
        self.sink.close()


def summary_alert(duplicate: Mapping[str, int], rate_limited: Mapping[str, int]) -> Alert:
    """The record reporting suppressed alerts per rule since the previous summary."""
    rules = sorted(set(duplicate) | set(rate_limited))
    per_rule = {
        r: {"duplicate": duplicate.get(r, 0), "rate_limited": rate_limited.get(r, 0)} for r in rules
    }
    total = sum(duplicate.values()) + sum(rate_limited.values())
    text = ", ".join(f"{r}: {sum(per_rule[r].values())}" for r in rules)
    event = Event(source="hardhull", type="summary", time=time.time_ns(), fields={})
    return Alert(
        rule=SUMMARY_RULE,
        priority=Priority.INFORMATIONAL,
        output=f"suppressed {total} alerts ({text})",
        event=event,
        kind=AlertKind.RULE,
        tags=("hardhull", "summary"),
        output_fields={"suppressed_total": total, "suppressed": per_rule},
    )
