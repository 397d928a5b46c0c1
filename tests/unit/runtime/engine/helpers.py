"""Hand-built compiled rules for engine tests (small lambdas instead of the loader)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hardhull.model.event import ContainerInfo, Event, Priority
from hardhull.runtime.rules.model import (
    CompiledRule,
    Position,
    SequenceRule,
    SequenceStep,
    ThresholdRule,
)

POS = Position("test.yaml", 1)
S = 1_000_000_000


def field(name: str) -> Callable[[Event], Any]:
    def extract(event: Event) -> Any:
        if name == "container.id":
            return event.container.id if event.container else event.fields.get(name)
        return event.fields.get(name)

    return extract


def rule(
    name: str,
    match: Callable[[Event], bool],
    types: set[str] | None,
    *,
    source: str = "syscall",
    priority: Priority = Priority.WARNING,
) -> CompiledRule:
    def fields(event: Event) -> Mapping[str, Any]:
        return {"proc.name": event.fields.get("proc.name")}

    return CompiledRule(
        name=name,
        desc=name,
        priority=priority,
        source=source,
        tags=("t",),
        evt_types=frozenset(types) if types is not None else None,
        match=match,
        format_output=lambda e: f"{name} {e.type} {e.fields.get('proc.name')}",
        output_fields=fields,
        position=POS,
    )


def step(
    match: Callable[[Event], bool], types: set[str] | None, key: str | None = None
) -> SequenceStep:
    return SequenceStep(
        match=match,
        evt_types=frozenset(types) if types is not None else None,
        key=field(key) if key else None,
    )


def sequence(name: str, steps: list[SequenceStep], within_s: int = 60) -> SequenceRule:
    return SequenceRule(
        name=name,
        desc=name,
        priority=Priority.CRITICAL,
        source="syscall",
        tags=("seq",),
        steps=tuple(steps),
        by=(field("container.id"),),
        within_ns=within_s * S,
        format_output=lambda e: f"{name} at {e.fields.get('fd.name')}",
        position=POS,
    )


def threshold(
    name: str,
    match: Callable[[Event], bool],
    types: set[str] | None,
    count: int,
    within_s: int,
    distinct: str | None = None,
) -> ThresholdRule:
    return ThresholdRule(
        name=name,
        desc=name,
        priority=Priority.WARNING,
        source="syscall",
        tags=("thr",),
        match=match,
        evt_types=frozenset(types) if types is not None else None,
        by=(field("container.id"),),
        distinct=field(distinct) if distinct else None,
        count=count,
        within_ns=within_s * S,
        format_output=lambda e: f"{name} {e.fields.get('fd.sip')}",
        position=POS,
    )


def container(cid: str = "abcdef012345", **kw: Any) -> ContainerInfo:
    return ContainerInfo(id=cid, name=kw.pop("name", "app"), **kw)


def ev(
    etype: str,
    t_s: float,
    cid: str = "abcdef012345",
    *,
    source: str = "syscall",
    **fields: Any,
) -> Event:
    flat = {k.replace("__", "."): v for k, v in fields.items()}
    return Event(source, etype, int(t_s * S), flat, container(cid))
