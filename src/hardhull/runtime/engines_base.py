"""Values and helpers shared by the engine API clients (see :mod:`hardhull.runtime.engines`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from hardhull.runtime import jsonio

PODMAN_SOCKET = Path("/run/podman/podman.sock")
DOCKER_SOCKET = Path("/var/run/docker.sock")
CRIO_SOCKET = Path("/var/run/crio/crio.sock")
CONTAINERD_SOCKET = Path("/run/containerd/containerd.sock")

_LIBPOD = "/v4.0.0/libpod"
_DOCKER = "/v1.41"
_MAX_BODY = 8 * 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class Mount:
    type: str
    source: str
    destination: str
    rw: bool
    mode: str = ""
    propagation: str = ""


@dataclass(frozen=True, slots=True)
class ContainerDetails:
    """What an engine says about one container. ``image_digest`` is the manifest digest
    the container was started from, ``""`` when the engine does not know it."""

    id: str
    name: str
    engine: str
    image: str = ""
    image_id: str = ""
    image_digest: str = ""
    privileged: bool | None = None
    started_at: int = 0
    state: str = ""
    pid: int = 0
    labels: Mapping[str, str] = field(default_factory=dict)
    mounts: tuple[Mount, ...] = ()
    networks: tuple[str, ...] = ()
    upper_dir: str = ""


def upper_dir(doc: Mapping[str, Any]) -> str:
    """The container's writable overlay layer on the host (``GraphDriver.Data.UpperDir``),
    ``""`` for other storage drivers."""
    value = _get(doc, "GraphDriver", "Data", "UpperDir")
    return value if isinstance(value, str) and value.startswith("/") else ""


class EngineClient(Protocol):
    """What attribution and response need from an engine."""

    engine: str

    def inspect(self, container: str) -> ContainerDetails | None: ...

    def running(self) -> list[str]: ...

    def pause(self, container: str) -> None: ...

    def stop(self, container: str, timeout: int = 10) -> None: ...

    def kill(self, container: str, signal: str = "SIGKILL") -> None: ...

    def disconnect_network(self, container: str, network: str) -> None: ...

    def close(self) -> None: ...


def parse_time_ns(text: object) -> int:
    """RFC 3339 (with up to nanoseconds, ``Z`` or an offset) to ns since the epoch; 0 when
    absent, zero (``0001-01-01...``) or unparsable. The engines' lenient form of
    :func:`hardhull.runtime.jsonio.parse_time_ns`."""
    if not isinstance(text, str) or text.startswith("0001-"):
        return 0
    try:
        return jsonio.parse_time_ns(text)
    except ValueError:
        return 0


def _sha(value: object) -> str:
    if not isinstance(value, str) or not value:
        return ""
    return f"sha256:{value}" if _HEX64.match(value) else value


def _labels(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _mounts(value: object) -> tuple[Mount, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        Mount(
            type=str(m.get("Type", "")),
            source=str(m.get("Source", "")),
            destination=str(m.get("Destination", "")),
            rw=bool(m.get("RW", False)),
            mode=str(m.get("Mode", "") or ""),
            propagation=str(m.get("Propagation", "") or ""),
        )
        for m in value
        if isinstance(m, dict)
    )


def _get(doc: Mapping[str, Any], *keys: str) -> Any:
    cur: Any = doc
    for key in keys:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(key)
    return cur


def split_image(ref: str) -> tuple[str, str, str]:
    """``(repository, tag, digest)`` of an image reference (tag/digest ``""`` if absent)."""
    digest = ""
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        return ref[:colon], ref[colon + 1 :], digest
    return ref, "", digest


def repository_of(ref: str) -> str:
    """``localhost/app`` from ``localhost/app:1`` or ``localhost/app@sha256:...``."""
    return split_image(ref)[0]


def _bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _state(doc: Mapping[str, Any]) -> str:
    state = doc.get("State")
    if isinstance(state, dict):
        return str(state.get("Status", ""))
    return str(state or "")


def pid_cgroup_lines(pid: int, proc_root: str | Path = "/proc") -> list[str]:
    """The cgroup paths of ``pid`` (one per hierarchy), ``[]`` when it is gone."""
    try:
        text = (Path(proc_root) / str(pid) / "cgroup").read_text()
    except OSError:
        return []
    return [line.split(":", 2)[2] for line in text.splitlines() if line.count(":") >= 2]
