"""Real ``docker-registry`` servers on 127.0.0.1 for tests, plus what they need.

* :func:`start_registry` runs ``docker-registry serve`` with filesystem storage in a temp
  dir on a free port, optionally with TLS (a CA made by :func:`make_tls`) and with
  ``htpasswd`` or ``token`` auth.
* :class:`TokenServer` is a small token service in the test process: it checks Basic
  credentials and issues RS256 JWTs with an ``x5c`` header that the registry verifies
  against the root bundle it was given (the real Bearer flow).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import secrets
import socket
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.support.imagekit import require

ISSUER = "hardhull-test-issuer"
SERVICE = "hardhull-test-registry"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class TlsFiles:
    """A CA certificate and a server certificate/key it signed (for 127.0.0.1/localhost)."""

    ca: Path
    cert: Path
    key: Path


def _name(cn: str):  # type: ignore[no-untyped-def]
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_tls(folder: Path) -> TlsFiles:
    """Generate a CA and a server certificate for ``127.0.0.1`` and ``localhost``
    (with :mod:`hardhull.admission.certs`, the webhook's own generator)."""
    from hardhull.admission.certs import make_ca, make_serving_cert

    folder.mkdir(parents=True, exist_ok=True)
    ca = make_ca("hardhull test CA", days=2)
    pair = make_serving_cert(ca, ["localhost"], ["127.0.0.1"], days=2)
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    files.ca.write_bytes(ca.cert_pem)
    files.cert.write_bytes(pair.cert_pem)
    files.key.write_bytes(pair.key_pem)
    return files


def htpasswd(users: dict[str, str]) -> str:
    """An htpasswd file body with bcrypt entries (the only kind the registry accepts)."""
    import bcrypt

    lines = []
    for user, password in users.items():
        hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
        lines.append(f"{user}:{hashed}")
    return "\n".join(lines) + "\n"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenServer:
    """A token service: Basic credentials in, RS256 JWT with ``x5c`` out.

    ``anonymous_pull`` lets requests without credentials get pull access. ``requests``
    counts the token requests per scope (to check that clients cache tokens).
    """

    folder: Path
    users: dict[str, str]
    anonymous_pull: bool = False
    requests: Counter[str] = field(default_factory=Counter)
    port: int = 0

    def __post_init__(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.folder.mkdir(parents=True, exist_ok=True)
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name("hardhull token signer"))
            .issuer_name(_name("hardhull token signer"))
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .sign(self._key, hashes.SHA256())
        )
        self.rootcertbundle = self.folder / "token-root.pem"
        self.rootcertbundle.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self._x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def issue(self, subject: str, scopes: list[str], writable: bool) -> str:
        """A signed JWT granting ``scopes`` (pull only unless ``writable``)."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            wanted = [a for a in actions.split(",") if a]
            granted = wanted if writable else [a for a in wanted if a == "pull"]
            access.append({"type": kind, "name": name, "actions": granted})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self._x5c]}
        claims = {
            "iss": ISSUER,
            "sub": subject,
            "aud": SERVICE,
            "exp": now + 600,
            "nbf": now - 30,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        signing_input = (
            _b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(claims).encode())
        )
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + _b64url(signature)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return None

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                scopes = query.get("scope", [])
                for scope in scopes or [""]:
                    server.requests[scope] += 1
                user = None
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    raw = base64.b64decode(auth[6:]).decode()
                    name, _, password = raw.partition(":")
                    if server.users.get(name) != password:
                        self._send(401, {"details": "bad credentials"})
                        return
                    user = name
                elif not server.anonymous_pull:
                    self._send(401, {"details": "credentials required"})
                    return
                token = server.issue(user or "", scopes, writable=user is not None)
                # Alternate the field name: clients must accept both.
                key = "access_token" if user is None else "token"
                self._send(200, {key: token, "expires_in": 600})

            def _send(self, status: int, doc: dict[str, object]) -> None:
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


@dataclass
class RegistryServer:
    """A running ``docker-registry``; ``host`` is ``127.0.0.1:PORT``."""

    host: str
    root: Path
    process: subprocess.Popen[bytes]
    tls: TlsFiles | None = None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_registry(
    root: Path,
    *,
    tls: TlsFiles | None = None,
    htpasswd_users: dict[str, str] | None = None,
    token: TokenServer | None = None,
) -> RegistryServer:
    """Start ``docker-registry serve`` on a free port with storage under ``root``."""
    require("docker-registry")
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    http: dict[str, object] = {"addr": f"127.0.0.1:{port}", "secret": secrets.token_hex(16)}
    if tls is not None:
        http["tls"] = {"certificate": str(tls.cert), "key": str(tls.key)}
    config: dict[str, object] = {
        "version": 0.1,
        "log": {"level": "error", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(root / "data")}},
        "http": http,
    }
    if htpasswd_users is not None:
        path = root / "htpasswd"
        path.write_text(htpasswd(htpasswd_users))
        config["auth"] = {"htpasswd": {"realm": "hardhull-test", "path": str(path)}}
    elif token is not None:
        config["auth"] = {
            "token": {
                "realm": token.realm,
                "service": SERVICE,
                "issuer": ISSUER,
                "rootcertbundle": str(token.rootcertbundle),
            }
        }
    config_path = root / "config.yml"
    config_path.write_text(json.dumps(config, indent=1))
    log = (root / "registry.log").open("wb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    process = subprocess.Popen(
        ["docker-registry", "serve", str(config_path)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    log.close()
    server = RegistryServer(f"127.0.0.1:{port}", root, process, tls)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"docker-registry exited: {(root / 'registry.log').read_text()[-2000:]}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError("docker-registry did not start listening within 20 s")
