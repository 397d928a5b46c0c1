"""The admission webhook server: a lean ASGI app run by uvicorn over HTTPS.

Endpoints: ``POST /validate`` and ``POST /mutate`` (AdmissionReview v1), ``GET /healthz``,
``GET /readyz`` and ``GET /metrics`` (Prometheus text counters). Bodies are read up to
``max_request_bytes`` and no further (HTTP 413 beyond). Evaluation runs in a small thread
pool under the latency budget: when it does not finish in time the request is answered
by the failure policy and the worker's late result is discarded. No input can make a
handler raise: an unexpected error becomes a response following the failure policy.
Under the supervisor (:mod:`hardhull.admission.prefork`) each answered review ticks the
worker's :class:`~hardhull.admission.recycle.Recycler`, and SIGUSR1 retires the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import uvicorn

from hardhull.admission.config import AdmissionConfig
from hardhull.admission.engine import AdmissionEngine, Decision
from hardhull.admission.recycle import Recycler
from hardhull.admission.review import (
    Review,
    ReviewError,
    error_response,
    parse_review,
)
from hardhull.asgi import Receive, Scope, Send, read_body, reply

log = logging.getLogger("hardhull.admission")

_TEXT = [(b"content-type", b"text/plain; version=0.0.4")]
DRAIN_S = 1.0
_BUCKETS_MS = (1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 1000.0)


class Metrics:
    """Plain counters and a latency histogram, rendered in Prometheus text format."""

    def __init__(self) -> None:
        self.counters: dict[str, int] = {}
        self.buckets = [0] * len(_BUCKETS_MS)
        self.latency_sum_ms = 0.0
        self.latency_count = 0

    def inc(self, name: str, n: int = 1) -> None:
        """Add ``n`` to counter ``name`` (a metric name with optional labels)."""
        self.counters[name] = self.counters.get(name, 0) + n

    def observe(self, ms: float) -> None:
        """Record one request latency in milliseconds."""
        self.latency_sum_ms += ms
        self.latency_count += 1
        for i, bound in enumerate(_BUCKETS_MS):
            if ms <= bound:
                self.buckets[i] += 1

    def render(self) -> bytes:
        """The Prometheus exposition text."""
        lines = [f"{name} {value}" for name, value in sorted(self.counters.items())]
        for bound, count in zip(_BUCKETS_MS, self.buckets, strict=True):
            lines.append(f'hardhull_admission_latency_ms_bucket{{le="{bound:g}"}} {count}')
        lines.append(f'hardhull_admission_latency_ms_bucket{{le="+Inf"}} {self.latency_count}')
        lines.append(f"hardhull_admission_latency_ms_sum {self.latency_sum_ms:.3f}")
        lines.append(f"hardhull_admission_latency_ms_count {self.latency_count}")
        return ("\n".join(lines) + "\n").encode()


class AdmissionApp:
    """The ASGI application."""

    def __init__(
        self, engine: AdmissionEngine, *, workers: int = 4, recycler: Recycler | None = None
    ) -> None:
        self.engine = engine
        self.recycler = recycler
        self.uv_server: uvicorn.Server | None = None  # set by make_server
        self.max_body = engine.config.max_request_bytes
        self.metrics = Metrics()
        self.ready = False
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hardhull-adm")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        try:
            if path in ("/validate", "/mutate"):
                if method != "POST":
                    await reply(send, 405, b'{"error":"use POST","code":405}')
                    return
                await self._review(scope, receive, send, mutate=path == "/mutate")
            elif path == "/healthz":
                await reply(send, 200, b"ok", _TEXT)
            elif path == "/readyz":
                await reply(
                    send, 200 if self.ready else 503, b"ok" if self.ready else b"not ready", _TEXT
                )
            elif path == "/metrics":
                await reply(send, 200, self.metrics.render(), _TEXT)
            else:
                await reply(send, 404, b'{"error":"not found","code":404}')
        except Exception:  # never let a request take the server down
            log.exception("admission request failed")
            self.metrics.inc("hardhull_admission_internal_errors_total")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.ready = True
                if self.recycler is not None:
                    loop = asyncio.get_running_loop()
                    loop.add_signal_handler(signal.SIGUSR1, self._retire)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.ready = False
                self._pool.shutdown(wait=False, cancel_futures=True)
                self.engine.close()
                if self.engine.audit is not None:
                    self.engine.audit.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _retire(self) -> None:
        """SIGUSR1 from the supervisor, once the replacement worker is forked: stop
        accepting connections, keep serving the accepted ones for ``DRAIN_S`` (a client
        that has just connected gets its answer), then shut down (requests in flight
        finish, idle keep-alive connections are closed)."""
        self.ready = False
        server = self.uv_server
        if server is None:
            return
        for listener in getattr(server, "servers", []):
            with contextlib.suppress(Exception):
                listener.close()
        loop = asyncio.get_running_loop()
        loop.call_later(DRAIN_S, setattr, server, "should_exit", True)

    async def _review(self, scope: Scope, receive: Receive, send: Send, *, mutate: bool) -> None:
        start = time.perf_counter()
        endpoint = "mutate" if mutate else "validate"
        body = await read_body(scope, receive, self.max_body)
        if body is None:
            self.metrics.inc(
                f'hardhull_admission_requests_total{{endpoint="{endpoint}",result="too_large"}}'
            )
            msg = f'{{"error":"request body larger than {self.max_body} bytes","code":413}}'
            await reply(send, 413, msg.encode())
            return
        try:
            review = parse_review(body)
        except ReviewError as err:
            self.metrics.inc(
                f'hardhull_admission_requests_total{{endpoint="{endpoint}",result="bad_request"}}'
            )
            status, payload = error_response(err)
            await reply(send, status, payload)
            return
        decision = await self._decide(review, mutate)
        elapsed = time.perf_counter() - start
        try:
            self.engine.record(review, decision, endpoint, elapsed)
        except Exception:
            log.exception("audit log write failed")
            self.metrics.inc("hardhull_admission_audit_errors_total")
        result = "allowed" if decision.allowed else "denied"
        self.metrics.inc(
            f'hardhull_admission_requests_total{{endpoint="{endpoint}",result="{result}"}}'
        )
        if decision.note in ("budget-exceeded", "policy-error"):
            self.metrics.inc(f'hardhull_admission_failures_total{{reason="{decision.note}"}}')
        self.metrics.observe(elapsed * 1000.0)
        payload = decision.response(review.uid)
        await reply(send, 200, payload)
        if self.recycler is not None:
            self.recycler.tick()

    async def _decide(self, review: Review, mutate: bool) -> Decision:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, lambda: self.engine.decide(review, mutate=mutate))
        try:
            return await asyncio.wait_for(future, timeout=self.engine.budget_s)
        except TimeoutError:
            return self.engine.timeout_decision()
        except Exception as exc:  # decide() itself failed: a bug, answered by failure policy
            log.exception("admission evaluation failed")
            return self.engine.error_decision(f"internal error {type(exc).__name__}: {exc}")


def make_server(
    app: AdmissionApp, config: AdmissionConfig, *, log_level: str = "warning"
) -> uvicorn.Server:
    """A uvicorn server for ``app`` with TLS from ``config`` (plain HTTP without a cert)."""
    ssl: dict[str, Any] = {}
    if config.cert is not None and config.key is not None:
        ssl = {"ssl_certfile": str(config.cert), "ssl_keyfile": str(config.key)}
    uv_config = uvicorn.Config(
        app,
        host=config.address,
        port=config.port,
        lifespan="on",
        log_level=log_level,
        access_log=False,
        server_header=False,
        timeout_keep_alive=30,
        **ssl,
    )
    server = uvicorn.Server(uv_config)
    app.uv_server = server
    return server
