"""Container-engine API clients for runtime attribution and response.

Two HTTP-over-unix-socket dialects are spoken with :mod:`httpx`:

* podman's **libpod** API (``/v4.0.0/libpod/...``; default socket
  ``/run/podman/podman.sock``), which reports the manifest digest the container was
  started from directly (``ImageDigest``);
* the **Docker Engine** API (``/v1.41/...``; default socket ``/var/run/docker.sock``),
  where the digest comes from the container's ``ImageManifestDescriptor`` (newer
  engines) or from the image's ``RepoDigests`` entry for the container's repository.

CRI-O answers a small HTTP inspect endpoint on its socket (``GET /containers/{id}``);
:class:`CrioClient` reads it (name, image, labels) but cannot act. containerd speaks only
gRPC and is not queried; its containers are attributed from the cgroup path alone.

Every client reconnects on the next call after a transport error, so a watcher survives
an engine restart. Reads raise :class:`~hardhull.errors.SensorError`, actions raise
:class:`~hardhull.errors.ResponseError`; a container the engine does not know is
``None``, not an error.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from hardhull.errors import SensorError
from hardhull.runtime.engines_base import (
    CONTAINERD_SOCKET,
    CRIO_SOCKET,
    DOCKER_SOCKET,
    PODMAN_SOCKET,
    ContainerDetails,
    EngineClient,
    Mount,
    parse_time_ns,
    pid_cgroup_lines,
    repository_of,
)
from hardhull.runtime.engines_http import CrioClient, DockerClient, PodmanClient

__all__ = [
    "CONTAINERD_SOCKET",
    "CRIO_SOCKET",
    "DOCKER_SOCKET",
    "PODMAN_SOCKET",
    "ContainerDetails",
    "CrioClient",
    "DockerClient",
    "EngineClient",
    "Mount",
    "PodmanClient",
    "default_clients",
    "parse_time_ns",
    "pid_cgroup_lines",
    "repository_of",
    "start_podman_service",
]


def default_clients(
    *,
    podman: str | Path | None = None,
    docker: str | Path | None = None,
    crio: str | Path | None = None,
    timeout: float = 5.0,
) -> list[EngineClient]:
    """A client for each engine whose socket exists (explicit paths always count)."""
    clients: list[EngineClient] = []
    if podman is not None or PODMAN_SOCKET.exists():
        clients.append(PodmanClient(podman or PODMAN_SOCKET, timeout=timeout))
    if docker is not None or DOCKER_SOCKET.exists():
        clients.append(DockerClient(docker or DOCKER_SOCKET, timeout=timeout))
    if crio is not None or CRIO_SOCKET.exists():
        clients.append(CrioClient(crio or CRIO_SOCKET, timeout=timeout))
    return clients


def start_podman_service(
    socket: str | Path = PODMAN_SOCKET,
    *,
    wait: float = 30.0,
    popen: Callable[..., subprocess.Popen[bytes]] = subprocess.Popen,
) -> subprocess.Popen[bytes] | None:
    """Start ``podman system service --time=0`` on ``socket`` unless something already
    answers there; returns the started process (the caller stops it) or ``None``."""
    path = Path(str(socket).removeprefix("unix://"))
    if _pings(path):
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        proc = popen(
            ["podman", "system", "service", "--time=0", f"unix://{path}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError as exc:
        raise SensorError(f"cannot start the podman API service ({exc.strerror})") from exc
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SensorError(f"podman system service on {path} exited with {proc.returncode}")
        if _pings(path):
            return proc
        time.sleep(0.1)
    proc.terminate()
    raise SensorError(f"podman system service on {path} did not answer within {wait:.0f} s")


def _pings(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        with httpx.Client(transport=httpx.HTTPTransport(uds=str(path)), timeout=2.0) as c:
            return c.get("http://localhost/_ping").status_code == 200
    except httpx.HTTPError:
        return False
