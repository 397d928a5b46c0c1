"""The compiled form of a condition between the AST and the generated Python code.

Macros are inlined and lists expanded by the time a condition is in this form. Each
:class:`Test` is one field check as a code template the generator turns into inline
Python. :func:`simplify`
flattens nested ``and``/``or``, drops repeated tests and puts cheap tests first: checks
have no side effects, so the boolean result of ``and``/``or`` does not depend on the
order in which their operands are evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hardhull.runtime.fields import FieldRef


@dataclass(frozen=True, slots=True)
class Test:
    """One check. ``template`` is Python code with ``{v0}``/``{v1}`` for the field
    values (``refs``) and ``{k0}``, ``{k1}``... for ``consts``; ``key`` identifies the
    check (same field, operator and operand) for de-duplication; ``cost`` is a rough
    evaluation cost used to order operands."""

    key: str
    refs: tuple[FieldRef, ...]
    template: str
    consts: tuple[Any, ...]
    cost: int
    is_evt_type: bool = False
    merge: tuple[str, Any] | None = None
    """``("in", frozenset)`` for ``v in S`` / ``v == c`` on a scalar field,
    ``("startswith"|"endswith", tuple)`` for those operators: tests of one field that
    ``or`` (or ``and not``) can merge into one."""


@dataclass(frozen=True, slots=True)
class All:
    items: tuple[IR, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[IR, ...]


@dataclass(frozen=True, slots=True)
class Neg:
    item: IR


IR = Test | All | AnyOf | Neg


def cost(node: IR) -> int:
    if isinstance(node, Test):
        return node.cost
    if isinstance(node, Neg):
        return cost(node.item)
    return sum(cost(n) for n in node.items)


def _key(node: IR) -> str:
    if isinstance(node, Test):
        return node.key
    if isinstance(node, Neg):
        return "not(" + _key(node.item) + ")"
    sep = " and " if isinstance(node, All) else " or "
    return "(" + sep.join(_key(n) for n in node.items) + ")"


def simplify(node: IR, *, top: bool = False) -> IR:
    """Flatten, de-duplicate and order by cost (stable: equal costs keep their order).
    At the ``top`` of a rule, ``evt.type`` tests go last: the rule index already
    selected the event by type, so they almost never decide the result there."""
    if isinstance(node, Test):
        return node
    if isinstance(node, Neg):
        inner = simplify(node.item)
        if isinstance(inner, Neg):
            return inner.item
        return Neg(inner)
    kind = type(node)
    flat: list[IR] = []
    seen: set[str] = set()
    for item in node.items:
        s = simplify(item)
        subs = s.items if isinstance(s, kind) else (s,)
        for sub in subs:
            k = _key(sub)
            if k not in seen:
                seen.add(k)
                flat.append(sub)
    flat = _merge(flat, negated=kind is All)
    if len(flat) == 1:
        return flat[0]

    def order(n: IR) -> tuple[int, int]:
        late = 1 if top and isinstance(n, Test) and n.is_evt_type else 0
        return (late, cost(n))

    flat.sort(key=order)
    return kind(tuple(flat))


_TEMPLATES = {
    "in": "{v0} in {k0}",
    "startswith": "{v0} is not None and {v0}.startswith({k0})",
    "endswith": "{v0} is not None and {v0}.endswith({k0})",
}


def _merge(items: list[IR], *, negated: bool) -> list[IR]:
    """In an ``or``, ``x in A or x in B or x = c`` is ``x in A|B|{c}``, and the prefix
    tests ``x startswith a or x startswith b`` one ``startswith((a, b))``; in an ``and``
    the same holds for the negated tests (``not x in A and not x in B``)."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, n in enumerate(items):
        t = n.item if negated and isinstance(n, Neg) else None if negated else n
        if isinstance(t, Test) and t.merge is not None:
            groups.setdefault((t.refs[0].text, t.merge[0]), []).append(i)
    if all(len(g) < 2 for g in groups.values()):
        return items
    out: list[IR | None] = list(items)
    for (_, how), idx in groups.items():
        if len(idx) < 2:
            continue
        tests: list[Test] = []
        for i in idx:
            n = items[i]
            t = n.item if isinstance(n, Neg) else n
            assert isinstance(t, Test) and t.merge is not None
            tests.append(t)
        first = tests[0]
        parts = [t.merge[1] for t in tests if t.merge is not None]
        merged: Any
        if how == "in":
            merged = frozenset().union(*parts)
        else:
            merged = tuple(dict.fromkeys(x for p in parts for x in p))
        test = Test(
            key=" | ".join(t.key for t in tests),
            refs=first.refs,
            template=_TEMPLATES[how],
            consts=(merged,),
            cost=first.cost,
            is_evt_type=first.is_evt_type,
            merge=(how, merged),
        )
        out[idx[0]] = Neg(test) if negated else test
        for i in idx[1:]:
            out[i] = None
    return [n for n in out if n is not None]
