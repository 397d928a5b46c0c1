"""Output templates: Falco's ``%field`` / ``%(field)`` / ``%field[arg]`` syntax, compiled
once into a formatter. Absent values print as ``<NA>``, as Falco prints them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hardhull.errors import RuleLoadError
from hardhull.model.event import Event
from hardhull.runtime.fields import field_known, resolve_field
from hardhull.runtime.rules.model import Formatter

NA = "<NA>"
_TOKEN = re.compile(
    r"%\((?P<paren>(?:[^()]|\([^()]*\))*)\)|%(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)(?P<arg>\[[^\]]*\])?|%%"
)


def format_value(v: Any) -> str:
    """Falco's printing of one field value."""
    if v is None:
        return NA
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, (tuple, list)):
        return "(" + ",".join(format_value(x) for x in v) + ")"
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return str(v)


@dataclass(frozen=True, slots=True)
class CompiledOutput:
    """``format(event) -> str`` and ``fields(event) -> {name: value}`` for one template."""

    template: str
    names: tuple[str, ...]
    format: Formatter
    fields: Callable[[Event], Mapping[str, Any]]


def _split_name(name: str) -> tuple[str, str]:
    """The longest known field at the start of ``name`` and the literal rest
    (``%proc.name.`` -> ``proc.name`` + ``.``)."""
    cand = name
    while cand:
        if field_known(cand):
            return cand, name[len(cand) :]
        cut = max(cand.rfind("."), cand.rfind("-"))
        if cut <= 0:
            break
        cand = cand[:cut]
    raise RuleLoadError(f"unknown field {name!r} in output")


def compile_output(template: str) -> CompiledOutput:
    """Compile an ``output:`` template; :class:`RuleLoadError` names an unknown field."""
    parts: list[str | Callable[[Event], Any]] = []
    names: list[str] = []
    extractors: list[Callable[[Event], Any]] = []
    pos = 0
    for m in _TOKEN.finditer(template):
        parts.append(template[pos : m.start()])
        pos = m.end()
        if m.group(0) == "%%":
            parts.append("%")
            continue
        if m.group("paren") is not None:
            text, rest = m.group("paren").strip(), ""
        else:
            text, rest = _split_name(m.group("name"))
            if m.group("arg") and not rest:
                text += m.group("arg")
            elif m.group("arg"):
                rest += m.group("arg")
        ex = resolve_field(text).extract
        parts.append(ex)
        names.append(text)
        extractors.append(ex)
        if rest:
            parts.append(rest)
    parts.append(template[pos:])
    frozen = tuple(p for p in parts if p != "")
    keyed = tuple(zip(names, extractors, strict=True))

    def fmt(e: Event) -> str:
        return "".join(p if isinstance(p, str) else format_value(p(e)) for p in frozen)

    def fields(e: Event) -> Mapping[str, Any]:
        return {n: ex(e) for n, ex in keyed}

    return CompiledOutput(template, tuple(names), fmt, fields)
