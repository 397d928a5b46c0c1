"""Engine evaluation over hand-built compiled rules."""

from __future__ import annotations

from typing import Any

from hardhull.model.event import AlertKind, Event, Priority
from hardhull.runtime.engine import Engine
from hardhull.runtime.rules.model import RuleSet

from .helpers import ev, rule, sequence, step, threshold


def _boom(event: Event) -> bool:
    raise KeyError("broken extractor")


def test_rules_in_load_order_with_type_index() -> None:
    seen: list[str] = []

    def spy(name: str, result: bool) -> Any:
        def match(event: Event) -> bool:
            seen.append(name)
            return result

        return match

    rs = RuleSet.build(
        (
            rule("A", spy("A", True), {"execve"}),
            rule("B", spy("B", False), None),
            rule("C", spy("C", True), {"openat"}),
            rule("D", spy("D", True), {"execve", "openat"}, priority=Priority.CRITICAL),
        )
    )
    engine = Engine(rs)
    alerts = engine.process(ev("execve", 1, proc__name="sh"))
    assert [a.rule for a in alerts] == ["A", "D"]
    assert seen == ["A", "B", "D"]  # C is never evaluated for execve
    first = alerts[0]
    assert first.kind is AlertKind.RULE
    assert first.output == "A execve sh"
    assert first.priority is Priority.WARNING
    assert first.tags == ("t",)
    assert dict(first.output_fields) == {"proc.name": "sh"}
    assert alerts[1].priority is Priority.CRITICAL
    seen.clear()
    assert engine.process(ev("connect", 2)) == []
    assert seen == ["B"]  # an unindexed type meets only the untyped rules


def test_sources_are_separate() -> None:
    rs = RuleSet.build(
        (rule("audit", lambda e: True, None, source="k8s_audit"), rule("sys", lambda e: True, None))
    )
    engine = Engine(rs)
    assert [a.rule for a in engine.process(ev("execve", 1))] == ["sys"]
    assert [a.rule for a in engine.process(ev("create", 1, source="k8s_audit"))] == ["audit"]
    st = engine.stats()
    assert st.events == 2
    assert dict(st.per_source) == {"syscall": 1, "k8s_audit": 1}
    assert dict(st.alerts) == {"sys": 1, "audit": 1}


def test_eval_errors_are_counted_not_raised() -> None:
    rs = RuleSet.build(
        (
            rule("broken", _boom, {"execve"}),
            rule("fine", lambda e: True, {"execve"}),
        ),
        sequences=(sequence("seq broken", [step(_boom, {"execve"})]),),
        thresholds=(threshold("thr broken", _boom, {"execve"}, 2, 10),),
    )
    engine = Engine(rs)
    for i in range(3):
        alerts = engine.process(ev("execve", i))
        assert [a.rule for a in alerts] == ["fine"]
    st = engine.stats()
    assert dict(st.eval_errors) == {"broken": 3, "seq broken": 3, "thr broken": 3}
    assert st.total_eval_errors == 9
    assert st.total_alerts == 3


def test_failing_output_formatter_counts_as_error() -> None:
    bad = rule("bad output", lambda e: True, {"execve"})
    bad = type(bad)(**{**{f: getattr(bad, f) for f in bad.__slots__}, "format_output": _boom})  # type: ignore[arg-type]
    engine = Engine(RuleSet.build((bad,)))
    assert engine.process(ev("execve", 1)) == []
    assert dict(engine.stats().eval_errors) == {"bad output": 1}


def test_order_rules_then_sequences_then_thresholds() -> None:
    rs = RuleSet.build(
        (rule("plain", lambda e: True, {"execve"}),),
        sequences=(sequence("seq", [step(lambda e: True, {"execve"})]),),
        thresholds=(threshold("thr", lambda e: True, {"execve"}, 1, 10),),
    )
    alerts = Engine(rs).process(ev("execve", 1))
    assert [(a.rule, a.kind) for a in alerts] == [
        ("plain", AlertKind.RULE),
        ("seq", AlertKind.SEQUENCE),
        ("thr", AlertKind.THRESHOLD),
    ]


def test_stateful_rules_only_meet_their_types() -> None:
    calls: list[str] = []

    def spy(name: str) -> Any:
        def match(event: Event) -> bool:
            calls.append(name)
            return False

        return match

    rs = RuleSet.build(
        (),
        sequences=(sequence("s", [step(spy("s0"), {"openat"}), step(spy("s1"), {"execve"})]),),
        thresholds=(threshold("t", spy("t"), {"connect"}, 2, 10),),
    )
    engine = Engine(rs)
    engine.process(ev("read", 1))
    assert calls == []
    engine.process(ev("execve", 1))
    assert calls == ["s1"]
    engine.process(ev("connect", 1))
    assert calls == ["s1", "t"]
