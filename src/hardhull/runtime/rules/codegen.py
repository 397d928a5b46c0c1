"""Generate one Python function per condition from its :mod:`ir` form.

The function reads ``e.fields`` once, fetches raw fields inline (``f.get(key)``, with the
field's own extractor only when the value needs normalising), keeps a field read twice
or more in a local (fetched lazily, on first use), embeds constants as literals or
globals (sets are frozensets) and evaluates ``and``/``or``/``not`` as Python's own
short-circuit operators. Example (``proc.name in (sh, bash) and not proc.pname = sshd``)::

    def _match(e):
        f = e.fields
        return ((_t if type(_t := f.get('proc.name')) is str or _t is None else X0(e))
                in K0) and not (...)

The values compared are exactly those the field's extractor returns, so the generated
function and the closure form it falls back to (:func:`_closure`, one small generated
function per check) agree on every event.
"""

from __future__ import annotations

import re
from typing import Any

from hardhull.runtime.fields import NUMERIC_TYPES, FieldRef
from hardhull.runtime.rules.ir import IR, All, AnyOf, Neg, Test
from hardhull.runtime.rules.model import Matcher

_UNSET = object()
_LITERAL_TYPES = (str, int, bool, bytes, type(None))
_ATTRS = {"evt.type": "e.type", "evt.source": "e.source"}
_NAME_SAFE = re.compile(r"[^A-Za-z0-9_]")
_MAX_SOURCE = 400_000
_SLOT_RX = re.compile(r"\{([kv]\d+)\}")
_SLOT = re.compile(r"\{(v\d+)\}")


def raw_key(ref: FieldRef) -> str | None:
    """The raw ``Event.fields`` key a field reference reads directly, if any."""
    if ref.transformers:
        return None
    fd = ref.field
    if fd.raw_key is not None and ref.arg is None:
        return fd.raw_key
    if fd.prefix and fd.name in ("evt.arg", "evt.rawarg") and ref.arg and not ref.arg.isdigit():
        return "evt.arg." + ref.arg
    return None


def value_cost(ref: FieldRef) -> int:
    """Rough cost of fetching a field: attribute 0, raw key 1, derived 2, other 3; list
    and any-of fields 2 more."""
    if ref.text in _ATTRS:
        return 0
    extra = 0 if ref.kind == "scalar" else 2
    if raw_key(ref) is not None:
        return 1 + extra
    if ref.field.derive is not None and not ref.transformers and ref.arg is None:
        return 2 + extra
    return 3 + extra


class _Gen:
    def __init__(self) -> None:
        self.env: dict[str, Any] = {"_U": _UNSET}
        self.names: dict[int, str] = {}
        self.cache: dict[str, str] = {}

    def name(self, obj: Any, hint: str = "K") -> str:
        got = self.names.get(id(obj))
        if got is None:
            got = f"{_NAME_SAFE.sub('_', hint)}{len(self.env)}"
            self.names[id(obj)] = got
            self.env[got] = obj
        return got

    def const(self, c: Any) -> str:
        if type(c) in _LITERAL_TYPES:
            return repr(c)
        return self.name(c)

    def fetch(self, ref: FieldRef) -> str:
        attr = _ATTRS.get(ref.text)
        if attr is not None:
            return attr
        key = raw_key(ref)
        ex = self.name(ref.extract, "X")
        if key is not None:
            t = ref.field.type
            py = {"string": "str", "bool": "bool"}.get(t, "int" if t in NUMERIC_TYPES else None)
            if py is None:
                return f"f.get({key!r})"
            return f"(_t if type(_t := f.get({key!r})) is {py} or _t is None else {ex}(e))"
        fd = ref.field
        if fd.derive is not None and not ref.transformers and ref.arg is None:
            d = self.name(fd.derive, "D")
            return f"(_t if (_t := f.get({fd.name!r})) is not None else {d}(e))"
        return f"{ex}(e)"

    def value(self, ref: FieldRef) -> str:
        local = self.cache.get(ref.text)
        if local is None:
            return self.fetch(ref)
        return f"({local} if {local} is not _U else ({local} := {self.fetch(ref)}))"

    def test(self, t: Test, uid: list[int]) -> str:
        """The template with constants and field values substituted in one pass (so a
        constant's text is never substituted again); a value used twice is bound once."""
        bound: dict[str, str] = {}
        slots = _SLOT.findall(t.template)
        repeated = {m for m in slots if slots.count(m) > 1}

        def sub(m: re.Match[str]) -> str:
            slot = m.group(1)
            i = int(slot[1:])
            if slot[0] == "k":
                return self.const(t.consts[i])
            if slot in bound:
                return bound[slot]
            val = self.value(t.refs[i])
            if slot not in repeated:
                return val
            uid[0] += 1
            bound[slot] = f"_w{uid[0]}"
            return f"(_w{uid[0]} := {val})"

        return "(" + _SLOT_RX.sub(sub, t.template) + ")"

    def expr(self, node: IR, uid: list[int]) -> str:
        if isinstance(node, Test):
            return self.test(node, uid)
        if isinstance(node, Neg):
            return f"(not {self.expr(node.item, uid)})"
        op = " and " if isinstance(node, All) else " or "
        return "(" + op.join(self.expr(n, uid) for n in node.items) + ")"


def _uses(node: IR, counts: dict[str, int], refs: dict[str, FieldRef]) -> None:
    if isinstance(node, Test):
        for ref in node.refs:
            counts[ref.text] = counts.get(ref.text, 0) + 1
            refs[ref.text] = ref
    elif isinstance(node, Neg):
        _uses(node.item, counts, refs)
    else:
        assert isinstance(node, (All, AnyOf))
        for n in node.items:
            _uses(n, counts, refs)


def _closure(node: IR, label: str) -> Matcher:
    """Nested closures over one small generated function per check: the fallback when
    the whole condition's source cannot be compiled."""
    if isinstance(node, Test):
        return generate(node, label)
    if isinstance(node, Neg):
        inner = _closure(node.item, label)
        return lambda e: not inner(e)
    ms = tuple(_closure(n, label) for n in node.items)
    if isinstance(node, All):
        return lambda e: all(m(e) for m in ms)
    return lambda e: any(m(e) for m in ms)


def generate(node: IR, label: str = "condition") -> Matcher:
    """One Python function for ``node``; the closure form if the source cannot be
    compiled (too deeply nested or too large)."""
    g = _Gen()
    counts: dict[str, int] = {}
    refs: dict[str, FieldRef] = {}
    _uses(node, counts, refs)
    for text, n in counts.items():
        if n > 1 and text not in _ATTRS:
            g.cache[text] = f"c{len(g.cache)}"
    body = g.expr(node, [0])
    lines = ["def _match(e):", "    f = e.fields"]
    if g.cache:
        lines.append("    " + " = ".join(g.cache.values()) + " = _U")
    lines.append(f"    return bool({body})" if isinstance(node, Test) else f"    return {body}")
    src = "\n".join(lines) + "\n"
    if len(src) > _MAX_SOURCE and not isinstance(node, Test):
        return _closure(node, label)
    try:
        code = compile(src, f"<{label}>", "exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        if isinstance(node, Test):
            raise
        return _closure(node, label)
    exec(code, g.env)  # the source was generated above from the compiled AST
    fn: Matcher = g.env["_match"]
    fn.__doc__ = src  # shown by debugging tools; also handy in tests
    return fn
