"""How the field modules declare fields: ``raw`` (read from the event's raw keys, with
the declared type) and ``derived`` (computed, memoised for the last event), plus the
value coercions they share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hardhull.model.event import Event
from hardhull.runtime.fields import NUMERIC_TYPES, Extractor, Factory, FieldDef, define, memo

_FD_TYPES = {
    "f": "file",
    "4": "ipv4",
    "6": "ipv6",
    "u": "unix",
    "p": "pipe",
    "e": "event",
    "s": "signalfd",
    "l": "eventpoll",
    "i": "inotify",
    "b": "bpf",
    "d": "directory",
    "m": "memfd",
    "o": "unknown",
}


def _int(v: Any) -> int | None:
    if v is None or isinstance(v, int):
        return v  # bool is an int too; fine for comparisons
    try:
        return int(str(v), 0)
    except ValueError:
        return None


def _str(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else str(v)


def _bool(v: Any) -> bool | None:
    if v is None or isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("true", "1", "yes"):
        return True
    if s in ("false", "0", "no"):
        return False
    return None


def _f(
    name: str,
    type_: str,
    doc: str,
    factory: Factory,
    **kw: Any,
) -> None:
    define(FieldDef(name=name, type=type_, doc=doc, factory=factory, **kw))


def _raw(key: str, type_: str) -> Factory:
    """Reads ``key``; a value not already of the declared type is coerced (``None`` when
    it cannot be)."""
    want: type
    coerce: Callable[[Any], Any]
    if type_ in NUMERIC_TYPES:
        want, coerce = int, _int
    elif type_ == "bool":
        want, coerce = bool, _bool
    elif type_ == "string":
        want, coerce = str, _str
    else:
        return lambda _a: lambda e: e.fields.get(key)

    def factory(_a: str | None) -> Extractor:
        def ex(e: Event) -> Any:
            v = e.fields.get(key)
            return v if v is None or type(v) is want else coerce(v)

        return ex

    return factory


def raw(name: str, type_: str, doc: str, **kw: Any) -> None:
    _f(name, type_, doc, _raw(name, type_), raw_key=name, **kw)


def derived(
    name: str,
    type_: str,
    doc: str,
    fn: Callable[[Event], Any],
    *,
    cheap: bool = False,
    **kw: Any,
) -> None:
    """A field computed from the event; a raw key of the same name wins when present.
    Unless ``cheap``, the computation is memoised for the last event (see ``memo``)."""
    compute = fn if cheap else memo(fn)

    def factory(_a: str | None) -> Extractor:
        def ex(e: Event) -> Any:
            v = e.fields.get(name)
            return compute(e) if v is None else v

        return ex

    _f(name, type_, doc, factory, derive=compute, **kw)
