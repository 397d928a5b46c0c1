"""Falco rule ``exceptions``: validated, merged on append, and folded into the condition
text as ``(cond) and not ((f1 c1 v1 and f2 c2 v2) or ...)``."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from hardhull.runtime.rules.parser import BINARY_OPS, LIST_OPS

_LIST_COMPS = LIST_OPS


def check_exceptions(raw: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """Normalise the ``exceptions`` value; returns (exceptions, problems)."""
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        return [], ["exceptions must be a list"]
    out: list[dict[str, Any]] = []
    problems: list[str] = []
    for i, exc in enumerate(raw):
        if not isinstance(exc, dict):
            problems.append(f"exception #{i + 1} must be a mapping")
            continue
        name = exc.get("name")
        if not isinstance(name, str) or not name:
            problems.append(f"exception #{i + 1} needs a name")
            continue
        unknown = set(exc) - {"name", "fields", "comps", "values"}
        if unknown:
            problems.append(f"exception {name!r}: unknown key(s) {', '.join(sorted(unknown))}")
        fields = exc.get("fields")
        comps = exc.get("comps")
        values = exc.get("values") or []
        if not isinstance(values, list):
            problems.append(f"exception {name!r}: values must be a list")
            continue
        if isinstance(fields, list):
            if comps is None:
                comps = ["="] * len(fields)
            if not isinstance(comps, list) or len(comps) != len(fields):
                problems.append(f"exception {name!r}: comps must be a list as long as fields")
                continue
            for v in values:
                if not isinstance(v, list) or len(v) != len(fields):
                    problems.append(
                        f"exception {name!r}: each value must be a list of {len(fields)} item(s)"
                    )
                    break
        elif isinstance(fields, str):
            if comps is None:
                comps = "in"
            if not isinstance(comps, str):
                problems.append(f"exception {name!r}: comps must be a string when fields is")
                continue
        elif fields is None:
            problems.append(f"exception {name!r} needs fields")
            continue
        else:
            problems.append(f"exception {name!r}: fields must be a string or a list")
            continue
        problems.extend(
            f"exception {name!r}: unknown comparison {c!r}"
            for c in (comps if isinstance(comps, list) else [comps])
            if c not in BINARY_OPS and c not in _LIST_COMPS
        )
        out.append({"name": name, "fields": fields, "comps": comps, "values": list(values)})
    return out, problems


def merge_exceptions(
    base: list[dict[str, Any]], extra: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Append: an exception with a known name adds its values; a new one is added."""
    merged = [dict(e, values=list(e["values"])) for e in base]
    by_name = {e["name"]: e for e in merged}
    for exc in extra:
        have = by_name.get(exc["name"])
        if have is None:
            merged.append(dict(exc, values=list(exc["values"])))
            by_name[exc["name"]] = merged[-1]
        else:
            have["values"].extend(exc["values"])
    return merged


def _quote(v: Any) -> str:
    text = "true" if v is True else "false" if v is False else str(v)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _operand(v: Any, comp: str, lists: Container[str]) -> str:
    if comp in _LIST_COMPS:
        if isinstance(v, list):
            return "(" + ", ".join(_item(x, lists) for x in v) + ")"
        if isinstance(v, str) and v in lists:
            return f"({v})"
        return f"({_quote(v)})"
    return _quote(v)


def _item(v: Any, lists: Container[str]) -> str:
    return v if isinstance(v, str) and v in lists else _quote(v)


def fold(condition: str, exceptions: list[dict[str, Any]], lists: Container[str]) -> str:
    """The condition with its exceptions folded in (unchanged when none has values)."""
    alts: list[str] = []
    for exc in exceptions:
        fields, comps = exc["fields"], exc["comps"]
        if isinstance(fields, str):
            if exc["values"]:
                items = ", ".join(_item(v, lists) for v in exc["values"])
                if comps in _LIST_COMPS:
                    alts.append(f"{fields} {comps} ({items})")
                else:
                    alts.extend(f"{fields} {comps} {_quote(v)}" for v in exc["values"])
            continue
        for tup in exc["values"]:
            terms = [
                f"{f} {c} {_operand(v, c, lists)}"
                for f, c, v in zip(fields, comps, tup, strict=True)
            ]
            alts.append("(" + " and ".join(terms) + ")")
    if not alts:
        return condition
    return f"({condition}) and not ({' or '.join(alts)})"
