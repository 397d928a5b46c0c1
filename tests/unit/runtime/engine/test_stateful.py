"""Sequence and threshold semantics on event time, with bounded state."""

from __future__ import annotations

from hardhull.model.event import AlertKind, Event
from hardhull.runtime.engine import Engine
from hardhull.runtime.rules.model import RuleSet
from hardhull.runtime.stateful import SequenceState, ThresholdState

from .helpers import ev, sequence, step, threshold


def _is(etype: str) -> object:
    return lambda e: e.type == etype


def _drop_and_run(within_s: int = 60) -> Engine:
    seq = sequence(
        "Dropped Binary Executed",
        [
            step(lambda e: e.fields.get("write") is True, {"openat"}, key="fd.name"),
            step(lambda e: True, {"chmod"}, key="fd.name"),
            step(lambda e: True, {"execve"}, key="fd.name"),
        ],
        within_s,
    )
    return Engine(RuleSet.build((), sequences=(seq,)))


def _w(t: float, path: str, cid: str = "c1") -> Event:
    return ev("openat", t, cid, fd__name=path, write=True)


def _c(t: float, path: str, cid: str = "c1") -> Event:
    return ev("chmod", t, cid, fd__name=path)


def _x(t: float, path: str, cid: str = "c1") -> Event:
    return ev("execve", t, cid, fd__name=path)


def _run(engine: Engine, events: list[Event]) -> list[tuple[float, str]]:
    out = []
    for e in events:
        out.extend((e.time / 1e9, a.rule) for a in engine.process(e))
    return out


def test_sequence_fires_on_last_step_in_order() -> None:
    engine = _drop_and_run()
    alerts = []
    for e in [_w(1, "/tmp/x"), _c(2, "/tmp/x"), _x(3, "/tmp/x")]:
        alerts.extend(engine.process(e))
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.kind is AlertKind.SEQUENCE
    assert alert.rule == "Dropped Binary Executed"
    assert alert.output == "Dropped Binary Executed at /tmp/x"
    assert alert.event.type == "execve"
    assert alert.time == 3_000_000_000
    assert engine.stats().sequence_states == {"Dropped Binary Executed": 0}


def test_sequence_needs_order_same_key_and_same_container() -> None:
    engine = _drop_and_run()
    # out of order: exec before chmod
    assert _run(engine, [_w(1, "/a"), _x(2, "/a"), _c(3, "/a")]) == []
    # different key on a later step
    assert _run(engine, [_w(10, "/b"), _c(11, "/b"), _x(12, "/other")]) == []
    # different container
    assert _run(engine, [_w(20, "/c", "c1"), _c(21, "/c", "c2"), _x(22, "/c", "c2")]) == []
    # the pending ones still complete when the right events come
    assert _run(engine, [_x(13, "/b")]) == [(13, "Dropped Binary Executed")]


def test_sequence_expires_at_within_from_first_step() -> None:
    engine = _drop_and_run(within_s=60)
    assert _run(engine, [_w(0, "/x"), _c(30, "/x"), _x(60.000000001, "/x")]) == []
    assert engine.stats().sequence_states == {"Dropped Binary Executed": 0}
    assert _run(engine, [_w(100, "/y"), _c(130, "/y"), _x(160, "/y")]) == [
        (160, "Dropped Binary Executed")
    ]


def test_sequence_replay_is_deterministic() -> None:
    events = [
        _w(1, "/p"),
        _w(1.5, "/q"),
        _c(2, "/p"),
        _x(3, "/p"),
        _c(4, "/q"),
        _x(70, "/q"),
        _w(71, "/p"),
        _c(72, "/p"),
        _x(73, "/p"),
    ]
    first = _run(_drop_and_run(), events)
    assert first == [(3, "Dropped Binary Executed"), (73, "Dropped Binary Executed")]
    assert _run(_drop_and_run(), events) == first


def test_keyless_steps_advance_any_progress_of_the_group() -> None:
    seq = sequence("shell then net", [step(_is("execve"), {"execve"}), step(_is("connect"), None)])
    engine = Engine(RuleSet.build((), sequences=(seq,)))
    assert _run(engine, [ev("connect", 1), ev("execve", 2), ev("connect", 3)]) == [
        (3, "shell then net")
    ]


def test_sequence_state_is_bounded_with_lru_eviction() -> None:
    rule = sequence(
        "s",
        [
            step(lambda e: True, {"openat"}, key="fd.name"),
            step(lambda e: True, {"execve"}, "fd.name"),
        ],
    )
    state = SequenceState(rule, max_keys=3)
    for i in range(10):
        state.feed(ev("openat", 1 + i * 0.001, fd__name=f"/f{i}"), (0,))
    assert len(state) == 3
    assert state.evictions == 7
    # the newest three survive, the oldest were evicted
    done = state.feed(ev("execve", 2, fd__name="/f9"), (1,))
    assert done is not None
    assert (done.rule, done.kind, done.event.fields["fd.name"]) == ("s", AlertKind.SEQUENCE, "/f9")
    assert len(state) == 2  # the finished progress is dropped
    assert state.feed(ev("execve", 2, fd__name="/f0"), (1,)) is None


def test_threshold_counts_events_in_sliding_window_and_rearms() -> None:
    thr = threshold("burst", lambda e: True, {"connect"}, count=3, within_s=10)
    engine = Engine(RuleSet.build((), thresholds=(thr,)))
    times = [0, 5, 11, 12, 13, 14, 15, 24, 25, 26]
    fired = _run(engine, [ev("connect", t) for t in times])
    # 0,5 then 11 (0 left the window: 11-10=1 > 0) -> 5,11,12 fires at 12;
    # quiet until 22; then 24,25,26 fires at 26
    assert fired == [(12, "burst"), (26, "burst")]


def test_threshold_distinct_values_per_group() -> None:
    thr = threshold("fanout", lambda e: True, {"connect"}, count=3, within_s=10, distinct="fd.sip")
    engine = Engine(RuleSet.build((), thresholds=(thr,)))
    events = [
        ev("connect", 1, fd__sip="10.0.0.1"),
        ev("connect", 2, fd__sip="10.0.0.1"),
        ev("connect", 3, fd__sip="10.0.0.2"),
        ev("connect", 3, "other", fd__sip="10.0.0.3"),
        ev("connect", 4, fd__sip="10.0.0.3"),
    ]
    alerts = []
    for e in events:
        alerts.extend(engine.process(e))
    assert [(a.rule, a.time // 10**9, a.kind) for a in alerts] == [
        ("fanout", 4, AlertKind.THRESHOLD)
    ]
    assert alerts[0].output == "fanout 10.0.0.3"
    assert alerts[0].output_fields["threshold.count"] == 3


def test_threshold_distinct_values_expire() -> None:
    thr = threshold("fanout", lambda e: True, {"connect"}, count=3, within_s=10, distinct="fd.sip")
    engine = Engine(RuleSet.build((), thresholds=(thr,)))
    events = [
        ev("connect", 0, fd__sip="a"),
        ev("connect", 5, fd__sip="b"),
        ev("connect", 11, fd__sip="c"),  # a left the window
        ev("connect", 12, fd__sip="a"),  # a, b, c within 10 s
    ]
    assert _run(engine, events) == [(12, "fanout")]


def test_threshold_state_bounded() -> None:
    thr = threshold("t", lambda e: True, None, count=5, within_s=10, distinct="fd.sip")
    state = ThresholdState(thr, max_keys=4)
    for i in range(50):
        state.feed(ev("connect", 1, f"c{i}", fd__sip=str(i)))
    assert len(state) == 4
    assert state.evictions == 46


def test_threshold_ignores_missing_distinct_value() -> None:
    thr = threshold("t", lambda e: True, None, count=1, within_s=10, distinct="fd.sip")
    engine = Engine(RuleSet.build((), thresholds=(thr,)))
    assert _run(engine, [ev("connect", 1)]) == []
    assert _run(engine, [ev("connect", 2, fd__sip="x")]) == [(2, "t")]
