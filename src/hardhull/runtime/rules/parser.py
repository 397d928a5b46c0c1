"""Parser of Falco's condition language into a small AST.

Grammar (as Falco's libsinsp parser reads it)::

    expr    := and ('or' and)*
    and     := not ('and' not)*
    not     := 'not' not | primary
    primary := '(' expr ')' | check | macro-name
    check   := field unary-op | field binary-op value | field list-op list
    field   := name ['[' arg ']'] | transformer '(' field ')'
    value   := quoted-string | bare-word | 'val(' field ')' | transformer '(' field ')'
    list    := '(' item (',' item)* ')' | list-name

A bare word runs until whitespace, a parenthesis, a comma, ``=`` or a quote, so
``evt.dir = <`` and ``fd.name startswith /etc/`` need no quotes (``a.b = c=`` is an error,
as in libsinsp). A transformer's ``(`` follows its name directly (``b64 (x)`` is an
error); ``val()`` only appears on the right-hand side; ``field[]`` is an error.
Offsets are kept for positioned errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hardhull.errors import RuleLoadError

UNARY_OPS = frozenset({"exists"})
LIST_OPS = frozenset({"in", "intersects", "pmatch"})
BINARY_OPS = frozenset(
    {
        "=",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "contains",
        "icontains",
        "bcontains",
        "startswith",
        "bstartswith",
        "endswith",
        "glob",
        "iglob",
        "regex",
    }
)
_SYMBOL_OPS = ("<=", ">=", "==", "!=", "=", "<", ">")
_WORD_OPS = tuple(
    sorted((BINARY_OPS | LIST_OPS | UNARY_OPS) - set(_SYMBOL_OPS), key=len, reverse=True)
)
TRANSFORMERS = frozenset({"tolower", "toupper", "b64", "basename", "len"})


class ConditionSyntaxError(RuleLoadError):
    """A syntax error at ``offset`` in the condition text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True, slots=True)
class FieldExpr:
    text: str  # e.g. "tolower(proc.aname[2])"
    offset: int


@dataclass(frozen=True, slots=True)
class Value:
    text: str
    quoted: bool
    offset: int


@dataclass(frozen=True, slots=True)
class ListExpr:
    items: tuple[Value, ...]  # unquoted items may name lists
    offset: int
    bare_name: bool = False  # ``in list_name`` without parentheses


@dataclass(frozen=True, slots=True)
class Check:
    field: FieldExpr
    op: str
    operand: Value | ListExpr | FieldExpr | None
    offset: int


@dataclass(frozen=True, slots=True)
class MacroRef:
    name: str
    offset: int


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


Node = And | Or | Not | Check | MacroRef

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_WS = re.compile(r"\s*")
_BARE = re.compile(r"[^\s(),=\"']+")  # libsinsp: no blank, parenthesis, comma, '=' or quote
_RHS_FIELD = re.compile(r"(val|tolower|toupper|b64|basename|len)\(")


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def error(self, msg: str, at: int | None = None) -> ConditionSyntaxError:
        pos = self.i if at is None else at
        near = self.s[pos : pos + 20].split("\n")[0]
        where = f" near {near!r}" if near else " at end of condition"
        return ConditionSyntaxError(f"{msg}{where} (offset {pos})", pos)

    def ws(self) -> None:
        m = _WS.match(self.s, self.i)
        if m:
            self.i = m.end()

    def peek_word(self, word: str) -> bool:
        self.ws()
        end = self.i + len(word)
        if self.s[self.i : end] != word:
            return False
        return end >= len(self.s) or not (self.s[end].isalnum() or self.s[end] in "_.")

    def parse(self) -> Node:
        self.ws()
        if self.i >= len(self.s):
            raise self.error("empty condition")
        node = self.expr()
        self.ws()
        if self.i < len(self.s):
            raise self.error("unexpected text")
        return node

    def expr(self) -> Node:
        items = [self.and_()]
        while self.peek_word("or"):
            self.i += 2
            items.append(self.and_())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_(self) -> Node:
        items = [self.not_()]
        while self.peek_word("and"):
            self.i += 3
            items.append(self.not_())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_(self) -> Node:
        if self.peek_word("not"):
            self.i += 3
            return Not(self.not_())
        return self.primary()

    def primary(self) -> Node:
        self.ws()
        if self.i >= len(self.s):
            raise self.error("expected a condition")
        if self.s[self.i] == "(":
            self.i += 1
            node = self.expr()
            self.ws()
            if self.i >= len(self.s) or self.s[self.i] != ")":
                raise self.error("missing ')'")
            self.i += 1
            return node
        start = self.i
        field = self.field_expr()
        if field.text.startswith("val("):
            raise self.error("val() can only be used on the right-hand side", start)
        op = self.operator()
        if op is None:
            if "(" in field.text or "[" in field.text:
                raise self.error("expected an operator after the field")
            return MacroRef(field.text, start)
        if op in UNARY_OPS:
            return Check(field, op, None, start)
        if op in LIST_OPS:
            return Check(field, op, self.list_operand(), start)
        return Check(field, op, self.value_operand(), start)

    def field_expr(self) -> FieldExpr:
        self.ws()
        start = self.i
        m = _IDENT.match(self.s, self.i)
        if not m:
            raise self.error("expected a field or macro name")
        self.i = m.end()
        name = m.group(0)
        if (name in TRANSFORMERS or name == "val") and self.s[self.i : self.i + 1] == "(":
            self.i += 1
            inner = self.field_expr()
            if name == "val" and "(" in inner.text:
                raise self.error("val() takes a field, not a transformer", inner.offset)
            self.ws()
            if self.i >= len(self.s) or self.s[self.i] != ")":
                raise self.error(f"missing ')' after {name}(")
            self.i += 1
            return FieldExpr(f"{name}({inner.text})", start)
        if (name in TRANSFORMERS or name == "val") and re.match(r"\s+\(", self.s[self.i :]):
            raise self.error(f"no blank allowed between {name} and '('", self.i)
        if "." not in name and self.s[self.i : self.i + 1] == "(":
            raise self.error(
                f"unknown field transformer {name!r} "
                f"(known: {', '.join(sorted(TRANSFORMERS))}, val)",
                start,
            )
        if self.i < len(self.s) and self.s[self.i] == "[":
            close = self.s.find("]", self.i)
            if close < 0:
                raise self.error("missing ']' in field argument")
            if close == self.i + 1:
                raise self.error("empty field argument '[]'")
            name += self.s[self.i : close + 1]
            self.i = close + 1
        return FieldExpr(name, start)

    def operator(self) -> str | None:
        self.ws()
        for op in _SYMBOL_OPS:
            if self.s.startswith(op, self.i):
                self.i += len(op)
                return op
        for op in _WORD_OPS:
            if self.peek_word(op):
                self.i += len(op)
                return op
        return None

    def value_operand(self) -> Value | FieldExpr:
        self.ws()
        if self.i >= len(self.s):
            raise self.error("missing value after operator")
        c = self.s[self.i]
        if c in "\"'":
            return self.quoted()
        m = _RHS_FIELD.match(self.s, self.i)
        if m:
            return self.field_expr()
        m = _BARE.match(self.s, self.i)
        if not m:
            raise self.error("expected a value")
        self.i = m.end()
        return Value(m.group(0), False, m.start())

    def quoted(self) -> Value:
        q = self.s[self.i]
        start = self.i
        self.i += 1
        out: list[str] = []
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "\\" and self.i + 1 < len(self.s):
                nxt = self.s[self.i + 1]
                out.append({"n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
                self.i += 2
                continue
            if c == q:
                self.i += 1
                return Value("".join(out), True, start)
            out.append(c)
            self.i += 1
        raise self.error("unterminated string", start)

    def list_operand(self) -> ListExpr:
        self.ws()
        start = self.i
        if self.i < len(self.s) and self.s[self.i] != "(":
            m = _IDENT.match(self.s, self.i)
            if not m:
                raise self.error("expected a list '(...)' or a list name")
            self.i = m.end()
            return ListExpr((Value(m.group(0), False, start),), start, bare_name=True)
        self.i += 1
        items: list[Value] = []
        self.ws()
        if self.i < len(self.s) and self.s[self.i] == ")":
            self.i += 1
            return ListExpr((), start)
        while True:
            self.ws()
            if self.i >= len(self.s):
                raise self.error("unterminated list", start)
            c = self.s[self.i]
            if c in "\"'":
                items.append(self.quoted())
            elif c == "(":
                inner = self.list_operand()
                items.extend(inner.items)
            else:
                m = re.compile(r"[^,()\"']+").match(self.s, self.i)
                if not m:
                    raise self.error("expected a list item")
                text = m.group(0).strip()
                self.i = m.end()
                if text:
                    items.append(Value(text, False, m.start()))
            self.ws()
            if self.i < len(self.s) and self.s[self.i] == ",":
                self.i += 1
                continue
            if self.i < len(self.s) and self.s[self.i] == ")":
                self.i += 1
                return ListExpr(tuple(items), start)
            raise self.error("expected ',' or ')' in list")


def parse_condition(text: str) -> Node:
    """Parse a condition; :class:`ConditionSyntaxError` carries the offset."""
    return _Parser(text).parse()
