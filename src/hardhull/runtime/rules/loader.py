"""Load Falco rule files (plus hardhull's ``sequence`` and ``threshold`` items) into a
:class:`RuleSet`.

Like Falco, every file is first *collected* (lists, macros and rules, with ``append`` and
``override`` applied in load order across files), then everything is *compiled* once.
Each problem is a :class:`Diagnostic` with file:line:column; an error in one item or one
file never stops the others from loading. ``strict=True`` raises :class:`RuleLoadError`
listing every error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from hardhull.errors import RuleLoadError
from hardhull.model.event import Priority
from hardhull.runtime.rules import collect
from hardhull.runtime.rules.compiler import (
    CompileError,
    MacroDef,
    Scope,
    compile_node,
    lower_node,
)
from hardhull.runtime.rules.exceptions import fold
from hardhull.runtime.rules.model import (
    CompiledRule,
    Diagnostic,
    Matcher,
    Position,
    RuleSet,
    SequenceRule,
    ThresholdRule,
)
from hardhull.runtime.rules.output import CompiledOutput, compile_output
from hardhull.runtime.rules.parser import ConditionSyntaxError, MacroRef, parse_condition

SUPPORTED_SOURCES = frozenset({"syscall", "k8s_audit"})


@dataclass(frozen=True, slots=True)
class LoadResult:
    """The rule set plus the counts ``hardhull runtime validate`` prints."""

    ruleset: RuleSet
    counts: Mapping[str, int] = field(default_factory=dict)


class Where(Protocol):
    """Where a condition came from (for positioned errors)."""

    def key_position(self, key: str) -> Position: ...

    def locate(self, text: str, offset: int | None) -> Position: ...


class Compiler:
    """The compile phase over collected state; appends diagnostics to ``diags``."""

    def __init__(self, state: collect.State, diags: list[Diagnostic]) -> None:
        self.state = state
        self.diags = diags
        self.scope = Scope(lists={n: tuple(d.items) for n, d in state.lists.items()})
        macros: dict[str, MacroDef] = {}
        for name, md in state.macros.items():
            try:
                macros[name] = MacroDef(name, parse_condition(md.condition))
            except ConditionSyntaxError as exc:
                self.error("syntax", f"macro {name!r}: {exc}", md.locate(md.condition, exc.offset))
                macros[name] = MacroDef(name, None, error=str(exc))
        self.scope.macros = macros
        self.reported: set[str] = set()
        for name in macros:
            self.compile_macro(name)

    def error(self, code: str, msg: str, pos: Position | None) -> None:
        self.diags.append(Diagnostic("error", code, msg, pos))

    def compile_macro(self, name: str) -> None:
        md = self.scope.macros[name]
        if md.compiled is not None or md.failed is not None or md.ast is None:
            return
        self.scope._stack.clear()
        try:
            lower_node(MacroRef(name, 0), self.scope)
        except CompileError as exc:
            owner = exc.macro or name
            md.failed = md.failed or exc
            if owner in self.reported:
                return
            self.reported.add(owner)
            src = self.state.macros[owner]
            self.error(exc.code, f"macro {owner!r}: {exc}", src.locate(src.condition, exc.offset))

    def condition(
        self, text: str, what: str, where: Where, exceptions: list[dict[str, Any]]
    ) -> tuple[Matcher, frozenset[str] | None] | None:
        """Parse and compile one condition (with exceptions folded); None on error."""
        full = fold(text, exceptions, self.scope.lists)
        shift = 1 if full is not text else 0
        try:
            self.scope._stack.clear()
            return compile_node(parse_condition(full), self.scope, what)
        except (ConditionSyntaxError, CompileError) as exc:
            code = exc.code if isinstance(exc, CompileError) else "syntax"
            off = exc.offset
            pos = None
            if off is not None and shift and not (1 <= off <= len(text)):
                pos = where.key_position("exceptions")
            elif off is not None:
                pos = where.locate(text, off - shift)
            if isinstance(exc, CompileError) and exc.macro is not None and code != "macro-cycle":
                code, msg = "macro-error", f"uses macro {exc.macro!r}, which has errors"
            else:
                msg = str(exc)
            self.error(code, f"{what}: {msg}", pos or where.key_position("condition"))
            return None

    def output(self, text: str, what: str, where: collect.Located) -> CompiledOutput | None:
        try:
            return compile_output(text)
        except RuleLoadError as exc:
            self.error("unknown-field", f"{what}: {exc}", where.key_position("output"))
            return None

    def priority(self, value: Any, what: str, where: collect.Located) -> Priority | None:
        try:
            return Priority.parse(str(value))
        except ValueError:
            self.error(
                "bad-priority",
                f"{what}: unknown priority {value!r} (one of: "
                + ", ".join(p.value.upper() for p in Priority)
                + ")",
                where.key_position("priority"),
            )
            return None

    def rules(self) -> tuple[list[CompiledRule], int]:
        out: list[CompiledRule] = []
        disabled = 0
        for rs in self.state.rules.values():
            what = f"rule {rs.name!r}"
            v = rs.values
            source = v.get("source", "syscall")
            if source not in SUPPORTED_SOURCES:
                self.diags.append(
                    Diagnostic(
                        "warning",
                        "unsupported-source",
                        f"{what}: source {source!r} is not supported "
                        f"(supported: {', '.join(sorted(SUPPORTED_SOURCES))}); rule not loaded",
                        rs.position,
                    )
                )
                continue
            missing = [k for k in ("condition", "output", "priority") if k not in v]
            if missing:
                self.error(
                    "missing-key", f"{what}: missing key(s) {', '.join(missing)}", rs.position
                )
                continue
            before = len(self.diags)
            compiled = self.condition(v["condition"], what, rs, v.get("exceptions", []))
            if compiled is None and v.get("skip-if-unknown-filter") is True:
                bad = self.diags.pop() if len(self.diags) > before else None
                if bad is not None:
                    self.diags.append(
                        Diagnostic("warning", "skipped-unknown-filter", bad.message, bad.position)
                    )
                continue
            fmt = self.output(v["output"], what, rs)
            prio = self.priority(v["priority"], what, rs)
            if compiled is None or fmt is None or prio is None:
                continue
            if v.get("enabled", True) is False:
                disabled += 1
                continue
            match, types = compiled
            out.append(
                CompiledRule(
                    name=rs.name,
                    desc=str(v.get("desc", "")),
                    priority=prio,
                    source=source,
                    tags=tuple(str(t) for t in v.get("tags", [])),
                    evt_types=types,
                    match=match,
                    format_output=fmt.format,
                    output_fields=fmt.fields,
                    position=rs.position,
                )
            )
        return out, disabled


def _read(path: str) -> tuple[str | None, Diagnostic | None]:
    try:
        return Path(path).read_text(encoding="utf-8"), None
    except FileNotFoundError:
        return None, Diagnostic("error", "no-file", f"{path}: no such file", Position(path, 1))
    except (OSError, UnicodeDecodeError) as exc:
        return None, Diagnostic(
            "error", "unreadable", f"{path}: cannot read ({exc})", Position(path, 1)
        )


def load_rules_report(paths: Sequence[str | Path], *, strict: bool = False) -> LoadResult:
    """Load ``paths`` in order; see the module doc."""
    from hardhull.runtime.rules.extensions import compile_sequences, compile_thresholds

    diags: list[Diagnostic] = []
    state = collect.State()
    files: list[str] = []
    for p in paths:
        path = str(p)
        files.append(path)
        text, problem = _read(path)
        if problem is not None:
            diags.append(problem)
            continue
        assert text is not None
        collect.collect_file(state, path, text, diags)
    comp = Compiler(state, diags)
    rules, disabled = comp.rules()
    sequences: list[SequenceRule] = compile_sequences(comp, state)
    thresholds: list[ThresholdRule] = compile_thresholds(comp, state)
    ruleset = RuleSet.build(
        tuple(rules),
        tuple(sequences),
        tuple(thresholds),
        diagnostics=tuple(diags),
        files=tuple(files),
    )
    if strict and ruleset.errors:
        raise RuleLoadError(
            f"{len(ruleset.errors)} error(s) loading rules:\n"
            + "\n".join(str(d) for d in ruleset.errors)
        )
    counts = {
        "files": len(files),
        "rules": len(rules),
        "rules_disabled": disabled,
        "macros": len(state.macros),
        "lists": len(state.lists),
        "sequences": len(sequences),
        "thresholds": len(thresholds),
        "errors": len(ruleset.errors),
        "warnings": len(diags) - len(ruleset.errors),
    }
    return LoadResult(ruleset, counts)


def load_rules(paths: Sequence[str | Path], *, strict: bool = False) -> RuleSet:
    """Load rule files in order into a :class:`RuleSet` (errors are diagnostics)."""
    return load_rules_report(paths, strict=strict).ruleset


def _compile_adhoc(
    text: str, macros: Mapping[str, str] | None, lists: Mapping[str, Sequence[str]] | None
) -> tuple[Matcher, frozenset[str] | None]:
    scope = Scope(lists={k: tuple(str(x) for x in v) for k, v in (lists or {}).items()})
    scope.macros = {
        name: MacroDef(name, parse_condition(cond)) for name, cond in (macros or {}).items()
    }
    return compile_node(parse_condition(text), scope)


def compile_condition(
    text: str,
    *,
    macros: Mapping[str, str] | None = None,
    lists: Mapping[str, Sequence[str]] | None = None,
) -> Matcher:
    """Compile one condition with the given macro texts and lists (tests, ad hoc use);
    :class:`RuleLoadError` on any problem."""
    return _compile_adhoc(text, macros, lists)[0]


def condition_evt_types(
    text: str,
    *,
    macros: Mapping[str, str] | None = None,
    lists: Mapping[str, Sequence[str]] | None = None,
) -> frozenset[str] | None:
    """The ``evt.type`` values a condition can match (None: any)."""
    return _compile_adhoc(text, macros, lists)[1]


__all__ = [
    "LoadResult",
    "compile_condition",
    "compile_output",
    "condition_evt_types",
    "load_rules",
    "load_rules_report",
]
