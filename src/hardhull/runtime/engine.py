"""The rule engine: one event in, the alerts it raises out.

Evaluation order for each event (see ``docs/runtime-engine.md``):

1. Falco rules from ``ruleset.candidates(source, evt.type)``, in load order;
2. sequence rules, only the steps whose ``evt.type`` set can hold the event's type;
3. threshold rules, indexed the same way;
4. binary drift (exec events of containers), when a detector is configured.

An exception raised inside a compiled matcher, extractor or formatter is counted against
its rule (``eval_errors``) and never propagates: one broken rule cannot stop the stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from hardhull.model.event import Alert, AlertKind, Event
from hardhull.runtime.rules.model import CompiledRule, RuleSet, index_by_type
from hardhull.runtime.stateful import DEFAULT_MAX_KEYS, SequenceState, ThresholdState

if TYPE_CHECKING:
    from hardhull.runtime.drift import DriftDetector, DriftStats

_EMPTY: Mapping[str, int] = MappingProxyType({})

DEFAULT_RULES = Path(__file__).resolve().parent / "data" / "hardhull_rules.yaml"
"""hardhull's own rules file (Falco syntax plus sequences and thresholds)."""


def _empty() -> Mapping[str, int]:
    return _EMPTY


@dataclass(frozen=True, slots=True)
class EngineStats:
    """Counters of one engine since it was made.

    ``sequence_states``/``threshold_states``: groups currently tracked, per rule;
    ``state_evictions``: groups dropped because a rule hit its ``max_keys`` bound.
    """

    events: int = 0
    per_source: Mapping[str, int] = field(default_factory=_empty)
    alerts: Mapping[str, int] = field(default_factory=_empty)
    eval_errors: Mapping[str, int] = field(default_factory=_empty)
    sequence_states: Mapping[str, int] = field(default_factory=_empty)
    threshold_states: Mapping[str, int] = field(default_factory=_empty)
    state_evictions: Mapping[str, int] = field(default_factory=_empty)
    drift: DriftStats | None = None

    @property
    def total_alerts(self) -> int:
        return sum(self.alerts.values())

    @property
    def total_eval_errors(self) -> int:
        return sum(self.eval_errors.values())


def _index_sequences(
    states: list[SequenceState],
) -> tuple[
    dict[tuple[str, str], tuple[tuple[SequenceState, tuple[int, ...]], ...]],
    dict[str, tuple[tuple[SequenceState, tuple[int, ...]], ...]],
]:
    """(source, evt.type) -> ((state, step indexes), ...) in rule order, plus the
    per-source entries for sequences that have a step with no type restriction."""
    typed: dict[tuple[str, str], list[tuple[SequenceState, tuple[int, ...]]]] = {}
    untyped: dict[str, list[tuple[SequenceState, tuple[int, ...]]]] = {}
    for state in states:
        rule = state.rule
        any_steps = tuple(i for i, s in enumerate(rule.steps) if s.evt_types is None)
        types: set[str] = set()
        for step in rule.steps:
            if step.evt_types is not None:
                types |= step.evt_types
        for t in sorted(types):
            steps = tuple(
                i for i, s in enumerate(rule.steps) if s.evt_types is None or t in s.evt_types
            )
            typed.setdefault((rule.source, t), []).append((state, steps))
        if any_steps:
            untyped.setdefault(rule.source, []).append((state, any_steps))
    # an event type with typed entries must also meet the untyped-only sequences
    order = {id(s): i for i, s in enumerate(states)}
    index: dict[tuple[str, str], tuple[tuple[SequenceState, tuple[int, ...]], ...]] = {}
    for key, lst in typed.items():
        seen = {id(s) for s, _ in lst}
        merged = lst + [e for e in untyped.get(key[0], []) if id(e[0]) not in seen]
        merged.sort(key=lambda e: order[id(e[0])])
        index[key] = tuple(merged)
    return index, {k: tuple(v) for k, v in untyped.items()}


class Engine:
    """Evaluates a :class:`RuleSet` (plus sequences, thresholds and drift) per event.

    Not thread-safe: one engine per event stream.
    """

    def __init__(
        self,
        ruleset: RuleSet,
        *,
        drift: DriftDetector | None = None,
        max_keys: int = DEFAULT_MAX_KEYS,
    ) -> None:
        self.ruleset = ruleset
        self.drift = drift
        self._candidates = ruleset.candidates
        self._events = 0
        self._per_source: dict[str, int] = {}
        self._alerts: dict[str, int] = {}
        self._errors: dict[str, int] = {}
        self._sequences = [SequenceState(r, max_keys) for r in ruleset.sequences]
        self._thresholds = [ThresholdState(r, max_keys) for r in ruleset.thresholds]
        self._seq_index, self._seq_any = _index_sequences(self._sequences)
        self._thr_index, self._thr_any = index_by_type(
            self._thresholds, lambda t: (t.rule.source, t.rule.evt_types)
        )
        self._has_stateful = bool(self._sequences or self._thresholds)

    def process(self, event: Event) -> list[Alert]:
        """Every alert ``event`` raises, in evaluation order (an empty list when none)."""
        self._events += 1
        source = event.source
        per_source = self._per_source
        per_source[source] = per_source.get(source, 0) + 1
        alerts: list[Alert] = []
        for rule in self._candidates(source, event.type):
            try:
                if rule.match(event):
                    alerts.append(self._rule_alert(rule, event))
            except Exception:  # a broken rule must not stop the stream
                self._error(rule.name)
        if self._has_stateful:
            self._stateful(event, alerts)
        drift = self.drift
        if drift is not None:
            alert = drift.check(event)
            if alert is not None:
                alerts.append(alert)
        if alerts:
            counts = self._alerts
            for alert in alerts:
                counts[alert.rule] = counts.get(alert.rule, 0) + 1
        return alerts

    def _rule_alert(self, rule: CompiledRule, event: Event) -> Alert:
        fields: Mapping[str, Any] = rule.output_fields(event)
        return Alert(
            rule=rule.name,
            priority=rule.priority,
            output=rule.format_output(event),
            event=event,
            kind=AlertKind.RULE,
            tags=rule.tags,
            output_fields=fields,
        )

    def _stateful(self, event: Event, alerts: list[Alert]) -> None:
        key = (event.source, event.type)
        seqs = self._seq_index.get(key)
        if seqs is None:
            seqs = self._seq_any.get(event.source, ())
        for seq, steps in seqs:
            try:
                alert = seq.feed(event, steps)
            except Exception:
                self._error(seq.rule.name)
                continue
            if alert is not None:
                alerts.append(alert)
        thrs = self._thr_index.get(key)
        if thrs is None:
            thrs = self._thr_any.get(event.source, ())
        for thr in thrs:
            try:
                alert = thr.feed(event)
            except Exception:
                self._error(thr.rule.name)
                continue
            if alert is not None:
                alerts.append(alert)

    def _error(self, name: str) -> None:
        self._errors[name] = self._errors.get(name, 0) + 1

    def stats(self) -> EngineStats:
        """A snapshot of the counters (safe to keep; later events do not change it)."""
        evictions: dict[str, int] = {}
        for name, count in (
            *((s.rule.name, s.evictions) for s in self._sequences),
            *((t.rule.name, t.evictions) for t in self._thresholds),
        ):
            if count:
                evictions[name] = evictions.get(name, 0) + count
        return EngineStats(
            events=self._events,
            per_source=dict(self._per_source),
            alerts=dict(self._alerts),
            eval_errors=dict(self._errors),
            sequence_states={s.rule.name: len(s) for s in self._sequences},
            threshold_states={t.rule.name: len(t) for t in self._thresholds},
            state_evictions=evictions,
            drift=self.drift.stats() if self.drift is not None else None,
        )
