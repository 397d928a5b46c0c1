"""Small helpers shared by the PSS checks: safe field access, container visits, wording."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

Obj = Mapping[str, Any]
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def is_map(value: object) -> TypeGuard[Obj]:
    """``isinstance(value, Mapping)``, with the common cases (a plain dict, ``None``)
    decided before the ABC check, which costs several times more."""
    return type(value) is dict or (value is not None and isinstance(value, Mapping))


def mapping(value: object) -> Obj:
    """``value`` if it is a mapping, else an empty one (tolerates ``None`` and junk)."""
    # ``type(...) is dict`` first: parsed YAML/JSON is plain dicts, and the ABC check of
    # ``isinstance(x, Mapping)`` costs several times more (profiled in bench/posture).
    if type(value) is dict or (value is not None and isinstance(value, Mapping)):
        return value
    return {}


def items(value: object) -> Sequence[Any]:
    """``value`` if it is a list, else an empty tuple."""
    if type(value) is list:
        return value
    return value if value is not None and isinstance(value, list | tuple) else ()


def dig(obj: object, *path: str) -> Any:
    """Follow mapping keys; ``None`` as soon as one is missing."""
    cur: Any = obj
    for key in path:
        if type(cur) is not dict and (cur is None or not isinstance(cur, Mapping)):
            return None  # ``None`` first: missing keys are the common case, ABC checks slow
        cur = cur.get(key)
    return cur


def text(value: object) -> str:
    """A string field as Go would see it (missing -> empty string)."""
    return value if isinstance(value, str) else ""


#: A pod's containers in PSA's visiting order, each with its securityContext (``None``
#: when unset or not a mapping): walked once per pod and shared by every check.
Walk = tuple[tuple[Obj, Obj | None], ...]


def walk(spec: Obj) -> Walk:
    """``(container, securityContext or None)`` for each container of ``spec``: init
    containers, containers, then ephemeral containers, in PSA's visiting order."""
    out: list[tuple[Obj, Obj | None]] = []
    for key in CONTAINER_LISTS:
        value = spec.get(key)
        if value is None:
            continue
        out.extend((c, container_sc(c)) for c in items(value) if is_map(c))
    return tuple(out)


def container_sc(container: Obj) -> Obj | None:
    """A container's securityContext, or ``None`` when unset or not a mapping."""
    value = container.get("securityContext")
    return value if is_map(value) else None


def present_keys(meta: Obj, spec: Obj, cs: Walk) -> set[str]:
    """The keys set in the pod's and its containers' securityContexts, plus
    ``"@annotations"`` when the pod has annotations (for :attr:`Variant.needs`)."""
    keys = set(pod_sc(spec))
    for _, sc in cs:
        if sc is not None:
            keys.update(sc)
    if meta.get("annotations"):
        keys.add("@annotations")
    return keys


def name_of(container: Obj) -> str:
    """A container's name (empty if unset)."""
    return text(container.get("name"))


def pod_sc(spec: Obj) -> Obj:
    """The pod-level securityContext (empty mapping if unset)."""
    return mapping(spec.get("securityContext"))


def is_windows(spec: Obj) -> bool:
    """True for pods with ``spec.os.name: windows``."""
    return bool(dig(spec, "os", "name") == "windows")


def user_namespaced(spec: Obj) -> bool:
    """True when the pod explicitly asks for its own user namespace (``hostUsers: false``)."""
    return spec.get("hostUsers") is False


def pluralize(singular: str, plural: str, count: int) -> str:
    """``singular`` for a count of 1, else ``plural``."""
    return singular if count == 1 else plural


def join_quote(values: Sequence[str]) -> str:
    """``"a", "b"`` (Go ``%q`` quoting, comma-joined)."""
    return ", ".join(quote(v) for v in values)


def quote(value: str) -> str:
    """Go-style double-quoted string."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def containers_phrase(names: Sequence[str]) -> str:
    """``container "a"`` / ``containers "a", "b"``."""
    return f"{pluralize('container', 'containers', len(names))} {join_quote(names)}"
