"""Compiled rule values shared by the loader (which builds them) and the engine (which
runs them). The hot path only calls the ``Callable`` members; nothing here parses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hardhull.model.event import Event, Priority

Matcher = Callable[[Event], bool]
"""A compiled condition (with its exceptions folded in): ``True`` when the event matches."""

Extractor = Callable[[Event], Any]
"""A compiled field reference (with transformers): the value, or ``None`` when absent."""

Formatter = Callable[[Event], str]
"""A compiled ``output:`` template."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where something was defined: file, 1-based line and column."""

    file: str
    line: int
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A load error or warning with its position (``code`` is a stable short name)."""

    severity: str  # "error" | "warning"
    code: str
    message: str
    position: Position | None = None

    def __str__(self) -> str:
        where = f"{self.position}: " if self.position else ""
        return f"{where}{self.severity}: {self.message} [{self.code}]"


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """One enabled Falco ``rule``. ``evt_types`` is the set of ``evt.type`` values the
    condition can match (``None``: any type, the rule is evaluated for every event of its
    source)."""

    name: str
    desc: str
    priority: Priority
    source: str
    tags: tuple[str, ...]
    evt_types: frozenset[str] | None
    match: Matcher
    format_output: Formatter
    output_fields: Callable[[Event], Mapping[str, Any]]
    position: Position


@dataclass(frozen=True, slots=True)
class SequenceStep:
    """One step of a sequence rule; ``key`` extracts the value that must be equal across
    the steps (for example the file path written, chmod'ed, then executed)."""

    match: Matcher
    evt_types: frozenset[str] | None
    key: Extractor | None


@dataclass(frozen=True, slots=True)
class SequenceRule:
    """hardhull extension: ``steps`` must match in order, for the same ``by`` values (and
    the same step ``key`` where given), within ``within_ns`` of the first step."""

    name: str
    desc: str
    priority: Priority
    source: str
    tags: tuple[str, ...]
    steps: tuple[SequenceStep, ...]
    by: tuple[Extractor, ...]
    within_ns: int
    format_output: Formatter
    position: Position


@dataclass(frozen=True, slots=True)
class ThresholdRule:
    """hardhull extension: alert when ``count`` matching events (or ``count`` distinct
    values of ``distinct``) happen for the same ``by`` values within ``within_ns``."""

    name: str
    desc: str
    priority: Priority
    source: str
    tags: tuple[str, ...]
    match: Matcher
    evt_types: frozenset[str] | None
    by: tuple[Extractor, ...]
    distinct: Extractor | None
    count: int
    within_ns: int
    format_output: Formatter
    position: Position


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Everything loaded from a list of rule files, in load order, plus the index that
    gives, for a (source, evt.type), the rules that can match it."""

    rules: tuple[CompiledRule, ...]
    sequences: tuple[SequenceRule, ...] = ()
    thresholds: tuple[ThresholdRule, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    files: tuple[str, ...] = ()
    _index: Mapping[tuple[str, str], tuple[CompiledRule, ...]] = field(default_factory=dict)
    _any: Mapping[str, tuple[CompiledRule, ...]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        rules: tuple[CompiledRule, ...],
        sequences: tuple[SequenceRule, ...] = (),
        thresholds: tuple[ThresholdRule, ...] = (),
        diagnostics: tuple[Diagnostic, ...] = (),
        files: tuple[str, ...] = (),
    ) -> RuleSet:
        """Index ``rules`` by (source, evt.type); rules with no type restriction are kept
        per source and merged into every lookup, keeping load order."""
        order = {id(r): i for i, r in enumerate(rules)}
        typed: dict[tuple[str, str], list[CompiledRule]] = {}
        untyped: dict[str, list[CompiledRule]] = {}
        for rule in rules:
            if rule.evt_types is None:
                untyped.setdefault(rule.source, []).append(rule)
            else:
                for t in rule.evt_types:
                    typed.setdefault((rule.source, t), []).append(rule)
        index: dict[tuple[str, str], tuple[CompiledRule, ...]] = {}
        for key, lst in typed.items():
            merged = lst + untyped.get(key[0], [])
            merged.sort(key=lambda r: order[id(r)])
            index[key] = tuple(merged)
        return cls(
            rules=rules,
            sequences=sequences,
            thresholds=thresholds,
            diagnostics=diagnostics,
            files=files,
            _index=index,
            _any={k: tuple(v) for k, v in untyped.items()},
        )

    def candidates(self, source: str, evt_type: str) -> tuple[CompiledRule, ...]:
        """The rules that can match an event of this source and type, in load order."""
        hit = self._index.get((source, evt_type))
        if hit is not None:
            return hit
        return self._any.get(source, ())

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")
