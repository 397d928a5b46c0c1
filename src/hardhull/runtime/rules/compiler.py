"""Compile a condition AST: inline macros, expand lists, parse constants, check
operators against field types, work out which ``evt.type`` values it can match, then
generate one Python function for it (:mod:`codegen`).

Falco semantics kept here: an absent field makes every comparison false (``!=`` too);
list constants become frozensets; numeric fields compare numerically; list fields and
``any`` fields (``proc.aname``, ``fd.ip``) compare element-wise (see
:mod:`hardhull.runtime.fields`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hardhull.errors import RuleLoadError
from hardhull.runtime.fields import NUMERIC_TYPES, FieldRef, resolve_field
from hardhull.runtime.rules import evttypes, globs, ops
from hardhull.runtime.rules.codegen import generate, value_cost
from hardhull.runtime.rules.evttypes import Types
from hardhull.runtime.rules.ir import IR, All, AnyOf, Neg, Test, simplify
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

EvtTypes = frozenset[str] | None

_OPS_BY_TYPE: dict[str, frozenset[str]] = {
    "numeric": frozenset({"=", "==", "!=", "<", "<=", ">", ">=", "in", "intersects", "exists"}),
    "bool": frozenset({"=", "==", "!=", "in", "intersects", "exists"}),
    "ipaddr": frozenset({"=", "==", "!=", "in", "intersects", "exists"}),
    "ipnet": frozenset({"=", "==", "!=", "in", "intersects", "exists"}),
}
_LIST_FIELD_OPS = frozenset({"exists", "in", "intersects"})  # as libsinsp's list filters
_OP_COST = {"glob": 4, "iglob": 4, "regex": 4, "pmatch": 4, "bcontains": 2, "bstartswith": 2}


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
    """A macro as the compiler needs it: its parsed condition (or the parse error) and,
    once lowered, its inlinable form."""

    name: str
    ast: Node | None
    error: str | None = None
    compiled: tuple[IR, Types] | None = None
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


def compile_node(node: Node, scope: Scope, label: str = "condition") -> tuple[Matcher, EvtTypes]:
    """Compile an AST into one generated function and its ``evt.type`` set;
    :class:`CompileError` on unknown fields, macros, bad operands."""
    ir, types = lower_node(node, scope)
    return generate(simplify(ir, top=True), label), types.public


def lower_node(node: Node, scope: Scope) -> tuple[IR, Types]:
    """The AST with macros inlined and checks compiled (see :mod:`ir`)."""
    if isinstance(node, Check):
        return _check(node, scope), _evt_types_of(node, scope)
    if isinstance(node, MacroRef):
        return _macro(node, scope)
    if isinstance(node, Not):
        inner, t = lower_node(node.item, scope)
        return Neg(inner), evttypes.negate(t)
    parts = [lower_node(n, scope) for n in node.items]
    items = tuple(m for m, _ in parts)
    types = [t for _, t in parts]
    if isinstance(node, And):
        return All(items), evttypes.conj(types)
    assert isinstance(node, Or)
    return AnyOf(items), evttypes.disj(types)


def _macro(node: MacroRef, scope: Scope) -> tuple[IR, Types]:
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
        md.compiled = lower_node(md.ast, scope)
    except CompileError as exc:
        if exc.macro is None:
            exc.macro = node.name
        if exc.code != "macro-cycle":
            md.failed = exc
        raise
    finally:
        scope._stack.pop()
    return md.compiled


def _evt_types_of(node: Check, scope: Scope) -> Types:
    if node.field.text != "evt.type":
        return evttypes.UNKNOWN
    if node.op in ("=", "==", "!=") and isinstance(node.operand, Value):
        return evttypes.exact(frozenset({node.operand.text}), negated=node.op == "!=")
    if node.op in ("in", "intersects") and isinstance(node.operand, ListExpr):
        return evttypes.exact(frozenset(scope.expand(node.operand.items)))
    return evttypes.UNKNOWN


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
    try:
        return ops.const(ref, v, op)
    except ops.OperandError as exc:
        raise CompileError(str(exc), "bad-operand", v.offset) from None


def _test(node: Check, key: Any, template: str, consts: tuple[Any, ...], *refs: FieldRef) -> Test:
    merge: tuple[str, Any] | None = None
    if refs[0].kind == "scalar" and len(refs) == 1:
        if template == "{v0} in {k0}":
            merge = ("in", consts[0])
        elif template == "{v0} == {k0}" and isinstance(consts[0], (str, int)):
            merge = ("in", frozenset(consts))
        elif node.op in ("startswith", "endswith") and template == _INLINE[node.op]:
            merge = (node.op, (consts[0],))
    op_cost = _OP_COST.get(node.op, 1 if node.op in ("contains", "startswith", "endswith") else 0)
    return Test(
        key=repr((tuple(r.text for r in refs), node.op, key)),
        refs=refs,
        template=template,
        consts=consts,
        cost=sum(value_cost(r) for r in refs) + op_cost,
        is_evt_type=refs[0].text == "evt.type",
        merge=merge,
    )


_NOT_NONE = "{v0} is not None and "
_INLINE = {
    "=": "{v0} == {k0}",
    "==": "{v0} == {k0}",
    "!=": _NOT_NONE + "{v0} != {k0}",
    "<": _NOT_NONE + "{v0} < {k0}",
    "<=": _NOT_NONE + "{v0} <= {k0}",
    ">": _NOT_NONE + "{v0} > {k0}",
    ">=": _NOT_NONE + "{v0} >= {k0}",
    "contains": _NOT_NONE + "{k0} in {v0}",
    "startswith": _NOT_NONE + "{v0}.startswith({k0})",
    "endswith": _NOT_NONE + "{v0}.endswith({k0})",
}


def _check(node: Check, scope: Scope) -> Test:
    ref = _ref(node.field)
    op = node.op
    tclass = _type_class(ref.type)
    allowed = _OPS_BY_TYPE.get(tclass)
    if allowed is not None and op not in allowed:
        raise CompileError(
            f"operator {op!r} is not valid for field {ref.text} ({ref.type})",
            "bad-operator",
            node.offset,
        )
    if ref.kind == "list" and op not in _LIST_FIELD_OPS:
        raise CompileError(
            f"list field {ref.text} only supports the operators exists, in and intersects "
            f"(not {op!r}); use an index such as {ref.text}[0] to compare one element",
            "bad-operator",
            node.offset,
        )
    if op == "exists":
        if ref.kind == "scalar":
            return _test(node, None, "{v0} is not None", (), ref)
        return _test(node, None, "bool({v0})", (), ref)
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
    key = (operand.text, operand.quoted)
    if ref.kind != "scalar":
        return _test(node, key, "{k0}({v0})", (ops.any_of(ops.pred(op, c)),), ref)
    if isinstance(c, ops.NETWORKS) or op not in _INLINE:
        if op == "icontains":
            return _test(node, key, _NOT_NONE + "{k0} in {v0}.lower()", (c.lower(),), ref)
        return _test(node, key, _NOT_NONE + "{k0}({v0})", (ops.pred(op, c),), ref)
    return _test(node, key, _INLINE[op], (c,), ref)


def _list_check(node: Check, ref: FieldRef, lst: ListExpr, scope: Scope) -> Test:
    op = node.op
    if lst.bare_name and lst.items[0].text not in scope.lists:
        raise CompileError(f"undefined list {lst.items[0].text!r}", "undefined-list", lst.offset)
    try:
        texts = scope.expand(lst.items)
    except CompileError as exc:
        exc.offset = lst.offset
        raise
    values = tuple(_const(ref, Value(t, True, lst.offset), "=") for t in texts)
    key = texts
    if op == "pmatch":
        if ref.type != "string":
            raise CompileError(
                f"operator 'pmatch' needs a string field, not {ref.text} ({ref.type})",
                "bad-operator",
                node.offset,
            )
        p = globs.pmatch_pred(tuple(str(v) for v in values))
    elif ref.type == "ipnet":
        p = ops.in_nets(tuple(values))
    else:
        s = frozenset(values)
        if ref.kind == "scalar":
            return _test(node, key, "{v0} in {k0}", (s,), ref)
        if ref.kind == "list" and op == "in":
            return _test(node, key, "{k0}({v0})", (ops.all_of(s.__contains__),), ref)
        return _test(node, key, "bool({v0}) and not {k0}.isdisjoint({v0})", (s,), ref)
    if ref.kind == "scalar":
        return _test(node, key, _NOT_NONE + "{k0}({v0})", (p,), ref)
    if ref.kind == "list" and op == "in":
        return _test(node, key, "{k0}({v0})", (ops.all_of(p),), ref)
    return _test(node, key, "{k0}({v0})", (ops.any_of(p),), ref)


def _field_vs_field(node: Check, left: FieldRef, right: FieldRef) -> Test:
    fn = ops.FIELD_OPS.get(node.op)
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
    many = left.kind != "scalar"

    def both(a: Any, b: Any) -> bool:
        if a is None or b is None:
            return False
        if many:
            return any(fn(v, b) for v in a)
        return fn(a, b)

    return _test(node, right.text, "{k0}({v0}, {v1})", (both,), left, right)
