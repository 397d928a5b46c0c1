"""Compiled rule values shared by the loader (which builds them) and the engine (which
runs them). The hot path only calls the ``Callable`` members; nothing here parses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hardhull.model.event import Event, Priority

T = TypeVar("T")

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
        index, untyped = index_by_type(rules, lambda r: (r.source, r.evt_types))
        return cls(
            rules=rules,
            sequences=sequences,
            thresholds=thresholds,
            diagnostics=diagnostics,
            files=files,
            _index=index,
            _any=untyped,
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


def index_by_type(
    items: Sequence[T], types_of: Callable[[T], tuple[str, frozenset[str] | None]]
) -> tuple[dict[tuple[str, str], tuple[T, ...]], dict[str, tuple[T, ...]]]:
    """Index ``items`` by (source, evt.type) from ``types_of(item)`` = (source, types).
    Items with no type restriction (``None``) are kept per source (the second mapping)
    and merged into every (source, type) entry of that source; every entry keeps the
    order of ``items``."""
    order = {id(x): i for i, x in enumerate(items)}
    typed: dict[tuple[str, str], list[T]] = {}
    untyped: dict[str, list[T]] = {}
    for item in items:
        source, types = types_of(item)
        if types is None:
            untyped.setdefault(source, []).append(item)
        else:
            for t in types:
                typed.setdefault((source, t), []).append(item)
    index: dict[tuple[str, str], tuple[T, ...]] = {}
    for key, lst in typed.items():
        merged = lst + untyped.get(key[0], [])
        merged.sort(key=lambda x: order[id(x)])
        index[key] = tuple(merged)
    return index, {k: tuple(v) for k, v in untyped.items()}
