"""The collect phase: read each file's items, check keys and types, apply ``append`` /
``override`` in load order. Nothing is compiled here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hardhull.runtime.rules.exceptions import check_exceptions, merge_exceptions
from hardhull.runtime.rules.model import Diagnostic, Position
from hardhull.runtime.rules.yamlpos import Item, RulesFile, read_rules_file

_STR, _BOOL, _LIST, _DICT, _INT = "a string", "true or false", "a list", "a mapping", "a number"

RULE_KEYS: dict[str, str] = {
    "rule": _STR,
    "desc": _STR,
    "condition": _STR,
    "output": _STR,
    "priority": _STR,
    "tags": _LIST,
    "enabled": _BOOL,
    "source": _STR,
    "exceptions": _LIST,
    "warn_evttypes": _BOOL,
    "skip-if-unknown-filter": _BOOL,
    "append": _BOOL,
    "override": _DICT,
    "capture": _BOOL,
    "capture_duration": _INT,
}
MACRO_KEYS = {"macro": _STR, "condition": _STR, "append": _BOOL, "override": _DICT, "source": _STR}
LIST_KEYS = {"list": _STR, "items": _LIST, "append": _BOOL, "override": _DICT}
SEQUENCE_KEYS = {
    "sequence": _STR,
    "desc": _STR,
    "by": _LIST,
    "within": "",
    "steps": _LIST,
    "output": _STR,
    "priority": _STR,
    "tags": _LIST,
    "source": _STR,
    "enabled": _BOOL,
}
THRESHOLD_KEYS = {
    "threshold": _STR,
    "desc": _STR,
    "condition": _STR,
    "by": _LIST,
    "distinct": _STR,
    "count": _INT,
    "within": "",
    "output": _STR,
    "priority": _STR,
    "tags": _LIST,
    "source": _STR,
    "enabled": _BOOL,
}
_KINDS = {
    "rule": RULE_KEYS,
    "macro": MACRO_KEYS,
    "list": LIST_KEYS,
    "sequence": SEQUENCE_KEYS,
    "threshold": THRESHOLD_KEYS,
}
_APPENDABLE = {
    "rule": {"condition", "output", "desc", "tags", "exceptions"},
    "macro": {"condition"},
    "list": {"items"},
}
_REPLACEABLE = {
    "rule": {
        "condition",
        "output",
        "desc",
        "priority",
        "tags",
        "exceptions",
        "enabled",
        "warn_evttypes",
        "skip-if-unknown-filter",
        "source",
        "capture",
        "capture_duration",
    },
    "macro": {"condition"},
    "list": {"items"},
}


@dataclass
class Located:
    """Something defined at ``position``; ``segments`` remember which file item each
    piece of an (appended) condition came from, for positioned errors."""

    name: str
    position: Position
    rf: RulesFile
    item: Item
    segments: list[tuple[int, RulesFile, Item, str]] = field(default_factory=list)

    def key_position(self, key: str) -> Position:
        return self.item.key_pos.get(key, self.position)

    def locate(self, text: str, offset: int | None) -> Position:
        if offset is None:
            return self.key_position("condition")
        for start, rf, item, piece in reversed(self.segments):
            if offset >= start:
                return rf.locate(item, "condition", piece, offset - start)
        return self.rf.locate(self.item, "condition", text, offset)


@dataclass
class ListDef(Located):
    items: list[str] = field(default_factory=list)


@dataclass
class MacroState(Located):
    condition: str = ""


@dataclass
class RuleState(Located):
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class State:
    lists: dict[str, ListDef] = field(default_factory=dict)
    macros: dict[str, MacroState] = field(default_factory=dict)
    rules: dict[str, RuleState] = field(default_factory=dict)
    sequences: dict[str, RuleState] = field(default_factory=dict)
    thresholds: dict[str, RuleState] = field(default_factory=dict)
    engine_versions: list[str] = field(default_factory=list)


def _type_ok(value: Any, want: str) -> bool:
    if want == _STR:
        return isinstance(value, str)
    if want == _BOOL:
        return isinstance(value, bool)
    if want == _LIST:
        return isinstance(value, list)
    if want == _DICT:
        return isinstance(value, dict)
    if want == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    return True


def _list_item(v: Any) -> str:
    text = "true" if v is True else "false" if v is False else str(v)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def collect_file(state: State, path: str, text: str, diags: list[Diagnostic]) -> None:
    rf, problems = read_rules_file(path, text)
    diags.extend(problems)
    if rf is None:
        return
    for item in rf.items:
        _collect_item(state, rf, item, diags)


def _collect_item(state: State, rf: RulesFile, item: Item, diags: list[Diagnostic]) -> None:
    v = item.values

    def err(code: str, msg: str, pos: Position | None = None) -> None:
        diags.append(Diagnostic("error", code, msg, pos or item.position))

    if "required_engine_version" in v:
        state.engine_versions.append(str(v["required_engine_version"]))
        return
    if "required_plugin_versions" in v:
        if not isinstance(v["required_plugin_versions"], list):
            err(
                "wrong-type",
                "required_plugin_versions must be a list",
                item.pos("required_plugin_versions"),
            )
        return
    kinds = [k for k in _KINDS if k in v]
    if len(kinds) != 1:
        err(
            "unknown-item",
            "unknown item: expected one of rule, macro, list, sequence, threshold, "
            f"required_engine_version, required_plugin_versions (keys: {', '.join(sorted(v))})",
        )
        return
    kind = kinds[0]
    spec = _KINDS[kind]
    name = v[kind]
    if not isinstance(name, str) or not name:
        err("wrong-type", f"{kind} name must be a non-empty string", item.pos(kind))
        return
    what = f"{kind} {name!r}"
    bad = False
    for key, value in v.items():
        if key not in spec:
            err("unknown-key", f"{what}: unknown key {key!r}", item.pos(key))
            bad = True
        elif not _type_ok(value, spec[key]):
            err("wrong-type", f"{what}: {key} must be {spec[key]}", item.pos(key))
            bad = True
    if bad:
        return
    if kind == "rule" and "exceptions" in v:
        excs, problems = check_exceptions(v["exceptions"])
        for p in problems:
            err("bad-exception", f"{what}: {p}", item.pos("exceptions"))
        if problems:
            return
        v = dict(v, exceptions=excs)
    if kind == "list":
        v = dict(v, items=[_list_item(x) for x in v.get("items") or []])
    if "override" in v or v.get("append") is True:
        _modify(state, rf, item, kind, name, v, err)
        return
    _define(state, rf, item, kind, name, v, err)


def _table(state: State, kind: str) -> dict[str, Any]:
    tables: dict[str, dict[str, Any]] = {
        "list": state.lists,
        "macro": state.macros,
        "rule": state.rules,
        "sequence": state.sequences,
        "threshold": state.thresholds,
    }
    return tables[kind]


def _define(
    state: State, rf: RulesFile, item: Item, kind: str, name: str, v: dict[str, Any], err: Any
) -> None:
    if kind == "list":
        state.lists[name] = ListDef(name, item.position, rf, item, items=list(v.get("items", [])))
        return
    if kind == "macro":
        if "condition" not in v:
            err("missing-key", f"macro {name!r}: missing key condition")
            return
        cond = str(v["condition"])
        state.macros[name] = MacroState(
            name, item.position, rf, item, segments=[(0, rf, item, cond)], condition=cond
        )
        return
    table = _table(state, kind)
    if kind == "rule" and set(v) <= {"rule", "enabled"} and name in table:
        table[name].values["enabled"] = v.get("enabled", True)  # legacy enable/disable
        return
    cond = str(v.get("condition", ""))
    table[name] = RuleState(
        name, item.position, rf, item, segments=[(0, rf, item, cond)], values=dict(v)
    )


def _modify(
    state: State, rf: RulesFile, item: Item, kind: str, name: str, v: dict[str, Any], err: Any
) -> None:
    what = f"{kind} {name!r}"
    table = _table(state, kind)
    target = table.get(name)
    if target is None:
        err("append-undefined", f"{what}: append/override of an undefined {kind}", item.pos(kind))
        return
    if kind not in _APPENDABLE:
        err("unknown-key", f"{what}: append/override is not supported for {kind} items")
        return
    if "override" in v:
        if v.get("append") is True:
            err(
                "wrong-type",
                f"{what}: use either append or override, not both",
                item.pos("override"),
            )
            return
        plan: dict[str, str] = {}
        for key, how in v["override"].items():
            if how not in ("append", "replace"):
                err(
                    "wrong-type",
                    f"{what}: override of {key!r} must be append or replace",
                    item.pos("override"),
                )
                return
            allowed = _APPENDABLE[kind] if how == "append" else _REPLACEABLE[kind]
            if key not in allowed:
                err("unknown-key", f"{what}: cannot {how} {key!r}", item.pos("override"))
                return
            if key not in v:
                err(
                    "missing-key",
                    f"{what}: override names {key!r} but the item has no {key}",
                    item.pos("override"),
                )
                return
            plan[str(key)] = how
        extra = set(v) - set(plan) - {kind, "override"}
        if extra:
            err(
                "unknown-key",
                f"{what}: key(s) {', '.join(sorted(extra))} not listed in override",
                item.pos(sorted(extra)[0]),
            )
            return
    else:
        plan = {k: "append" for k in v if k not in (kind, "append")}
        bad = [k for k in plan if k not in _APPENDABLE[kind]]
        if bad:
            err("unknown-key", f"{what}: cannot append {', '.join(bad)}", item.pos(bad[0]))
            return
    for key, how in plan.items():
        _apply(target, kind, key, how, v[key], rf, item)


def _apply(
    target: Any, kind: str, key: str, how: str, value: Any, rf: RulesFile, item: Item
) -> None:
    if kind == "list":
        target.items = target.items + list(value) if how == "append" else list(value)
        return
    if key == "condition":
        text = str(value)
        cur = target.condition if kind == "macro" else str(target.values.get("condition", ""))
        if how == "append":
            start = len(cur) + 1
            new = f"{cur} {text}"
            target.segments.append((start, rf, item, text))
        else:
            new = text
            target.segments = [(0, rf, item, text)]
        if kind == "macro":
            target.condition = new
        else:
            target.values["condition"] = new
        return
    vals = target.values
    if how == "replace":
        vals[key] = value
    elif key == "exceptions":
        vals[key] = merge_exceptions(vals.get(key, []), value)
    elif key == "tags":
        vals[key] = list(vals.get(key, [])) + list(value)
    else:
        vals[key] = f"{vals.get(key, '')} {value}"
