"""Compile a condition AST into a Python closure (the hot path) and work out which
``evt.type`` values it can match.

Falco semantics kept here: an absent field makes every comparison false (``!=`` too);
list constants become frozensets; numeric fields compare numerically; list fields and
``any`` fields (``proc.aname``, ``fd.ip``) compare element-wise (see
:mod:`hardhull.runtime.fields`).
"""

from __future__ import annotations

import fnmatch
import functools
import ipaddress
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hardhull.errors import RuleLoadError
from hardhull.model.event import Event
from hardhull.runtime.fields import NUMERIC_TYPES, FieldRef, resolve_field
from hardhull.runtime.rules.model import Matcher
from hardhull.runtime.rules.parser import (
    And,
    Check,
    FieldExpr,
    ListExpr,
    MacroRef,
    Node,
    Not,
    Or,
    Value,
)

Pred = Callable[[Any], bool]
EvtTypes = frozenset[str] | None

_OPS_BY_TYPE: dict[str, frozenset[str]] = {
    "numeric": frozenset({"=", "==", "!=", "<", "<=", ">", ">=", "in", "intersects", "exists"}),
    "bool": frozenset({"=", "==", "!=", "in", "intersects", "exists"}),
    "ipaddr": frozenset({"=", "==", "!=", "in", "intersects", "exists"}),
    "ipnet": frozenset({"=", "==", "!=", "in", "intersects", "exists"}),
}


class CompileError(RuleLoadError):
    """A compile error: ``code`` names the kind, ``offset`` where in the condition text
    (``None`` when unknown), ``macro`` the macro it came from (``None``: the condition)."""

    def __init__(
        self, message: str, code: str, offset: int | None = None, macro: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.offset = offset
        self.macro = macro


@dataclass
class MacroDef:
    """A macro as the compiler needs it: its parsed condition (or the parse error)."""

    name: str
    ast: Node | None
    error: str | None = None
    compiled: tuple[Matcher, EvtTypes] | None = None
    failed: CompileError | None = None
    used: bool = False


@dataclass
class Scope:
    """The macros and lists a condition may reference (after every file is collected)."""

    macros: Mapping[str, MacroDef] = field(default_factory=dict)
    lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    _stack: list[str] = field(default_factory=list)

    def expand(self, items: tuple[Value, ...]) -> tuple[str, ...]:
        out: list[str] = []
        for v in items:
            if not v.quoted and v.text in self.lists:
                out.extend(self.expand_list(v.text, ()))
            else:
                out.append(v.text)
        return tuple(out)

    def expand_list(self, name: str, seen: tuple[str, ...]) -> tuple[str, ...]:
        if name in seen:
            raise CompileError(f"list cycle: {' -> '.join((*seen, name))}", "list-cycle")
        out: list[str] = []
        for item in self.lists[name]:
            if item in self.lists and item != name:
                out.extend(self.expand_list(item, (*seen, name)))
            else:
                out.append(item)
        return tuple(out)


def compile_node(node: Node, scope: Scope) -> tuple[Matcher, EvtTypes]:
    """Compile an AST; :class:`CompileError` on unknown fields, macros, bad operands."""
    if isinstance(node, Check):
        return _check(node, scope), _evt_types_of(node, scope)
    if isinstance(node, MacroRef):
        return _macro(node, scope)
    if isinstance(node, Not):
        inner, _ = compile_node(node.item, scope)
        return (lambda e: not inner(e)), None
    parts = [compile_node(n, scope) for n in node.items]
    matchers = tuple(m for m, _ in parts)
    types = [t for _, t in parts]
    if isinstance(node, And):
        known = [t for t in types if t is not None]
        et: EvtTypes = None
        if known:
            et = known[0]
            for t in known[1:]:
                et = et & t
        return _and(matchers), et
    assert isinstance(node, Or)
    et = None
    if all(t is not None for t in types):
        et = frozenset().union(*[t for t in types if t is not None])
    return _or(matchers), et


def _and(ms: tuple[Matcher, ...]) -> Matcher:
    if len(ms) == 2:
        a, b = ms
        return lambda e: a(e) and b(e)
    if len(ms) == 3:
        a, b, c = ms
        return lambda e: a(e) and b(e) and c(e)

    def f(e: Event) -> bool:
        for m in ms:  # noqa: SIM110  (a loop is faster than all() on a generator)
            if not m(e):
                return False
        return True

    return f


def _or(ms: tuple[Matcher, ...]) -> Matcher:
    if len(ms) == 2:
        a, b = ms
        return lambda e: a(e) or b(e)
    if len(ms) == 3:
        a, b, c = ms
        return lambda e: a(e) or b(e) or c(e)

    def f(e: Event) -> bool:
        for m in ms:  # noqa: SIM110
            if m(e):
                return True
        return False

    return f


def _macro(node: MacroRef, scope: Scope) -> tuple[Matcher, EvtTypes]:
    md = scope.macros.get(node.name)
    if md is None:
        raise CompileError(
            f"undefined macro {node.name!r} (or a field missing its operator)",
            "undefined-macro",
            node.offset,
        )
    md.used = True
    if md.compiled is not None:
        return md.compiled
    if md.failed is not None or md.error is not None or md.ast is None:
        raise CompileError(f"macro {node.name!r} has errors", "macro-error", node.offset)
    if node.name in scope._stack:
        cycle = " -> ".join((*scope._stack[scope._stack.index(node.name) :], node.name))
        raise CompileError(f"macro cycle: {cycle}", "macro-cycle", node.offset)
    scope._stack.append(node.name)
    try:
        md.compiled = compile_node(md.ast, scope)
    except CompileError as exc:
        if exc.macro is None:
            exc.macro = node.name
        if exc.code != "macro-cycle":
            md.failed = exc
        raise
    finally:
        scope._stack.pop()
    return md.compiled


def _evt_types_of(node: Check, scope: Scope) -> EvtTypes:
    if node.field.text != "evt.type":
        return None
    if node.op in ("=", "==") and isinstance(node.operand, Value):
        return frozenset({node.operand.text})
    if node.op in ("in", "intersects") and isinstance(node.operand, ListExpr):
        return frozenset(scope.expand(node.operand.items))
    return None


def _ref(expr: FieldExpr) -> FieldRef:
    text = expr.text
    if text.startswith("val(") and text.endswith(")"):
        text = text[4:-1]
    try:
        return resolve_field(text)
    except RuleLoadError as exc:
        code = "unknown-field" if "unknown field" in str(exc) else "bad-field"
        raise CompileError(str(exc), code, expr.offset) from None


def _type_class(t: str) -> str:
    return "numeric" if t in NUMERIC_TYPES else t


def _const(ref: FieldRef, v: Value, op: str) -> Any:
    t = ref.type
    text = v.text
    try:
        if t in NUMERIC_TYPES:
            return int(text, 0) if text[:2].lower() in ("0x", "0o", "0b") else int(text)
        if t == "bool":
            low = text.lower()
            if low not in ("true", "false"):
                raise ValueError("not true or false")
            return low == "true"
        if t == "ipaddr":
            return str(ipaddress.ip_address(text))
        if t == "ipnet":
            return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise CompileError(
            f"value {text!r} is not valid for field {ref.text} ({t})", "bad-operand", v.offset
        ) from None
    if op in ("bcontains", "bstartswith"):
        try:
            return bytes.fromhex(text)
        except ValueError:
            raise CompileError(
                f"{op} needs a hex string, not {text!r}", "bad-operand", v.offset
            ) from None
    return text


@functools.lru_cache(maxsize=4096)
def _addr(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _in_nets(nets: tuple[Any, ...]) -> Pred:
    def p(v: Any) -> bool:
        a = _addr(str(v))
        if a is None:
            return False
        return any(a in n for n in nets if n.version == a.version)

    return p


def _pmatch(prefixes: tuple[str, ...]) -> Pred:
    exact = frozenset(p.rstrip("/") or "/" for p in prefixes if "*" not in p)
    globs = tuple(re.compile(fnmatch.translate(p.rstrip("/"))) for p in prefixes if "*" in p)

    def p(v: Any) -> bool:
        path = str(v)
        while True:
            if path in exact or any(g.match(path) for g in globs):
                return True
            parent = posixpath.dirname(path)
            if parent == path or not parent:
                return False
            path = parent

    return p


def _as_bytes(v: Any) -> bytes:
    return v if isinstance(v, bytes) else str(v).encode("utf-8", "surrogateescape")


def _pred(op: str, c: Any) -> Pred:
    """A predicate on one non-None extracted value against constant ``c``."""
    if op in ("=", "=="):
        if isinstance(c, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            return _in_nets((c,))
        return lambda v: v == c
    if op == "!=":
        if isinstance(c, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            inside = _in_nets((c,))
            return lambda v: not inside(v)
        return lambda v: v != c
    if op == "<":
        return lambda v: v < c
    if op == "<=":
        return lambda v: v <= c
    if op == ">":
        return lambda v: v > c
    if op == ">=":
        return lambda v: v >= c
    if op == "contains":
        return lambda v: c in v
    if op == "icontains":
        lc = c.lower()
        return lambda v: lc in v.lower()
    if op == "startswith":
        return lambda v: v.startswith(c)
    if op == "endswith":
        return lambda v: v.endswith(c)
    if op == "bcontains":
        return lambda v: c in _as_bytes(v)
    if op == "bstartswith":
        return lambda v: _as_bytes(v).startswith(c)
    if op in ("glob", "iglob"):
        rx = re.compile(fnmatch.translate(c), re.S | (re.I if op == "iglob" else 0))
        return lambda v: rx.match(v) is not None
    if op == "regex":
        # libsinsp matches RE2 with ANCHOR_BOTH: the whole value must match.
        rx = re.compile(c)
        return lambda v: rx.fullmatch(v) is not None
    raise AssertionError(op)


def _check(node: Check, scope: Scope) -> Matcher:
    ref = _ref(node.field)
    x = ref.extract
    op = node.op
    tclass = _type_class(ref.type)
    allowed = _OPS_BY_TYPE.get(tclass)
    if allowed is not None and op not in allowed:
        raise CompileError(
            f"operator {op!r} is not valid for field {ref.text} ({ref.type})",
            "bad-operator",
            node.offset,
        )
    if op == "exists":
        if ref.kind == "scalar":
            return lambda e: x(e) is not None
        return lambda e: bool(x(e))
    operand = node.operand
    if isinstance(operand, FieldExpr):
        return _field_vs_field(node, ref, _ref(operand))
    if isinstance(operand, ListExpr):
        return _list_check(node, ref, operand, scope)
    assert isinstance(operand, Value)
    if op in ("<", "<=", ">", ">=") and tclass not in ("numeric", "string"):
        raise CompileError(
            f"operator {op!r} is not valid for field {ref.text} ({ref.type})",
            "bad-operator",
            node.offset,
        )
    c = _const(ref, operand, op)
    if ref.type in ("string", "bytes") and op in (
        "=",
        "==",
        "!=",
        "contains",
        "startswith",
        "endswith",
        "icontains",
    ):
        c = str(c)
    p = _pred(op, c)
    if ref.kind == "scalar":
        if op in ("=", "==") and not isinstance(c, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            return lambda e: x(e) == c
        if op == "contains":
            return lambda e: (v := x(e)) is not None and c in v
        if op == "startswith":
            return lambda e: (v := x(e)) is not None and v.startswith(c)
        if op == "endswith":
            return lambda e: (v := x(e)) is not None and v.endswith(c)
        return lambda e: (v := x(e)) is not None and p(v)
    return lambda e: bool(vals := x(e)) and any(p(v) for v in vals)


def _list_check(node: Check, ref: FieldRef, lst: ListExpr, scope: Scope) -> Matcher:
    x = ref.extract
    op = node.op
    if lst.bare_name and lst.items[0].text not in scope.lists:
        raise CompileError(f"undefined list {lst.items[0].text!r}", "undefined-list", lst.offset)
    try:
        texts = scope.expand(lst.items)
    except CompileError as exc:
        exc.offset = lst.offset
        raise
    values = tuple(_const(ref, Value(t, True, lst.offset), "=") for t in texts)
    if op == "pmatch":
        if ref.type != "string":
            raise CompileError(
                f"operator 'pmatch' needs a string field, not {ref.text} ({ref.type})",
                "bad-operator",
                node.offset,
            )
        p = _pmatch(tuple(str(v) for v in values))
    elif ref.type == "ipnet":
        nets = tuple(values)
        p = _in_nets(nets)
    else:
        s = frozenset(values)

        def p(v: Any) -> bool:
            return v in s

        if ref.kind == "scalar":
            return lambda e: x(e) in s
        if ref.kind == "list" and op == "in":
            return lambda e: bool(vals := x(e)) and all(v in s for v in vals)
        return lambda e: bool(vals := x(e)) and not s.isdisjoint(vals)
    if ref.kind == "scalar":
        return lambda e: (v := x(e)) is not None and p(v)
    if ref.kind == "list" and op == "in":
        return lambda e: bool(vals := x(e)) and all(p(v) for v in vals)
    return lambda e: bool(vals := x(e)) and any(p(v) for v in vals)


_FIELD_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "contains": lambda a, b: str(b) in str(a),
    "icontains": lambda a, b: str(b).lower() in str(a).lower(),
    "startswith": lambda a, b: str(a).startswith(str(b)),
    "endswith": lambda a, b: str(a).endswith(str(b)),
}


def _field_vs_field(node: Check, left: FieldRef, right: FieldRef) -> Matcher:
    fn = _FIELD_OPS.get(node.op)
    if fn is None:
        raise CompileError(
            f"operator {node.op!r} cannot compare two fields", "bad-operator", node.offset
        )
    if _type_class(left.type) != _type_class(right.type):
        raise CompileError(
            f"cannot compare {left.text} ({left.type}) with {right.text} ({right.type})",
            "bad-operand",
            node.offset,
        )
    x, y = left.extract, right.extract

    def m(e: Event) -> bool:
        a = x(e)
        if a is None:
            return False
        b = y(e)
        if b is None:
            return False
        if left.kind != "scalar":
            return any(fn(v, b) for v in a)
        return fn(a, b)

    return m
