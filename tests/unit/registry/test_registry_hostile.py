"""The registry client against a small misbehaving HTTP server on 127.0.0.1.

A real registry never answers 500, garbage, lies about digests or truncates blobs, so
this server does, on purpose: each repository name selects one kind of misbehaviour.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hardhull.errors import DigestMismatchError, RegistryError, SourceError
from hardhull.sources.base import SourceOptions
from hardhull.sources.registry import resolve_registry

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
LAYER = b"pretend this is a gzip layer" * 100
LAYER_DIGEST = "sha256:" + hashlib.sha256(LAYER).hexdigest()
CONFIG = json.dumps(
    {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["A=1"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "d" * 64]},
        "history": [{"created_by": "COPY x /"}],
    }
).encode()
CONFIG_DIGEST = "sha256:" + hashlib.sha256(CONFIG).hexdigest()
BAD_CONFIG = b"this is not json"
BAD_CONFIG_DIGEST = "sha256:" + hashlib.sha256(BAD_CONFIG).hexdigest()


def manifest(config_digest: str = CONFIG_DIGEST, size: int = len(LAYER), **over: object) -> bytes:
    doc: dict[str, object] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": len(CONFIG),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": LAYER_DIGEST,
                "size": size,
            }
        ],
    }
    doc.update(over)
    return json.dumps(doc).encode()


GOOD = manifest()
GOOD_DIGEST = "sha256:" + hashlib.sha256(GOOD).hexdigest()


@dataclass
class Hostile:
    """Server state the tests may change: the ping answer and the token answer."""

    port: int = 0
    ping: str = "open"  # open | bearer | bare401 | notregistry
    token_answer: bytes = b'{"access_token": "tok-123"}'
    seen_auth: list[str] = field(default_factory=list)


def _handler(state: Hostile) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return None

        def _send(self, status: int, body: bytes, ctype: str = "application/json",
                  headers: dict[str, str] | None = None) -> None:  # fmt: skip
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _chunked(self, parts: Iterator[bytes]) -> None:
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for part in parts:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def do_GET(self) -> None:
            path = self.path
            auth = self.headers.get("Authorization", "")
            if path.startswith("/token"):
                self._send(200, state.token_answer)
                return
            challenged = path == "/v2/" or "/manifests/" in path
            if state.ping == "bearer" and auth != "Bearer tok-123" and challenged:
                realm = f"http://127.0.0.1:{state.port}/token"
                self._send(401, b"{}", headers={
                    "WWW-Authenticate": f'Bearer realm="{realm}",service="hostile"'
                })  # fmt: skip
                return
            if auth:
                state.seen_auth.append(auth)
            if path == "/v2/":
                if state.ping == "bare401":
                    self._send(401, b"{}")
                elif state.ping == "notregistry":
                    self._send(404, b"<html>not here</html>", "text/html")
                else:
                    self._send(200, b"{}")
                return
            parts = path.split("/")
            if len(parts) < 5 or parts[1] != "v2":
                if path == f"/storage/{LAYER_DIGEST}":
                    self._send(200, LAYER, "application/octet-stream")
                    return
                self._send(404, b"{}")
                return
            repo, kind, ref = parts[2], parts[3], parts[4]
            self._route(repo, kind, ref)

        def _route(self, repo: str, kind: str, ref: str) -> None:
            if kind == "blobs":
                self._blob(repo, ref)
                return
            if repo == "broken":
                err = {"errors": [{"code": "UNKNOWN", "message": "database on fire\nreally"}]}
                self._send(500, json.dumps(err).encode())
            elif repo == "limited":
                self._send(429, b"{}")
            elif repo == "garbage":
                self._send(200, b"<html>hello</html>", OCI_MANIFEST)
            elif repo == "schema1":
                self._send(200, b'{"schemaVersion": 1, "name": "x", "fsLayers": []}',
                           "application/vnd.docker.distribution.manifest.v1+prettyjws")  # fmt: skip
            elif repo == "huge":
                self._chunked(b"x" * 65536 for _ in range(100))
            elif repo == "liar":
                self._send(200, GOOD, OCI_MANIFEST, {"Docker-Content-Digest": "sha256:" + "0" * 64})
            elif repo == "badconfig":
                self._send(200, manifest(config_digest=BAD_CONFIG_DIGEST), OCI_MANIFEST)
            elif repo == "wrongconfig":
                self._send(200, manifest(config_digest="sha256:" + "e" * 64), OCI_MANIFEST)
            elif repo == "sizelie":
                self._send(200, manifest(size=len(LAYER) + 1), OCI_MANIFEST)
            elif repo == "artifact":
                self._send(200, manifest(config={
                    "mediaType": "application/vnd.cncf.helm.config.v1+json",
                    "digest": CONFIG_DIGEST, "size": 1}), OCI_MANIFEST)  # fmt: skip
            else:  # good, truncated, overlong, redirect
                self._send(200, GOOD, OCI_MANIFEST, {"Docker-Content-Digest": GOOD_DIGEST})

        def _blob(self, repo: str, digest: str) -> None:
            if digest == CONFIG_DIGEST:
                self._send(200, CONFIG)
            elif digest == BAD_CONFIG_DIGEST:
                self._send(200, BAD_CONFIG)
            elif digest != LAYER_DIGEST:
                err = {"errors": [{"code": "BLOB_UNKNOWN", "message": "blob unknown"}]}
                self._send(404, json.dumps(err).encode())
            elif repo == "truncated":
                self._chunked(iter([LAYER[:100]]))
            elif repo == "overlong":
                self._chunked(iter([LAYER, b"more"]))
            elif repo == "redirect":
                self.send_response(307)
                self.send_header("Location", f"/storage/{LAYER_DIGEST}")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._send(200, LAYER, "application/octet-stream")

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        return None  # clients hang up on purpose (oversized answers, TLS probes)


@pytest.fixture(scope="module")
def server() -> Iterator[Hostile]:
    state = Hostile()
    httpd = _QuietServer(("127.0.0.1", 0), _handler(state))
    state.port = int(httpd.server_address[1])
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def hostile(server: Hostile) -> Iterator[Hostile]:
    server.ping = "open"
    server.token_answer = b'{"access_token": "tok-123"}'
    server.seen_auth.clear()
    yield server


def _resolve(state: Hostile, repo: str, tmp_path: Path, ref: str = "1") -> object:
    sep = "@" if ref.startswith("sha256:") else ":"
    target = f"127.0.0.1:{state.port}/{repo}{sep}{ref}"
    return resolve_registry(target, SourceOptions(insecure=True), tmp_path)


def _read(image: object) -> bytes:
    from hardhull.sources.base import ResolvedImage

    assert isinstance(image, ResolvedImage)
    with image.layers[0].open() as fh:
        return fh.read()


@pytest.mark.parametrize("repo", ["good", "redirect"])
def test_good_image_streams(hostile: Hostile, tmp_path: Path, repo: str) -> None:
    image = _resolve(hostile, repo, tmp_path)
    assert _read(image) == LAYER
    assert list(tmp_path.iterdir()) == []


def test_pinned_digest_is_checked(hostile: Hostile, tmp_path: Path) -> None:
    _resolve(hostile, "good", tmp_path, GOOD_DIGEST)
    with pytest.raises(DigestMismatchError, match="does not match its digest"):
        _resolve(hostile, "good", tmp_path, "sha256:" + "1" * 64)


@pytest.mark.parametrize(
    ("repo", "error", "needle"),
    [
        ("broken", RegistryError, r"failed with HTTP 500 .*database on fire really"),
        ("limited", RegistryError, "rate-limiting"),
        ("garbage", RegistryError, "not JSON"),
        ("schema1", RegistryError, "schema 1"),
        ("huge", RegistryError, "more than 4194304 bytes"),
        ("liar", DigestMismatchError, "but the registry says"),
        ("badconfig", SourceError, "not valid JSON"),
        ("wrongconfig", RegistryError, "BLOB_UNKNOWN"),
        ("sizelie", RegistryError, "the manifest says"),
        ("artifact", RegistryError, "not a container image"),
    ],
)
def test_misbehaviour_is_one_clear_error(
    hostile: Hostile, tmp_path: Path, repo: str, error: type[Exception], needle: str
) -> None:
    def attempt() -> None:
        _read(_resolve(hostile, repo, tmp_path))

    with pytest.raises(error, match=needle) as err:
        attempt()
    text = str(err.value)
    assert "\n" not in text
    assert f"127.0.0.1:{hostile.port}" in text or repo in text


@pytest.mark.parametrize(
    ("repo", "needle"), [("truncated", "after 100 of"), ("overlong", "sent more than")]
)
def test_layer_length_is_enforced(hostile: Hostile, tmp_path: Path, repo: str, needle: str) -> None:
    image = _resolve(hostile, repo, tmp_path)
    with pytest.raises(RegistryError, match=needle):
        _read(image)


def test_bearer_with_access_token_field(hostile: Hostile, tmp_path: Path) -> None:
    hostile.ping = "bearer"
    assert _read(_resolve(hostile, "good", tmp_path)) == LAYER
    assert set(hostile.seen_auth) == {"Bearer tok-123"}


def test_token_service_without_token(hostile: Hostile, tmp_path: Path) -> None:
    hostile.ping = "bearer"
    hostile.token_answer = b'{"nothing": "here"}'
    with pytest.raises(RegistryError, match="sent no token"):
        _resolve(hostile, "good", tmp_path)


def test_unauthorised_without_challenge(
    hostile: Hostile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile.ping = "bare401"
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "nothing"))
    # /v2/ says 401 without a challenge, the manifest itself is served: that works.
    assert _read(_resolve(hostile, "good", tmp_path)) == LAYER


def test_not_a_registry(hostile: Hostile, tmp_path: Path) -> None:
    hostile.ping = "notregistry"
    with pytest.raises(RegistryError, match="does not serve the registry API"):
        _resolve(hostile, "good", tmp_path)
