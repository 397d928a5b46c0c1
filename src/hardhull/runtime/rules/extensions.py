"""hardhull's own items in the same YAML: ``sequence`` and ``threshold`` rules, compiled
into :class:`SequenceRule` / :class:`ThresholdRule` (the engine runs them)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from hardhull.errors import RuleLoadError
from hardhull.runtime.fields import compile_field
from hardhull.runtime.rules.collect import RuleState, State
from hardhull.runtime.rules.model import (
    Extractor,
    Position,
    SequenceRule,
    SequenceStep,
    ThresholdRule,
)

if TYPE_CHECKING:
    from hardhull.runtime.rules.loader import Compiler

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ns|us|ms|s|m|h)?\s*$")
_UNIT_NS = {
    "ns": 1,
    "us": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}


def parse_duration(value: Any) -> int:
    """``500ms``, ``60s``, ``5m``, ``1h`` or a number of seconds -> nanoseconds (> 0)."""
    if isinstance(value, bool):
        raise ValueError("not a duration")
    if isinstance(value, (int, float)):
        ns = int(value * 1_000_000_000)
    else:
        m = _DURATION.match(str(value))
        if not m:
            raise ValueError(f"bad duration {value!r} (use e.g. 500ms, 60s, 5m, 1h)")
        ns = int(float(m.group(1)) * _UNIT_NS[m.group(2) or "s"])
    if ns <= 0:
        raise ValueError(f"duration {value!r} must be positive")
    return ns


def _common(comp: Compiler, rs: RuleState, kind: str) -> tuple[Any, ...] | None:
    v = rs.values
    what = f"{kind} {rs.name!r}"
    missing = [k for k in ("within", "output", "priority", "by") if k not in v]
    if missing:
        comp.error("missing-key", f"{what}: missing key(s) {', '.join(missing)}", rs.position)
        return None
    source = v.get("source", "syscall")
    if source not in ("syscall", "k8s_audit"):
        comp.error(
            "unsupported-source",
            f"{what}: source {source!r} is not supported",
            rs.key_position("source"),
        )
        return None
    ok = True
    try:
        within = parse_duration(v["within"])
    except ValueError as exc:
        comp.error("bad-duration", f"{what}: within: {exc}", rs.key_position("within"))
        ok = False
    by: list[Extractor] = []
    for f in v["by"]:
        try:
            by.append(compile_field(str(f)))
        except RuleLoadError as exc:
            comp.error("unknown-field", f"{what}: by: {exc}", rs.key_position("by"))
            ok = False
    fmt = comp.output(str(v["output"]), what, rs)
    prio = comp.priority(v["priority"], what, rs)
    if not ok or fmt is None or prio is None:
        return None
    return within, tuple(by), fmt, prio, source


def compile_sequences(comp: Compiler, state: State) -> list[SequenceRule]:
    out: list[SequenceRule] = []
    for rs in state.sequences.values():
        what = f"sequence {rs.name!r}"
        common = _common(comp, rs, "sequence")
        steps_raw = rs.values.get("steps")
        if not isinstance(steps_raw, list) or len(steps_raw) < 2:
            comp.error(
                "wrong-type",
                f"{what}: steps must be a list of at least 2 steps",
                rs.key_position("steps"),
            )
            continue
        steps: list[SequenceStep] = []
        for i, st in enumerate(steps_raw, 1):
            if not isinstance(st, dict) or not isinstance(st.get("condition"), str):
                comp.error(
                    "wrong-type",
                    f"{what}: step {i} needs a condition string",
                    rs.key_position("steps"),
                )
                break
            extra = set(st) - {"condition", "key"}
            if extra:
                comp.error(
                    "unknown-key",
                    f"{what}: step {i}: unknown key(s) {', '.join(sorted(extra))}",
                    rs.key_position("steps"),
                )
                break
            cond_where = _StepLocated(rs, st["condition"])
            compiled = comp.condition(st["condition"], f"{what} step {i}", cond_where, [])
            key = None
            if "key" in st:
                try:
                    key = compile_field(str(st["key"]))
                except RuleLoadError as exc:
                    comp.error(
                        "unknown-field", f"{what}: step {i} key: {exc}", rs.key_position("steps")
                    )
                    break
            if compiled is None:
                break
            steps.append(SequenceStep(match=compiled[0], evt_types=compiled[1], key=key))
        if (
            common is None
            or len(steps) != len(steps_raw)
            or rs.values.get("enabled", True) is False
        ):
            continue
        within, by, fmt, prio, source = common
        out.append(
            SequenceRule(
                name=rs.name,
                desc=str(rs.values.get("desc", "")),
                priority=prio,
                source=source,
                tags=tuple(str(t) for t in rs.values.get("tags", [])),
                steps=tuple(steps),
                by=by,
                within_ns=within,
                format_output=fmt.format,
                position=rs.position,
            )
        )
    return out


class _StepLocated:
    """Locates errors of a step condition inside the ``steps`` value of the item."""

    def __init__(self, rs: RuleState, text: str) -> None:
        self.rs = rs
        self.text = text

    def key_position(self, key: str) -> Position:
        return self.rs.key_position("steps")

    def locate(self, text: str, offset: int | None) -> Position:
        return self.rs.rf.locate(self.rs.item, "steps", text, offset)


def compile_thresholds(comp: Compiler, state: State) -> list[ThresholdRule]:
    out: list[ThresholdRule] = []
    for rs in state.thresholds.values():
        what = f"threshold {rs.name!r}"
        v = rs.values
        common = _common(comp, rs, "threshold")
        if "condition" not in v or "count" not in v:
            comp.error("missing-key", f"{what}: needs condition and count", rs.position)
            continue
        compiled = comp.condition(v["condition"], what, rs, [])
        distinct = None
        if "distinct" in v:
            try:
                distinct = compile_field(v["distinct"])
            except RuleLoadError as exc:
                comp.error("unknown-field", f"{what}: distinct: {exc}", rs.key_position("distinct"))
                continue
        if v["count"] < 1:
            comp.error("wrong-type", f"{what}: count must be at least 1", rs.key_position("count"))
            continue
        if common is None or compiled is None or v.get("enabled", True) is False:
            continue
        within, by, fmt, prio, source = common
        out.append(
            ThresholdRule(
                name=rs.name,
                desc=str(v.get("desc", "")),
                priority=prio,
                source=source,
                tags=tuple(str(t) for t in v.get("tags", [])),
                match=compiled[0],
                evt_types=compiled[1],
                by=by,
                distinct=distinct,
                count=int(v["count"]),
                within_ns=within,
                format_output=fmt.format,
                position=rs.position,
            )
        )
    return out
