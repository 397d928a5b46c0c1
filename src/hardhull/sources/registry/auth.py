"""Registry credentials and ``WWW-Authenticate`` challenges.

Credentials come from the options (``--username``/``--password-stdin``) or from a Docker
client configuration file. Nothing here ever logs or formats a secret: :class:`Credentials`
hides its password from ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from hardhull.errors import RegistryError
from hardhull.sources.registry.reference import DOCKER_HUB

_MAX_CONFIG = 4 * 1024 * 1024
_HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")


@dataclass(frozen=True, slots=True)
class Credentials:
    """A user name and password (or token) for one registry. The password never prints."""

    username: str
    password: str = field(repr=False)

    def basic(self) -> str:
        """The value of an ``Authorization: Basic`` header."""
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True, slots=True)
class CredentialLookup:
    """The result of looking for credentials: what was found and, if not, why not."""

    credentials: Credentials | None
    origin: str
    unsupported: str | None = None


@dataclass(frozen=True, slots=True)
class Challenge:
    """One ``WWW-Authenticate`` challenge: its scheme (lowercase) and parameters."""

    scheme: str
    params: tuple[tuple[str, str], ...]

    def get(self, key: str) -> str | None:
        """A parameter's value (keys are compared case-insensitively)."""
        for k, v in self.params:
            if k == key.lower():
                return v
        return None


_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_PARAM = re.compile(rf"\s*({_TOKEN})\s*=\s*(?:\"((?:[^\"\\]|\\.)*)\"|([^,\s\"]+))\s*")
_SCHEME = re.compile(rf"\s*({_TOKEN})(?:\s+|$)")


def parse_challenges(header: str) -> list[Challenge]:
    """Parse a ``WWW-Authenticate`` header value into its challenges (lenient)."""
    challenges: list[Challenge] = []
    pos = 0
    while pos < len(header):
        while pos < len(header) and header[pos] in ", \t":
            pos += 1
        m = _SCHEME.match(header, pos)
        if not m:
            break
        scheme = m.group(1).lower()
        pos = m.end()
        params: list[tuple[str, str]] = []
        while pos < len(header):
            p = _PARAM.match(header, pos)
            if not p:
                break
            quoted, bare = p.group(2), p.group(3)
            value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
            params.append((p.group(1).lower(), value))
            pos = p.end()
            if pos < len(header) and header[pos] == ",":
                pos += 1
        challenges.append(Challenge(scheme, tuple(params)))
    return challenges


def docker_config_path(explicit: Path | None) -> Path:
    """Where the Docker client configuration is: explicit, ``$DOCKER_CONFIG``, or ``~/.docker``."""
    if explicit is not None:
        return explicit / "config.json" if explicit.is_dir() else explicit
    env = os.environ.get("DOCKER_CONFIG")
    if env:
        return Path(env) / "config.json"
    return Path.home() / ".docker" / "config.json"


def _host_keys(registry: str) -> tuple[str, ...]:
    if registry == DOCKER_HUB:
        return _HUB_KEYS
    return (registry, f"https://{registry}", f"http://{registry}")


def _normalise_key(key: str) -> str:
    key = key.strip()
    for prefix in ("https://", "http://"):
        if key.startswith(prefix):
            key = key[len(prefix) :]
    return key.split("/", 1)[0].lower()


def _decode_entry(entry: object, path: Path) -> Credentials | None:
    if not isinstance(entry, dict):
        return None
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        try:
            decoded = base64.b64decode(auth, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise RegistryError(
                f"{path}: an 'auth' entry is not base64 of 'user:password'"
            ) from exc
        user, sep, password = decoded.partition(":")
        if not sep or not user:
            raise RegistryError(f"{path}: an 'auth' entry does not decode to 'user:password'")
        return Credentials(user, password)
    name, secret = entry.get("username"), entry.get("password")
    if isinstance(name, str) and name and isinstance(secret, str):
        return Credentials(name, secret)
    return None


def containers_auth_paths() -> list[Path]:
    """podman/skopeo auth files: ``$REGISTRY_AUTH_FILE``, else the runtime and config dirs."""
    env = os.environ.get("REGISTRY_AUTH_FILE")
    if env:
        return [Path(env)]
    paths = []
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        paths.append(Path(runtime) / "containers" / "auth.json")
    paths.append(Path.home() / ".config" / "containers" / "auth.json")
    return paths


def _read_config(path: Path, required: bool) -> dict[str, object] | None:
    try:
        with path.open("rb") as fh:
            raw = fh.read(_MAX_CONFIG + 1)
    except FileNotFoundError:
        if required:
            raise RegistryError(f"{path}: Docker configuration file not found") from None
        return None
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read Docker configuration ({exc.strerror})") from exc
    if len(raw) > _MAX_CONFIG:
        raise RegistryError(f"{path}: Docker configuration larger than 4 MiB")
    try:
        config = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: Docker configuration is not valid JSON") from exc
    if not isinstance(config, dict):
        raise RegistryError(f"{path}: Docker configuration is not a JSON object")
    return config


def _lookup_in(config: dict[str, object], path: Path, registry: str) -> CredentialLookup | None:
    wanted = {_normalise_key(k) for k in _host_keys(registry)}
    auths = config.get("auths")
    if isinstance(auths, dict):
        for key, entry in auths.items():
            if isinstance(key, str) and _normalise_key(key) in wanted:
                creds = _decode_entry(entry, path)
                if creds is not None:
                    return CredentialLookup(creds, str(path))
    helpers = config.get("credHelpers")
    helper: object = None
    if isinstance(helpers, dict):
        helper = next(
            (v for k, v in helpers.items() if isinstance(k, str) and _normalise_key(k) in wanted),
            None,
        )
    if helper is None:
        helper = config.get("credsStore")
    if isinstance(helper, str) and helper:
        return CredentialLookup(
            None,
            str(path),
            unsupported=f"credential helper 'docker-credential-{helper}' named in {path} "
            "is not supported; pass --username and --password-stdin",
        )
    return None


def lookup_credentials(
    registry: str,
    username: str | None,
    password: str | None,
    docker_config: Path | None,
) -> CredentialLookup:
    """Find credentials for ``registry``.

    In order: the options; an explicit Docker config (only that file); otherwise the Docker
    config (``$DOCKER_CONFIG`` or ``~/.docker``), then podman's ``auth.json`` files.
    """
    if username:
        return CredentialLookup(Credentials(username, password or ""), "--username")
    paths = [docker_config_path(docker_config)]
    if docker_config is None:
        paths.extend(containers_auth_paths())
    unsupported: CredentialLookup | None = None
    for path in paths:
        config = _read_config(path, required=docker_config is not None)
        if config is None:
            continue
        found = _lookup_in(config, path, registry)
        if found is not None and found.credentials is not None:
            return found
        unsupported = unsupported or found
    return unsupported or CredentialLookup(None, "no credentials")
