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

import calendar
import re
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from hardhull.errors import HardhullError, ResponseError, SensorError

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


class EngineClient(Protocol):
    """What attribution and response need from an engine."""

    engine: str

    def inspect(self, container: str) -> ContainerDetails | None: ...

    def pause(self, container: str) -> None: ...

    def stop(self, container: str, timeout: int = 10) -> None: ...

    def kill(self, container: str, signal: str = "SIGKILL") -> None: ...

    def disconnect_network(self, container: str, network: str) -> None: ...

    def close(self) -> None: ...


def parse_time_ns(text: object) -> int:
    """RFC 3339 (with up to nanoseconds, ``Z`` or an offset) to ns since the epoch; 0 when
    absent, zero (``0001-01-01...``) or unparsable."""
    if not isinstance(text, str):
        return 0
    m = re.match(
        r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?", text
    )
    if m is None or m.group(1) == "0001":
        return 0
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    secs = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    frac = (m.group(7) or "")[:9].ljust(9, "0")
    tz = m.group(8) or "Z"
    if tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        secs -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return secs * 1_000_000_000 + int(frac)


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


def repository_of(ref: str) -> str:
    """``localhost/app`` from ``localhost/app:1`` or ``localhost/app@sha256:...``."""
    ref = ref.split("@", 1)[0]
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    return ref[:colon] if colon > slash else ref


class _HttpEngine:
    """Shared HTTP plumbing: one httpx client, rebuilt after a transport error."""

    engine = "engine"

    def __init__(self, socket: str | Path, *, timeout: float = 5.0) -> None:
        self.socket = Path(str(socket).removeprefix("unix://"))
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 2.0))
        self._lock = threading.Lock()
        self._http: httpx.Client | None = None

    def _client(self) -> httpx.Client:
        with self._lock:
            if self._http is None:
                self._http = httpx.Client(
                    transport=httpx.HTTPTransport(uds=str(self.socket)),
                    base_url="http://localhost",
                    timeout=self._timeout,
                )
            return self._http

    def _reset(self) -> None:
        with self._lock:
            if self._http is not None:
                self._http.close()
                self._http = None

    def close(self) -> None:
        self._reset()

    def _request(
        self,
        method: str,
        path: str,
        what: str,
        error: type[HardhullError],
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """One request; after a transport error the client is rebuilt and an idempotent
        request (all we send) is tried once more, so an engine restart costs one retry."""
        last: httpx.TransportError | None = None
        for _attempt in range(2):
            try:
                extra: dict[str, Any] = {}
                if timeout is not None:
                    extra["timeout"] = httpx.Timeout(timeout, connect=2.0)
                response = self._client().request(method, path, params=params, json=json, **extra)
                if len(response.content) > _MAX_BODY:
                    raise error(f"the {self.engine} API sent an oversized answer on {what}")
                return response
            except httpx.TransportError as exc:
                last = exc
                self._reset()
            except httpx.HTTPError as exc:  # pragma: no cover - non-transport httpx errors
                raise error(
                    f"the {self.engine} API at {self.socket} failed on {what}: {exc}"
                ) from exc
        detail = str(last) or type(last).__name__
        raise error(
            f"cannot reach the {self.engine} API at {self.socket} on {what} ({detail})",
            hint="is the engine service running?",
        )

    def _json(self, response: httpx.Response, what: str, error: type[HardhullError]) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise error(f"the {self.engine} API sent a non-JSON answer on {what}") from exc

    def _check(self, response: httpx.Response, what: str, ok: tuple[int, ...] = (200, 204)) -> None:
        if response.status_code in ok:
            return
        message = ""
        try:
            doc = response.json()
            if isinstance(doc, dict):
                message = " ".join(str(doc.get("message") or doc.get("cause") or "").split())
        except ValueError:
            message = response.text[:200]
        said = f": {message[:300]}" if message else ""
        raise ResponseError(
            f"the {self.engine} API refused {what} (HTTP {response.status_code}){said}"
        )

    def _inspect_doc(self, path: str, container: str) -> dict[str, Any] | None:
        what = f"inspect of container {container}"
        response = self._request("GET", path, what, SensorError)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise SensorError(
                f"the {self.engine} API answered HTTP {response.status_code} on {what}"
            )
        doc = self._json(response, what, SensorError)
        if not isinstance(doc, dict):
            raise SensorError(f"the {self.engine} API sent an unexpected answer on {what}")
        return doc


class PodmanClient(_HttpEngine):
    """podman's libpod API."""

    engine = "podman"

    def __init__(self, socket: str | Path = PODMAN_SOCKET, *, timeout: float = 5.0) -> None:
        super().__init__(socket, timeout=timeout)

    def inspect(self, container: str) -> ContainerDetails | None:
        doc = self._inspect_doc(f"{_LIBPOD}/containers/{quote(container)}/json", container)
        if doc is None:
            return None
        networks = _get(doc, "NetworkSettings", "Networks")
        return ContainerDetails(
            id=str(doc.get("Id", "")),
            name=str(doc.get("Name", "")).lstrip("/"),
            engine=self.engine,
            image=str(doc.get("ImageName") or _get(doc, "Config", "Image") or ""),
            image_id=_sha(doc.get("Image")),
            image_digest=_sha(doc.get("ImageDigest")),
            privileged=_bool(_get(doc, "HostConfig", "Privileged")),
            started_at=parse_time_ns(_get(doc, "State", "StartedAt")),
            state=_state(doc),
            pid=_int(_get(doc, "State", "Pid")),
            labels=_labels(_get(doc, "Config", "Labels")),
            mounts=_mounts(doc.get("Mounts")),
            networks=tuple(sorted(networks)) if isinstance(networks, dict) else (),
        )

    def pause(self, container: str) -> None:
        what = f"pause of container {container}"
        path = f"{_LIBPOD}/containers/{quote(container)}/pause"
        self._check(self._request("POST", path, what, ResponseError), what)

    def stop(self, container: str, timeout: int = 10) -> None:
        what = f"stop of container {container}"
        path = f"{_LIBPOD}/containers/{quote(container)}/stop"
        response = self._request(
            "POST",
            path,
            what,
            ResponseError,
            params={"timeout": str(timeout)},
            timeout=timeout + 30.0,
        )
        self._check(response, what, ok=(200, 204, 304))

    def kill(self, container: str, signal: str = "SIGKILL") -> None:
        what = f"kill of container {container}"
        path = f"{_LIBPOD}/containers/{quote(container)}/kill"
        response = self._request("POST", path, what, ResponseError, params={"signal": signal})
        self._check(response, what)

    def disconnect_network(self, container: str, network: str) -> None:
        what = f"disconnect of container {container} from network {network}"
        path = f"{_LIBPOD}/networks/{quote(network, safe='')}/disconnect"
        response = self._request(
            "POST", path, what, ResponseError, json={"Container": container, "Force": True}
        )
        self._check(response, what)


class DockerClient(_HttpEngine):
    """The Docker Engine API (also podman's Docker-compatible API)."""

    engine = "docker"

    def __init__(self, socket: str | Path = DOCKER_SOCKET, *, timeout: float = 5.0) -> None:
        super().__init__(socket, timeout=timeout)

    def _image_digest(self, doc: Mapping[str, Any], ref: str, image_id: str) -> str:
        descriptor = _get(doc, "ImageManifestDescriptor", "digest")
        if isinstance(descriptor, str) and descriptor.startswith("sha256:"):
            return descriptor
        if "@sha256:" in ref:
            return ref.split("@", 1)[1]
        if not image_id:
            return ""
        what = f"inspect of image {image_id}"
        response = self._request(
            "GET", f"{_DOCKER}/images/{quote(image_id)}/json", what, SensorError
        )
        if response.status_code != 200:
            return ""
        image = self._json(response, what, SensorError)
        repo_digests = image.get("RepoDigests") if isinstance(image, dict) else None
        if not isinstance(repo_digests, list):
            return ""
        repo = repository_of(ref)
        found = {
            str(d).split("@", 1)[1]
            for d in repo_digests
            if isinstance(d, str) and "@" in d and repository_of(d) in (repo, f"docker.io/{repo}")
        }
        # One digest for the container's repository is the manifest it came from; several
        # (or none) cannot be told apart, and a digest is never guessed.
        return found.pop() if len(found) == 1 else ""

    def inspect(self, container: str) -> ContainerDetails | None:
        doc = self._inspect_doc(f"{_DOCKER}/containers/{quote(container)}/json", container)
        if doc is None:
            return None
        ref = str(_get(doc, "Config", "Image") or "")
        image_id = _sha(doc.get("Image"))
        networks = _get(doc, "NetworkSettings", "Networks")
        return ContainerDetails(
            id=str(doc.get("Id", "")),
            name=str(doc.get("Name", "")).lstrip("/"),
            engine=self.engine,
            image=ref,
            image_id=image_id,
            image_digest=self._image_digest(doc, ref, image_id),
            privileged=_bool(_get(doc, "HostConfig", "Privileged")),
            started_at=parse_time_ns(_get(doc, "State", "StartedAt")),
            state=_state(doc),
            pid=_int(_get(doc, "State", "Pid")),
            labels=_labels(_get(doc, "Config", "Labels")),
            mounts=_mounts(doc.get("Mounts")),
            networks=tuple(sorted(networks)) if isinstance(networks, dict) else (),
        )

    def pause(self, container: str) -> None:
        what = f"pause of container {container}"
        path = f"{_DOCKER}/containers/{quote(container)}/pause"
        self._check(self._request("POST", path, what, ResponseError), what)

    def stop(self, container: str, timeout: int = 10) -> None:
        what = f"stop of container {container}"
        path = f"{_DOCKER}/containers/{quote(container)}/stop"
        response = self._request(
            "POST", path, what, ResponseError, params={"t": str(timeout)}, timeout=timeout + 30.0
        )
        self._check(response, what, ok=(200, 204, 304))

    def kill(self, container: str, signal: str = "SIGKILL") -> None:
        what = f"kill of container {container}"
        path = f"{_DOCKER}/containers/{quote(container)}/kill"
        response = self._request("POST", path, what, ResponseError, params={"signal": signal})
        self._check(response, what)

    def disconnect_network(self, container: str, network: str) -> None:
        what = f"disconnect of container {container} from network {network}"
        path = f"{_DOCKER}/networks/{quote(network, safe='')}/disconnect"
        response = self._request(
            "POST", path, what, ResponseError, json={"Container": container, "Force": True}
        )
        self._check(response, what)


class CrioClient(_HttpEngine):
    """CRI-O's HTTP inspect endpoint (read only: CRI-O's actions need the CRI gRPC API)."""

    engine = "cri-o"

    def __init__(self, socket: str | Path = CRIO_SOCKET, *, timeout: float = 5.0) -> None:
        super().__init__(socket, timeout=timeout)

    def inspect(self, container: str) -> ContainerDetails | None:
        doc = self._inspect_doc(f"/containers/{quote(container)}", container)
        if doc is None:
            return None
        image_ref = str(doc.get("image_ref") or "")
        digest = image_ref.split("@", 1)[1] if "@sha256:" in image_ref else ""
        labels = _labels(doc.get("labels"))
        return ContainerDetails(
            id=container,
            name=labels.get("io.kubernetes.container.name", str(doc.get("name", ""))),
            engine=self.engine,
            image=str(doc.get("image") or ""),
            image_digest=digest,
            pid=_int(doc.get("pid")),
            labels=labels,
        )

    def _unsupported(self, what: str) -> ResponseError:
        return ResponseError(f"{what} is not supported for CRI-O containers (needs the CRI API)")

    def pause(self, container: str) -> None:
        raise self._unsupported("pause")

    def stop(self, container: str, timeout: int = 10) -> None:
        raise self._unsupported("stop")

    def kill(self, container: str, signal: str = "SIGKILL") -> None:
        raise self._unsupported("kill")

    def disconnect_network(self, container: str, network: str) -> None:
        raise self._unsupported("network disconnect")


def _bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _state(doc: Mapping[str, Any]) -> str:
    state = doc.get("State")
    if isinstance(state, dict):
        return str(state.get("Status", ""))
    return str(state or "")


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


def pid_cgroup_lines(pid: int, proc_root: str | Path = "/proc") -> list[str]:
    """The cgroup paths of ``pid`` (one per hierarchy), ``[]`` when it is gone."""
    try:
        text = (Path(proc_root) / str(pid) / "cgroup").read_text()
    except OSError:
        return []
    return [line.split(":", 2)[2] for line in text.splitlines() if line.count(":") >= 2]


__all__ = [
    "CONTAINERD_SOCKET",
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
