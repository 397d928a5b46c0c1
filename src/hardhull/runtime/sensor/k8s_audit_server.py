"""An HTTPS endpoint for the Kubernetes API server's audit webhook backend.

The API server (``--audit-webhook-config-file``) POSTs ``audit.k8s.io/v1`` ``EventList``
documents as JSON. This server:

* listens with TLS (``cert``/``key``); plain HTTP only with ``insecure_http=True``;
* authenticates every request: a bearer token (compared in constant time) and/or a client
  certificate signed by ``client_ca`` (checked in the TLS handshake: with ``client_ca``
  set, a client without a valid certificate cannot connect at all). At least one of the
  two is required unless ``allow_unauthenticated=True``. The token is never logged;
* reads bodies up to ``max_body`` bytes (413 beyond), answers 400 to a body that is not an
  Event/EventList (counted), 401 without a valid token, 503 when the queue has no room for
  the whole batch (the API server retries; the batch is counted as lost), else 200;
* hands events to a bounded queue that :class:`K8sAuditWebhookSensor` yields from.

``POST <path>`` (default ``/k8s-audit``), ``GET /healthz``, ``GET /metrics``.
"""

from __future__ import annotations

import hmac
import logging
import os
import queue
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from hardhull.asgi import JSON_HEADERS, Receive, Scope, Send, listen_socket, read_body, reply
from hardhull.errors import SensorError
from hardhull.model.event import Event
from hardhull.runtime.sensor.base import SensorStats
from hardhull.runtime.sensor.k8s_audit import AuditDecoder, AuditRecordError

log = logging.getLogger("hardhull.runtime.k8s_audit")

_TEXT = [(b"content-type", b"text/plain; version=0.0.4")]


@dataclass(frozen=True, slots=True)
class AuditWebhookConfig:
    """Where and how to listen. ``token`` is excluded from ``repr`` (never logged)."""

    address: str = "127.0.0.1"
    port: int = 9765
    path: str = "/k8s-audit"
    cert: Path | None = None
    key: Path | None = None
    client_ca: Path | None = None
    token: str | None = field(default=None, repr=False)
    max_body: int = 16 << 20
    queue_size: int = 100_000
    all_stages: bool = False
    insecure_http: bool = False
    allow_unauthenticated: bool = False

    def check(self) -> None:
        """Raise :class:`SensorError` for an unsafe or incomplete configuration."""
        if (self.cert is None) != (self.key is None):
            raise SensorError("audit webhook: give both a TLS certificate and its key")
        if self.cert is None and not self.insecure_http:
            raise SensorError(
                "audit webhook: no TLS certificate", hint="give --tls-cert and --tls-key"
            )
        if self.client_ca is not None and self.cert is None:
            raise SensorError("audit webhook: client certificates need TLS (--tls-cert)")
        if not self.token and self.client_ca is None and not self.allow_unauthenticated:
            raise SensorError(
                "audit webhook: no authentication configured",
                hint="give a bearer token file/env variable or a client CA",
            )
        for name, path in (("cert", self.cert), ("key", self.key), ("client CA", self.client_ca)):
            if path is not None and not Path(path).is_file():
                raise SensorError(f"audit webhook: {name} file {path} not found")


def load_token(token_file: str | Path | None = None, token_env: str | None = None) -> str | None:
    """The bearer token from a file (first line) or an environment variable; ``None`` when
    neither is given. Errors never include the token."""
    if token_file is not None:
        try:
            text = Path(token_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise SensorError(f"{token_file}: cannot read token file ({exc.strerror})") from exc
        token = text.strip().splitlines()[0].strip() if text.strip() else ""
        if not token:
            raise SensorError(f"{token_file}: token file is empty")
        return token
    if token_env is not None:
        token = os.environ.get(token_env, "").strip()
        if not token:
            raise SensorError(f"environment variable {token_env} is not set or empty")
        return token
    return None


class AuditWebhookApp:
    """The ASGI application. Never raises out of a request."""

    def __init__(self, config: AuditWebhookConfig, sink: queue.Queue[Event]) -> None:
        self.config = config
        self.sink = sink
        self.decoder = AuditDecoder(all_stages=config.all_stages)
        self._token = config.token.encode() if config.token else None
        self.counters: dict[str, int] = {}
        self.lost = 0

    def inc(self, result: str, n: int = 1) -> None:
        self.counters[result] = self.counters.get(result, 0) + n

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        try:
            await self._route(scope, receive, send)
        except Exception:  # never let a request take the server down
            log.exception("audit webhook request failed")
            self.inc("internal_error")

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, method = scope["path"], scope["method"]
        if path == self.config.path:
            if method != "POST":
                await reply(send, 405, b'{"error":"use POST","code":405}')
                return
            await self._post(scope, receive, send)
        elif path == "/healthz":
            await reply(send, 200, b"ok", _TEXT)
        elif path == "/metrics":
            await reply(send, 200, self.render_metrics(), _TEXT)
        else:
            await reply(send, 404, b'{"error":"not found","code":404}')

    def _authorized(self, scope: Scope) -> bool:
        if self._token is None:
            return True
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, given = bytes(value).partition(b" ")
                if scheme.lower() == b"bearer":
                    return hmac.compare_digest(given.strip(), self._token)
        return False

    async def _post(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._authorized(scope):
            self.inc("unauthorized")
            await reply(
                send,
                401,
                b'{"error":"unauthorized","code":401}',
                [*JSON_HEADERS, (b"www-authenticate", b'Bearer realm="hardhull"')],
            )
            return
        body = await read_body(scope, receive, self.config.max_body)
        if body is None:
            self.inc("too_large")
            await reply(send, 413, b'{"error":"request body too large","code":413}')
            return
        try:
            events = self.decoder.decode_body(body)
        except AuditRecordError:
            self.inc("bad_request")
            await reply(send, 400, b'{"error":"expected an audit.k8s.io/v1 EventList","code":400}')
            return
        room = self.sink.maxsize - self.sink.qsize() if self.sink.maxsize > 0 else len(events)
        if len(events) > room:
            self.lost += len(events)
            self.inc("busy")
            await reply(send, 503, b'{"error":"event queue full, retry later","code":503}')
            return
        for event in events:
            self.sink.put_nowait(event)
        self.inc("accepted")
        await reply(send, 200, b"{}")

    def render_metrics(self) -> bytes:
        lines = [
            f'hardhull_k8s_audit_requests_total{{result="{k}"}} {v}'
            for k, v in sorted(self.counters.items())
        ]
        d = self.decoder
        lines += [
            f"hardhull_k8s_audit_events_received_total {d.received}",
            f"hardhull_k8s_audit_records_malformed_total {d.malformed}",
            f"hardhull_k8s_audit_records_filtered_total {d.filtered}",
            f"hardhull_k8s_audit_events_lost_total {self.lost}",
        ]
        return ("\n".join(lines) + "\n").encode()


class K8sAuditWebhookSensor:
    """Runs the webhook server in a thread; :meth:`events` yields what it receives until
    :meth:`close`. ``port=0`` picks a free port (see :attr:`port` after :meth:`start`)."""

    name = "k8s_audit_webhook"

    def __init__(self, config: AuditWebhookConfig, *, log_level: str = "warning") -> None:
        config.check()
        self.config = config
        self.queue: queue.Queue[Event] = queue.Queue(maxsize=config.queue_size)
        self.app = AuditWebhookApp(config, self.queue)
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._closed = threading.Event()
        self.port = config.port

    def start(self, timeout_s: float = 10.0) -> None:
        """Bind, start serving, and wait until the server accepts connections."""
        cfg = self.config
        try:
            sock = listen_socket(cfg.address, cfg.port)
        except OSError as exc:
            raise SensorError(
                f"audit webhook: cannot listen on {cfg.address}:{cfg.port} ({exc.strerror})"
            ) from exc
        self._sock = sock
        self.port = sock.getsockname()[1]
        tls: dict[str, Any] = {}
        if cfg.cert is not None and cfg.key is not None:
            tls = {"ssl_certfile": str(cfg.cert), "ssl_keyfile": str(cfg.key)}
            if cfg.client_ca is not None:
                tls["ssl_ca_certs"] = str(cfg.client_ca)
                tls["ssl_cert_reqs"] = ssl.CERT_REQUIRED
        uv = uvicorn.Config(
            self.app,
            lifespan="on",
            log_level=self._log_level,
            access_log=False,
            server_header=False,
            timeout_keep_alive=30,
            **tls,
        )
        try:
            uv.load()  # TLS files are read here: bad ones become one clear error
        except (OSError, ssl.SSLError) as exc:
            sock.close()
            raise SensorError(f"audit webhook: cannot load TLS files ({exc})") from exc
        self._server = uvicorn.Server(uv)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            daemon=True,
            name="hardhull-k8s-audit",
        )
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.close()
                raise SensorError("audit webhook: the server did not start")
            time.sleep(0.01)

    def events(self) -> Iterator[Event]:
        if self._server is None:
            self.start()
        while not self._closed.is_set():
            try:
                yield self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
        while True:  # drain what was accepted before close
            try:
                yield self.queue.get_nowait()
            except queue.Empty:
                return

    def stats(self) -> SensorStats:
        d = self.app.decoder
        bad = self.app.counters.get("bad_request", 0)
        note = f"{self.app.counters.get('unauthorized', 0)} unauthorized requests"
        if d.filtered:
            note += f", {d.filtered} records of other stages skipped"
        return SensorStats(
            received=d.received - self.app.lost,
            lost=self.app.lost,
            malformed=d.malformed + bad,
            note=note,
        )

    def close(self) -> None:
        self._closed.set()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()
