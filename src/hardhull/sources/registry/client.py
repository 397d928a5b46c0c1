"""A small synchronous client for the OCI distribution API, written on httpx.

It pings ``/v2/``, answers ``WWW-Authenticate`` challenges (Bearer tokens cached per scope,
Basic), fetches manifests and small blobs with size limits, and streams layer blobs.
One client serves every worker thread: httpx's pool is thread-safe and the token cache is
guarded by a lock.
"""

from __future__ import annotations

import io
import itertools
import os
import ssl
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import httpx

from hardhull.errors import RegistryError
from hardhull.sources.base import Progress, SourceOptions
from hardhull.sources.registry.auth import (
    Challenge,
    CredentialLookup,
    lookup_credentials,
    parse_challenges,
)
from hardhull.sources.registry.errors import status_error, transport_error
from hardhull.sources.registry.reference import Reference

_TIMEOUT = httpx.Timeout(30.0, connect=15.0)
_MAX_TOKEN_ANSWER = 1024 * 1024
_CERT_DIRS = (Path("/etc/containers/certs.d"), Path("/etc/docker/certs.d"))
_USER_AGENT = "hardhull"
_CHUNK = 1024 * 1024
_counter = itertools.count()


@dataclass(frozen=True, slots=True)
class Fetched:
    """A small document fetched whole: its bytes and the headers that describe it."""

    body: bytes
    content_type: str | None
    digest_header: str | None


def _ssl_context(host: str) -> ssl.SSLContext:
    """Default trust (``SSL_CERT_FILE``/``SSL_CERT_DIR`` honoured) plus per-host CA dirs."""
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = os.environ.get("SSL_CERT_DIR") or None
    if cafile or capath:
        ctx = ssl.create_default_context(cafile=cafile, capath=capath)
    else:
        ctx = ssl.create_default_context()
        try:
            import certifi

            ctx.load_verify_locations(cafile=certifi.where())
        except (ImportError, OSError, ssl.SSLError):
            pass
    for base in _CERT_DIRS:
        folder = base / host
        if folder.is_dir():
            for crt in sorted(folder.glob("*.crt")):
                try:
                    ctx.load_verify_locations(cafile=str(crt))
                except (OSError, ssl.SSLError) as exc:
                    raise RegistryError(f"{crt}: not a usable CA certificate ({exc})") from exc
    return ctx


class RegistryClient:
    """Talks to one registry about one repository."""

    def __init__(self, ref: Reference, options: SourceOptions) -> None:
        self.ref = ref
        self.host = ref.api_host
        self.options = options
        self.scope = f"repository:{ref.repository}:pull"
        verify: ssl.SSLContext | bool = False if options.insecure else _ssl_context(self.host)
        self._http = httpx.Client(
            verify=verify,
            timeout=_TIMEOUT,
            follow_redirects=True,
            max_redirects=10,
            headers={"User-Agent": _USER_AGENT},
            limits=httpx.Limits(max_connections=max(4, options.workers * 2)),
        )
        weakref.finalize(self, self._http.close)
        self.base = f"https://{self.host}"
        self._lock = threading.Lock()
        self._auth: dict[str, str] = {}
        self._challenge: Challenge | None = None
        self._creds: CredentialLookup | None = None

    def close(self) -> None:
        """Close the connection pool (open blob streams stop working)."""
        self._http.close()

    # -- connection and authentication -------------------------------------------------

    def ping(self) -> None:
        """``GET /v2/``: choose http or https, learn the auth challenge, check it's a registry."""
        schemes = ("https", "http") if self.options.insecure else ("https",)
        last: httpx.HTTPError | None = None
        for scheme in schemes:
            try:
                response = self._http.get(f"{scheme}://{self.host}/v2/")
            except (httpx.ConnectError, httpx.RemoteProtocolError) as exc:
                last = exc
                continue
            except httpx.HTTPError as exc:
                raise transport_error(exc, self.host, "the API root /v2/") from exc
            self.base = f"{scheme}://{self.host}"
            if response.status_code == 401:
                self._challenge = self._pick_challenge(response)
                return
            if response.status_code == 200:
                return
            if response.status_code == 404:
                raise RegistryError(
                    f"{self.host} does not serve the registry API (GET /v2/ answered 404)"
                )
            raise status_error(response, self.host, "the API root /v2/", had_credentials=False)
        assert last is not None
        raise transport_error(last, self.host, "the API root /v2/") from last

    def _pick_challenge(self, response: httpx.Response) -> Challenge | None:
        found = parse_challenges(", ".join(response.headers.get_list("www-authenticate")))
        for wanted in ("bearer", "basic"):
            for challenge in found:
                if challenge.scheme == wanted:
                    return challenge
        return None

    def _credentials(self) -> CredentialLookup:
        if self._creds is None:
            o = self.options
            self._creds = lookup_credentials(
                self.ref.registry, o.username, o.password, o.docker_config
            )
        return self._creds

    def _authorize(self, scope: str, challenge: Challenge) -> str:
        """An ``Authorization`` header value for ``scope`` under ``challenge``."""
        lookup = self._credentials()
        creds = lookup.credentials
        if challenge.scheme == "basic":
            if creds is None:
                hint = lookup.unsupported or "pass --username and --password-stdin"
                raise RegistryError(
                    f"registry {self.host} requires a user name and password for "
                    f"{self.ref.repository}",
                    hint=hint,
                )
            return creds.basic()
        if challenge.scheme != "bearer":
            raise RegistryError(
                f"registry {self.host} asks for unsupported authentication {challenge.scheme!r}"
            )
        realm = challenge.get("realm")
        if not realm or not realm.startswith(("https://", "http://")):
            raise RegistryError(f"registry {self.host} sent a Bearer challenge without a realm")
        params: dict[str, str] = {"scope": challenge.get("scope") or scope}
        service = challenge.get("service")
        if service:
            params["service"] = service
        headers: dict[str, str] = {}
        if creds is not None:
            if realm.startswith("http://") and not self.options.insecure:
                raise RegistryError(
                    f"registry {self.host} wants credentials sent to a plain-HTTP token "
                    "service; refusing",
                    hint="pass --insecure if that is really intended",
                )
            headers["Authorization"] = creds.basic()
            params["account"] = creds.username
        what = f"a token for {self.ref.repository}"
        try:
            with self._http.stream("GET", realm, params=params, headers=headers) as response:
                if response.status_code != 200:
                    if response.status_code in (401, 403) and creds is None:
                        hint = lookup.unsupported or "pass --username and --password-stdin"
                        raise RegistryError(
                            f"registry {self.host} requires authentication to pull "
                            f"{self.ref.repository}",
                            hint=hint,
                        )
                    raise status_error(response, self.host, what, had_credentials=creds is not None)
                body = self._read_limited(response, _MAX_TOKEN_ANSWER, what)
        except httpx.HTTPError as exc:
            raise transport_error(exc, self.host, what) from exc
        token = _token_from(body)
        if token is None:
            raise RegistryError(f"the token service of registry {self.host} sent no token")
        return f"Bearer {token}"

    def _auth_header(self, scope: str, challenge: Challenge) -> str:
        key = "basic" if challenge.scheme == "basic" else scope
        with self._lock:
            cached = self._auth.get(key)
            if cached is None:
                cached = self._authorize(scope, challenge)
                self._auth[key] = cached
            return cached

    def _forget(self, scope: str) -> None:
        with self._lock:
            self._auth.pop(scope, None)
            self._auth.pop("basic", None)

    def _send(self, path: str, what: str, accept: str | None = None) -> httpx.Response:
        """GET ``path`` (streamed) with authentication; returns a 200 response or raises."""
        url = f"{self.base}{path}"
        headers = {"Accept-Encoding": "identity"}
        if accept:
            headers["Accept"] = accept
        for attempt in range(2):
            sent_auth = False
            if self._challenge is not None:
                headers["Authorization"] = self._auth_header(self.scope, self._challenge)
                sent_auth = True
            try:
                response = self._http.send(
                    self._http.build_request("GET", url, headers=headers), stream=True
                )
            except httpx.HTTPError as exc:
                raise transport_error(exc, self.host, what) from exc
            if response.status_code == 200:
                return response
            if response.status_code == 401 and attempt == 0:
                challenge = self._pick_challenge(response)
                if challenge is not None:
                    response.close()
                    if sent_auth:
                        self._forget(self.scope)
                    self._challenge = challenge
                    continue
            try:
                had = sent_auth and self._credentials().credentials is not None
                raise status_error(response, self.host, what, had_credentials=had)
            finally:
                response.close()
        raise RegistryError(f"registry {self.host} kept refusing authentication for {what}")

    # -- documents and blobs -------------------------------------------------------------

    def _read_limited(self, response: httpx.Response, limit: int, what: str) -> bytes:
        length = response.headers.get("content-length")
        if length and length.isdigit() and int(length) > limit:
            raise RegistryError(
                f"registry {self.host} announced {int(length)} bytes for {what}, "
                f"over the {limit}-byte limit"
            )
        parts: list[bytes] = []
        total = 0
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > limit:
                raise RegistryError(f"registry {self.host} sent more than {limit} bytes for {what}")
            parts.append(chunk)
        return b"".join(parts)

    def fetch(self, path: str, what: str, limit: int, accept: str | None = None) -> Fetched:
        """GET a small document whole (at most ``limit`` bytes)."""
        response = self._send(path, what, accept)
        try:
            body = self._read_limited(response, limit, what)
        except httpx.HTTPError as exc:
            raise transport_error(exc, self.host, what) from exc
        finally:
            response.close()
        ctype = response.headers.get("content-type")
        return Fetched(
            body,
            ctype.split(";", 1)[0].strip() if ctype else None,
            response.headers.get("docker-content-digest"),
        )

    def manifest(self, reference: str, accept: str) -> Fetched:
        """The manifest (or index) that ``reference`` (a tag or digest) names."""
        from hardhull.sources.registry.manifest import MAX_MANIFEST

        what = f"manifest {self.ref.repository}:{reference}"
        if reference.startswith("sha"):
            what = f"manifest {self.ref.repository}@{reference}"
        return self.fetch(
            f"/v2/{self.ref.repository}/manifests/{reference}", what, MAX_MANIFEST, accept
        )

    def blob(self, digest: str, limit: int, what: str) -> bytes:
        """A small blob (the image config) fetched whole."""
        return self.fetch(f"/v2/{self.ref.repository}/blobs/{digest}", what, limit).body

    def open_blob(self, digest: str, size: int, progress: Progress) -> BinaryIO:
        """A streaming, buffered reader of a layer blob; checks its length as it reads."""
        what = f"layer {digest} of {self.ref.repository}"
        response = self._send(f"/v2/{self.ref.repository}/blobs/{digest}", what)
        length = response.headers.get("content-length")
        if length and length.isdigit() and int(length) != size:
            response.close()
            raise RegistryError(
                f"registry {self.host} sends {length} bytes for {what}; the manifest says {size}"
            )
        key = f"{digest}#{next(_counter)}"
        progress.start(key, f"pull {digest.split(':', 1)[-1][:12]}", size)
        raw = _BlobStream(response, size, what, self.host, progress, key)
        return io.BufferedReader(raw, buffer_size=_CHUNK)


def _token_from(body: bytes) -> str | None:
    import json

    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(doc, dict):
        return None
    for key in ("token", "access_token"):
        value = doc.get(key)
        if isinstance(value, str) and value and value.isprintable():
            return value
    return None


class _BlobStream(io.RawIOBase):
    """The raw bytes of one blob response, with progress and an exact-length check."""

    def __init__(
        self,
        response: httpx.Response,
        size: int,
        what: str,
        host: str,
        progress: Progress,
        key: str,
    ) -> None:
        super().__init__()
        self._response = response
        self._chunks: Iterator[bytes] = response.iter_raw()
        self._size = size
        self._what = what
        self._host = host
        self._progress = progress
        self._key = key
        self._buf = memoryview(b"")
        self._got = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, b: memoryview | bytearray) -> int:  # type: ignore[override]
        while not self._buf:
            if self._done:
                return 0
            try:
                chunk = next(self._chunks)
            except StopIteration:
                self._done = True
                if self._got != self._size:
                    raise RegistryError(
                        f"registry {self._host} ended {self._what} after {self._got} of "
                        f"{self._size} bytes"
                    ) from None
                self._finish()
                return 0
            except httpx.HTTPError as exc:
                raise transport_error(exc, self._host, self._what) from exc
            self._got += len(chunk)
            if self._got > self._size:
                raise RegistryError(
                    f"registry {self._host} sent more than the {self._size} bytes of {self._what}"
                )
            self._buf = memoryview(chunk)
            self._progress.advance(self._key, len(chunk))
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def _finish(self) -> None:
        if self._key:
            self._progress.finish(self._key)
            self._key = ""

    def close(self) -> None:
        if not self.closed:
            self._response.close()
            self._finish()
        super().close()
