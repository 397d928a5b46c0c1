"""HTTP-over-unix-socket clients: podman libpod, Docker Engine, CRI-O (read only).

Re-exported from :mod:`hardhull.runtime.engines`, whose docstring describes them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from hardhull.errors import HardhullError, ResponseError, SensorError
from hardhull.runtime.engines_base import (
    _DOCKER,
    _LIBPOD,
    _MAX_BODY,
    CRIO_SOCKET,
    DOCKER_SOCKET,
    PODMAN_SOCKET,
    ContainerDetails,
    _bool,
    _get,
    _int,
    _labels,
    _mounts,
    _sha,
    _state,
    parse_time_ns,
    repository_of,
    upper_dir,
)


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

    def _get_doc(self, path: str, what: str, expect: type, *, missing_ok: bool = False) -> Any:
        """``GET path``: its JSON answer, which must be an ``expect``; ``None`` for HTTP 404
        when ``missing_ok``; any other answer is a :class:`SensorError`."""
        response = self._request("GET", path, what, SensorError)
        if missing_ok and response.status_code == 404:
            return None
        if response.status_code != 200:
            raise SensorError(
                f"the {self.engine} API answered HTTP {response.status_code} on {what}"
            )
        doc = self._json(response, what, SensorError)
        if not isinstance(doc, expect):
            raise SensorError(f"the {self.engine} API sent an unexpected answer on {what}")
        return doc

    def _inspect_doc(self, path: str, container: str) -> dict[str, Any] | None:
        what = f"inspect of container {container}"
        doc: dict[str, Any] | None = self._get_doc(path, what, dict, missing_ok=True)
        return doc


class _ActingEngine(_HttpEngine):
    """The container actions podman's libpod API and the Docker Engine API share; they
    differ only in the path prefix (``_api``) and the name of stop's timeout parameter."""

    _api = _DOCKER
    _stop_timeout = "t"

    def _details(
        self, doc: Mapping[str, Any], *, image: str, image_id: str, image_digest: str
    ) -> ContainerDetails:
        """The Docker-shaped inspect document both APIs answer; they differ only in where
        the image reference and its digest are."""
        networks = _get(doc, "NetworkSettings", "Networks")
        return ContainerDetails(
            id=str(doc.get("Id", "")),
            name=str(doc.get("Name", "")).lstrip("/"),
            engine=self.engine,
            image=image,
            image_id=image_id,
            image_digest=image_digest,
            privileged=_bool(_get(doc, "HostConfig", "Privileged")),
            started_at=parse_time_ns(_get(doc, "State", "StartedAt")),
            state=_state(doc),
            pid=_int(_get(doc, "State", "Pid")),
            labels=_labels(_get(doc, "Config", "Labels")),
            mounts=_mounts(doc.get("Mounts")),
            networks=tuple(sorted(networks)) if isinstance(networks, dict) else (),
            upper_dir=upper_dir(doc),
        )

    def running(self) -> list[str]:
        """Full ids of the running containers (the Docker-compatible list endpoint, which
        podman serves too)."""
        doc = self._get_doc(f"{_DOCKER}/containers/json", "list of running containers", list)
        return [str(c["Id"]) for c in doc if isinstance(c, dict) and c.get("Id")]

    def pause(self, container: str) -> None:
        what = f"pause of container {container}"
        path = f"{self._api}/containers/{quote(container)}/pause"
        self._check(self._request("POST", path, what, ResponseError), what)

    def stop(self, container: str, timeout: int = 10) -> None:
        what = f"stop of container {container}"
        path = f"{self._api}/containers/{quote(container)}/stop"
        response = self._request(
            "POST",
            path,
            what,
            ResponseError,
            params={self._stop_timeout: str(timeout)},
            timeout=timeout + 30.0,
        )
        self._check(response, what, ok=(200, 204, 304))

    def kill(self, container: str, signal: str = "SIGKILL") -> None:
        what = f"kill of container {container}"
        path = f"{self._api}/containers/{quote(container)}/kill"
        response = self._request("POST", path, what, ResponseError, params={"signal": signal})
        self._check(response, what)

    def disconnect_network(self, container: str, network: str) -> None:
        what = f"disconnect of container {container} from network {network}"
        path = f"{self._api}/networks/{quote(network, safe='')}/disconnect"
        response = self._request(
            "POST", path, what, ResponseError, json={"Container": container, "Force": True}
        )
        self._check(response, what)


class PodmanClient(_ActingEngine):
    """podman's libpod API."""

    engine = "podman"
    _api = _LIBPOD
    _stop_timeout = "timeout"

    def __init__(self, socket: str | Path = PODMAN_SOCKET, *, timeout: float = 5.0) -> None:
        super().__init__(socket, timeout=timeout)

    def inspect(self, container: str) -> ContainerDetails | None:
        doc = self._inspect_doc(f"{_LIBPOD}/containers/{quote(container)}/json", container)
        if doc is None:
            return None
        return self._details(
            doc,
            image=str(doc.get("ImageName") or _get(doc, "Config", "Image") or ""),
            image_id=_sha(doc.get("Image")),
            image_digest=_sha(doc.get("ImageDigest")),
        )


class DockerClient(_ActingEngine):
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
        return self._details(
            doc,
            image=ref,
            image_id=image_id,
            image_digest=self._image_digest(doc, ref, image_id),
        )


class CrioClient(_HttpEngine):
    """CRI-O's HTTP inspect endpoint (read only: CRI-O's actions need the CRI gRPC API)."""

    engine = "cri-o"

    def __init__(self, socket: str | Path = CRIO_SOCKET, *, timeout: float = 5.0) -> None:
        super().__init__(socket, timeout=timeout)

    def running(self) -> list[str]:
        """CRI-O's HTTP endpoint cannot list containers: none (their images are indexed
        at their first exec instead)."""
        return []

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
