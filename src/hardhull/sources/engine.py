"""Images in a local engine's store (podman or Docker), through the Docker-compatible API.

The image is inspected (``GET /images/{name}/json``), then exported as a docker-archive
(``GET /images/{name}/get``) streamed into a file inside the private ``workdir``, and read
by :func:`hardhull.sources.docker_archive.resolve_docker_archive`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from hardhull.errors import SourceError, UsageError
from hardhull.sources.base import ResolvedImage, SourceOptions

ENGINES = ("podman", "docker")
_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
_MAX_INSPECT = 16 * 1024 * 1024
_CHUNK = 1024 * 1024
_START_HINT = {
    "podman": "start it with `podman system service --time=0 unix:///run/podman/podman.sock`, "
    "or set CONTAINER_HOST=unix:///path/to/podman.sock",
    "docker": "start the Docker daemon, or set DOCKER_HOST=unix:///path/to/docker.sock",
}


def _socket_path(value: str, engine: str, origin: str) -> Path:
    if value.startswith("unix://"):
        return Path(value[len("unix://") :])
    if "://" in value:
        raise SourceError(
            f"{engine} API address {value!r} from {origin} is not a unix socket",
            hint="only unix:///path sockets are supported",
        )
    return Path(value)


def find_socket(engine: str, options: SourceOptions) -> Path:
    """The API socket of ``engine``: the option, the environment, or the usual places."""
    explicit: tuple[str | None, str]
    defaults: list[Path]
    if engine == "podman":
        explicit = (options.podman_socket, "the podman socket option")
        env_name = "CONTAINER_HOST"
        defaults = [Path("/run/podman/podman.sock")]
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        if runtime:
            defaults.append(Path(runtime) / "podman" / "podman.sock")
    elif engine == "docker":
        explicit = (options.docker_socket, "the docker socket option")
        env_name = "DOCKER_HOST"
        defaults = [Path("/var/run/docker.sock")]
    else:
        raise UsageError(f"unknown engine {engine!r} (expected podman or docker)")
    given, origin = explicit
    if not given and os.environ.get(env_name):
        given, origin = os.environ[env_name], f"${env_name}"
    if given:
        path = _socket_path(given, engine, origin)
        if not path.exists():
            raise SourceError(
                f"{engine} API socket {path} (from {origin}) does not exist",
                hint=_START_HINT[engine],
            )
        return path
    for path in defaults:
        if path.exists():
            return path
    tried = ", ".join(str(p) for p in defaults)
    raise SourceError(f"no {engine} API socket found (tried {tried})", hint=_START_HINT[engine])


class EngineClient:
    """A Docker-compatible API client over a unix socket."""

    def __init__(self, engine: str, socket: Path) -> None:
        self.engine = engine
        self.socket = socket
        self._http = httpx.Client(
            transport=httpx.HTTPTransport(uds=str(socket)),
            base_url="http://localhost",
            timeout=_TIMEOUT,
        )

    def __enter__(self) -> EngineClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def _fail(self, exc: httpx.HTTPError, what: str) -> SourceError:
        text = str(exc) or type(exc).__name__
        if isinstance(exc, httpx.ConnectError):
            return SourceError(
                f"cannot connect to the {self.engine} API at {self.socket} ({text})",
                hint=_START_HINT[self.engine],
            )
        if isinstance(exc, httpx.TimeoutException):
            return SourceError(f"the {self.engine} API at {self.socket} timed out on {what}")
        return SourceError(f"the {self.engine} API at {self.socket} failed on {what} ({text})")

    def _status(self, response: httpx.Response, image: str, what: str) -> SourceError:
        detail = ""
        try:
            response.read()
            doc = json.loads(response.content[:65536])
            if isinstance(doc, dict) and isinstance(doc.get("message"), str):
                detail = " ".join(doc["message"].split())[:200]
        except (ValueError, UnicodeDecodeError, httpx.HTTPError):
            pass
        said = f" ({detail})" if detail else ""
        if response.status_code == 404:
            return SourceError(
                f"image {image!r} not found in the {self.engine} store{said}",
                hint=f"list images with `{self.engine} images`, or pull it first",
            )
        return SourceError(
            f"the {self.engine} API answered HTTP {response.status_code} on {what} "
            f"for {image!r}{said}"
        )

    def inspect(self, image: str) -> dict[str, Any]:
        """The engine's description of ``image`` (``GET /images/{name}/json``)."""
        what = "image inspect"
        try:
            with self._http.stream("GET", f"/images/{_quote(image)}/json") as response:
                if response.status_code != 200:
                    raise self._status(response, image, what)
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > _MAX_INSPECT:
                        raise SourceError(
                            f"the {self.engine} API sent an oversized inspect answer for {image!r}"
                        )
        except httpx.HTTPError as exc:
            raise self._fail(exc, what) from exc
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SourceError(
                f"the {self.engine} API sent a non-JSON inspect answer for {image!r}"
            ) from exc
        if not isinstance(doc, dict):
            raise SourceError(f"the {self.engine} API sent an unexpected inspect answer")
        return doc

    def save(self, image: str, dest: Path, options: SourceOptions, total: int | None) -> None:
        """Stream ``GET /images/{name}/get`` (a docker-archive) into ``dest``."""
        what = "image export"
        key = f"save:{image}"
        progress = options.progress
        progress.start(key, f"export {image}", total)
        try:
            with (
                self._http.stream("GET", f"/images/{_quote(image)}/get") as response,
                dest.open("xb") as out,
            ):
                if response.status_code != 200:
                    raise self._status(response, image, what)
                for chunk in response.iter_raw(_CHUNK):
                    out.write(chunk)
                    progress.advance(key, len(chunk))
        except httpx.HTTPError as exc:
            raise self._fail(exc, what) from exc
        except OSError as exc:
            raise SourceError(
                f"cannot write the exported {self.engine} image {image!r} ({exc.strerror})"
            ) from exc
        finally:
            progress.finish(key)


def _quote(image: str) -> str:
    return quote(image, safe="/:@")


def export_image(
    engine: str, image: str, options: SourceOptions, workdir: Path
) -> tuple[Path, dict[str, Any]]:
    """Inspect ``image`` and save it as a docker-archive in ``workdir``; returns both."""
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r} (expected podman or docker)")
    if not image or any(c.isspace() or not c.isprintable() for c in image):
        raise UsageError(f"{engine} image name {image!r} is empty or contains spaces")
    socket = find_socket(engine, options)
    with EngineClient(engine, socket) as client:
        inspected = client.inspect(image)
        size = inspected.get("Size")
        total = size if isinstance(size, int) and size > 0 else None
        dest = workdir / f"{engine}-image.tar"
        client.save(image, dest, options, total)
    return dest, inspected


def resolve_engine(engine: str, image: str, options: SourceOptions, workdir: Path) -> ResolvedImage:
    """Export ``image`` from the ``engine`` store into ``workdir`` and read it as an archive."""
    from hardhull.sources.docker_archive import resolve_docker_archive

    archive, inspected = export_image(engine, image, options, workdir)
    resolved = resolve_docker_archive(archive, options, workdir)
    tags = inspected.get("RepoTags")
    digests = inspected.get("RepoDigests")
    image_id = inspected.get("Id")
    info = dataclasses.replace(
        resolved.info,
        scheme=engine,
        target=image,
        name=image,
        tags=tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
    )
    if (
        info.manifest_digest is None
        and isinstance(digests, list)
        and digests
        and isinstance(digests[0], str)
    ):
        _, _, digest = digests[0].partition("@")
        if digest.startswith("sha256:"):
            info = dataclasses.replace(info, manifest_digest=digest)
    if isinstance(image_id, str) and not info.config_digest:
        info = dataclasses.replace(
            info, config_digest=image_id if ":" in image_id else f"sha256:{image_id}"
        )
    return ResolvedImage(info, resolved.layers)
