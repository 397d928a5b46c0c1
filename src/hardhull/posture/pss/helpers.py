"""Small helpers shared by the PSS checks: safe field access, container visits, wording."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

Obj = Mapping[str, Any]
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


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


def containers(spec: Obj) -> Iterator[Obj]:
    """Init containers, containers, then ephemeral containers, in PSA's visiting order."""
    for key in CONTAINER_LISTS:
        for container in items(spec.get(key)):
            if type(container) is dict or isinstance(container, Mapping):
                yield container


def name_of(container: Obj) -> str:
    """A container's name (empty if unset)."""
    return text(container.get("name"))


def pod_sc(spec: Obj) -> Obj:
    """The pod-level securityContext (empty mapping if unset)."""
    return mapping(spec.get("securityContext"))


def container_sc(container: Obj) -> Obj | None:
    """A container's securityContext, or ``None`` when unset."""
    value = container.get("securityContext")
    return value if type(value) is dict or isinstance(value, Mapping) else None


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


def bad_containers(spec: Obj, predicate: Callable[[Obj], bool]) -> list[str]:
    """Names of the containers (in visiting order) for which ``predicate`` holds."""
    return [name_of(c) for c in containers(spec) if predicate(c)]
