"""Operator semantics on one extracted value: constants parsed at load time, value
predicates for the operators the generated code does not inline (networks, globs,
regexes, byte operators; ``pmatch`` is :func:`globs.pmatch_pred`) and for list/any-of
fields."""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable
from typing import Any

from hardhull.runtime.fields import NUMERIC_TYPES, FieldRef
from hardhull.runtime.rules import globs
from hardhull.runtime.rules.parser import Value

Pred = Callable[[Any], bool]
NETWORKS = (ipaddress.IPv4Network, ipaddress.IPv6Network)


class OperandError(ValueError):
    """A constant that is not valid for the field (message for the user)."""


def const(ref: FieldRef, v: Value, op: str) -> Any:
    """The constant ``v`` parsed for ``ref``'s type (numbers, booleans, IPs, networks,
    hex bytes for ``bcontains``/``bstartswith``); :class:`OperandError` if invalid."""
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
        raise OperandError(f"value {text!r} is not valid for field {ref.text} ({t})") from None
    if op in ("bcontains", "bstartswith"):
        try:
            return bytes.fromhex(text)
        except ValueError:
            raise OperandError(f"{op} needs a hex string, not {text!r}") from None
    return text


@functools.lru_cache(maxsize=4096)
def _addr(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def in_nets(nets: tuple[Any, ...]) -> Pred:
    """True when the value is an address inside one of ``nets`` (same IP version)."""
    by_version: dict[int, tuple[tuple[int, int], ...]] = {
        ver: tuple((int(n.network_address), int(n.netmask)) for n in nets if n.version == ver)
        for ver in (4, 6)
    }

    def p(v: Any) -> bool:
        a = _addr(v if type(v) is str else str(v))
        if a is None:
            return False
        x = int(a)
        for net, mask in by_version[a.version]:  # noqa: SIM110
            if x & mask == net:
                return True
        return False

    return p


def _as_bytes(v: Any) -> bytes:
    return v if isinstance(v, bytes) else str(v).encode("utf-8", "surrogateescape")


def pred(op: str, c: Any) -> Pred:
    """A predicate on one non-None extracted value against constant ``c``."""
    if op in ("=", "=="):
        if isinstance(c, NETWORKS):
            return in_nets((c,))
        return lambda v: v == c
    if op == "!=":
        if isinstance(c, NETWORKS):
            inside = in_nets((c,))
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
        return globs.glob_pred(c, casefold=op == "iglob")
    if op == "regex":
        # libsinsp matches RE2 with ANCHOR_BOTH: the whole value must match.
        rx = re.compile(c)
        return lambda v: rx.fullmatch(v) is not None
    raise AssertionError(op)


def any_of(p: Pred) -> Pred:
    """List/any-of field: true when some element satisfies ``p``."""
    return lambda vals: bool(vals) and any(p(v) for v in vals)


def all_of(p: Pred) -> Pred:
    """List field with ``in``: true when every element satisfies ``p``."""
    return lambda vals: bool(vals) and all(p(v) for v in vals)


FIELD_OPS: dict[str, Callable[[Any, Any], bool]] = {
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
