"""The field table: the one authority on the Falco field names hardhull understands.

Each :class:`FieldDef` has a name, a type, a doc line and an extractor factory (called
with the field's argument, ``proc.aname[2]`` -> ``"2"``, or ``None``). Conditions, output
templates and ``hardhull runtime fields`` are all driven by :data:`FIELDS`.

Extractors read the raw keys of the contract in :mod:`hardhull.model.event` and compute
derived fields. An extractor returns ``None`` when the value is not available (Falco's
``<NA>``); a comparison on an absent value is false.

Value kinds (how comparisons treat the extracted value):

* ``scalar``: one value;
* ``list``: a tuple (Falco's list fields, e.g. ``ka.req.pod.containers.image``): ``in``
  is true when every element is in the set, ``intersects`` when any is, ``exists`` when the
  list is present; other operators are true when any element matches;
* ``any``: a tuple of candidates (``proc.aname`` without index, ``fd.ip``, ``fd.net``):
  the comparison is true when it holds for any candidate.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hardhull.errors import RuleLoadError
from hardhull.model.event import Event

Extractor = Callable[[Event], Any]
Factory = Callable[[str | None], Extractor]

NUMERIC_TYPES = frozenset({"int64", "uint64", "uint32", "port", "abstime", "reltime"})
TYPES = NUMERIC_TYPES | {"string", "bool", "ipaddr", "ipnet", "bytes"}


@dataclass(frozen=True, slots=True)
class FieldDef:
    """One field. ``arg`` is ``"none"``, ``"optional"`` or ``"required"``; ``arg_doc`` says
    what the argument is (``index``, ``key``, ``json pointer``...). ``kind`` is ``scalar``,
    ``list`` or ``any`` (see the module doc). ``prefix`` fields (``evt.arg.``) take the rest
    of the dotted name as their argument."""

    name: str
    type: str
    doc: str
    factory: Factory
    source: str = "syscall"
    arg: str = "none"
    arg_doc: str = ""
    kind: str = "scalar"
    kind_with_arg: str = "scalar"
    prefix: bool = False
    raw_key: str | None = None
    derive: Callable[[Event], Any] | None = None


def memo(fn: Callable[[Event], Any]) -> Callable[[Event], Any]:
    """Remember ``fn``'s value for the last event it saw (by identity): many rules read
    the same derived field (``proc.pname``, ``fd.directory``...) of one event in a row.
    Events are frozen, so the value cannot go stale; the last event is kept alive by the
    memo, so its identity cannot be reused by another object while remembered."""
    last: tuple[Any, Any] = (None, None)

    def m(e: Event) -> Any:
        nonlocal last
        st = last
        if st[0] is e:
            return st[1]
        v = fn(e)
        last = (e, v)
        return v

    m.__wrapped__ = fn  # type: ignore[attr-defined]
    return m


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A resolved field reference with its transformers: what the compiler works with."""

    text: str
    field: FieldDef
    arg: str | None
    transformers: tuple[str, ...]
    type: str
    kind: str
    extract: Extractor


TRANSFORMERS = ("tolower", "toupper", "b64", "basename", "len")

_registry: dict[str, FieldDef] = {}
_prefixes: dict[str, FieldDef] = {}


def define(fd: FieldDef) -> None:
    """Add one field to the table (used by the ``fields_*`` modules at import)."""
    if fd.type not in TYPES:
        raise ValueError(f"{fd.name}: unknown type {fd.type}")
    _registry[fd.name] = fd
    if fd.prefix:
        _prefixes[fd.name + "."] = fd


def _load_tables() -> Mapping[str, FieldDef]:
    from hardhull.runtime import (  # noqa: F401  (defines)
        fields_container,
        fields_fd,
        fields_k8s,
        fields_syscall,
    )

    return dict(sorted(_registry.items()))


_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_.\-]*)(?:\[([^\]]*)\])?\s*$")


def lookup(name: str) -> tuple[FieldDef, str | None] | None:
    """The definition for a bare field name (no ``[arg]``), handling prefix fields."""
    fd = FIELDS.get(name)
    if fd is not None:
        return fd, None
    for prefix, pfd in _prefixes.items():
        if name.startswith(prefix) and len(name) > len(prefix):
            return pfd, name[len(prefix) :]
    return None


def field_known(name: str) -> bool:
    return lookup(name) is not None


def resolve_field(text: str) -> FieldRef:
    """Resolve ``proc.aname[2]``, ``tolower(fd.name)``, ``len(proc.args)``... into a
    :class:`FieldRef`; :class:`RuleLoadError` names an unknown field or a bad argument.

    Results are cached by text, so every rule shares one extractor per field reference
    (and the per-event memo of derived fields works across rules)."""
    hit = _resolved.get(text)
    if hit is None:
        hit = _resolved[text] = _resolve(text)
    return hit


_resolved: dict[str, FieldRef] = {}


def _resolve(text: str) -> FieldRef:
    body = text.strip()
    transformers: list[str] = []
    while True:
        m = re.match(r"([a-z0-9_]+)\s*\((.*)\)\s*$", body, re.S)
        if not m or m.group(1) not in TRANSFORMERS:
            if m and "." not in m.group(1):
                raise RuleLoadError(f"unknown field transformer {m.group(1)!r} in {text!r}")
            break
        transformers.append(m.group(1))
        body = m.group(2).strip()
    m = _NAME.match(body)
    if not m:
        raise RuleLoadError(f"bad field reference {text!r}")
    name, arg = m.group(1), m.group(2)
    found = lookup(name)
    if found is None:
        raise RuleLoadError(f"unknown field {name!r}")
    fd, prefix_arg = found
    if prefix_arg is not None:
        if arg is not None:
            raise RuleLoadError(f"field {name!r} does not take an argument")
        arg = prefix_arg
    if arg is None and fd.arg == "required":
        raise RuleLoadError(f"field {fd.name!r} needs an argument ({fd.arg_doc})")
    if arg is not None and fd.arg == "none":
        raise RuleLoadError(f"field {fd.name!r} does not take an argument")
    try:
        extract = fd.factory(arg)
    except (ValueError, KeyError) as exc:
        raise RuleLoadError(f"bad argument [{arg}] for field {fd.name!r}: {exc}") from None
    kind = fd.kind_with_arg if arg is not None else fd.kind
    ftype = fd.type
    for tr in reversed(transformers):
        extract, ftype = _transform(tr, extract, ftype, kind, text)
        if tr == "len":
            kind = "scalar"
    return FieldRef(
        text=text.strip(),
        field=fd,
        arg=arg,
        transformers=tuple(transformers),
        type=ftype,
        kind=kind,
        extract=extract,
    )


def compile_field(text: str) -> Extractor:
    """The extractor of a field reference (see :func:`resolve_field`)."""
    return resolve_field(text).extract


def _b64(value: str) -> str | None:
    try:
        return base64.b64decode(value, validate=False).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None


_STR_FUNCS: dict[str, Callable[[str], str | None]] = {
    "tolower": str.lower,
    "toupper": str.upper,
    "b64": _b64,
    "basename": lambda s: posixpath.basename(s),
}


def _transform(
    tr: str, inner: Extractor, ftype: str, kind: str, text: str
) -> tuple[Extractor, str]:
    if tr == "len":

        def length(e: Event) -> Any:
            v = inner(e)
            if v is None:
                return None
            return len(v) if isinstance(v, (str, tuple, list, bytes)) else len(str(v))

        return length, "int64"
    if ftype not in ("string", "bytes"):
        raise RuleLoadError(f"transformer {tr}() needs a string field, not {ftype}, in {text!r}")
    fn = _STR_FUNCS[tr]
    if kind == "scalar":

        def one(e: Event) -> Any:
            v = inner(e)
            return None if v is None else fn(str(v))

        return one, "string"

    def many(e: Event) -> Any:
        v = inner(e)
        if v is None:
            return None
        return tuple(x for x in (fn(str(i)) for i in v) if x is not None)

    return many, "string"


class _Fields(Mapping[str, FieldDef]):
    """Lazy view of the table (the ``fields_*`` modules import this one)."""

    _data: Mapping[str, FieldDef] | None = None

    def _get(self) -> Mapping[str, FieldDef]:
        if self._data is None:
            self._data = _load_tables()
        return self._data

    def __getitem__(self, key: str) -> FieldDef:
        return self._get()[key]

    def __iter__(self) -> Any:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


FIELDS: Mapping[str, FieldDef] = _Fields()
"""Every field, by name (sorted)."""
