"""Image references: ``[host[:port]/]path[:tag][@sha256:hex]`` with Docker Hub defaults."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hardhull.errors import UsageError

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
DEFAULT_TAG = "latest"

_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_HOST = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"|\[[0-9A-Fa-f:.]+\]"
)
_PORT = re.compile(r"[0-9]{1,5}")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}")
_MAX_NAME = 255


@dataclass(frozen=True, slots=True)
class Reference:
    """A parsed image reference.

    ``registry`` is the registry as users name it (``docker.io``, ``127.0.0.1:5000``);
    ``repository`` the path inside it (``library/alpine``); at least one of ``tag`` and
    ``digest`` is set (a bare name means the ``latest`` tag).
    """

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def api_host(self) -> str:
        """The ``host[:port]`` to talk to: Docker Hub's API lives on another name."""
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def reference(self) -> str:
        """What to ask the manifest endpoint for: the digest if pinned, else the tag."""
        return self.digest or self.tag or DEFAULT_TAG

    @property
    def name(self) -> str:
        """``registry/repository`` without tag or digest."""
        return f"{self.registry}/{self.repository}"

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def _split_host(name: str) -> tuple[str | None, str]:
    first, sep, rest = name.partition("/")
    if not sep:
        return None, name
    if "." in first or ":" in first or first == "localhost" or first != first.lower():
        return first, rest
    return None, name


def _check_host(host: str, text: str) -> str:
    hostname, port = host, None
    if host.startswith("["):
        end = host.find("]")
        hostname, rest = host[: end + 1], host[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise UsageError(f"image reference {text!r}: bad registry host {host!r}")
            port = rest[1:]
    elif ":" in host:
        hostname, port = host.rsplit(":", 1)
    if not _HOST.fullmatch(hostname):
        raise UsageError(f"image reference {text!r}: bad registry host {host!r}")
    if port is not None and (not _PORT.fullmatch(port) or not 0 < int(port) < 65536):
        raise UsageError(f"image reference {text!r}: bad port in registry host {host!r}")
    return DOCKER_HUB if host.lower() in _HUB_ALIASES else host


def parse_reference(text: str) -> Reference:
    """Parse ``text`` into a :class:`Reference`; raise :class:`UsageError` if malformed."""
    if not text or text != text.strip() or any(c.isspace() for c in text):
        raise UsageError(
            f"image reference {text!r} is empty or contains spaces",
            hint="expected host[:port]/path[:tag][@sha256:...]",
        )
    rest, at, digest = text.partition("@")
    if at and not DIGEST.fullmatch(digest):
        raise UsageError(
            f"image reference {text!r}: bad digest {digest!r}",
            hint="expected sha256: followed by 64 lowercase hex digits",
        )
    host, path = _split_host(rest)
    tag: str | None = None
    last_slash = path.rfind("/")
    colon = path.rfind(":")
    if colon > last_slash:
        path, tag = path[:colon], path[colon + 1 :]
        if not _TAG.fullmatch(tag):
            raise UsageError(f"image reference {text!r}: bad tag {tag!r}")
    registry = _check_host(host, text) if host else DOCKER_HUB
    if not path:
        raise UsageError(f"image reference {text!r} names no repository")
    components = path.split("/")
    for component in components:
        if not _COMPONENT.fullmatch(component):
            raise UsageError(
                f"image reference {text!r}: bad repository name {path!r}",
                hint="use lowercase letters, digits and separators . _ - between slashes",
            )
    if registry == DOCKER_HUB and len(components) == 1:
        path = f"library/{path}"
    if len(registry) + 1 + len(path) > _MAX_NAME:
        raise UsageError(f"image reference {text!r}: name longer than {_MAX_NAME} characters")
    if tag is None and not at:
        tag = DEFAULT_TAG
    return Reference(registry, path, tag, digest if at else None)
