"""Alert outputs: JSON lines, a webhook, syslog; deduplication and rate limits.

Every sink implements :class:`AlertSink` (``emit(alert)``, ``close()``) and never raises
on a delivery problem: it counts it (``stats()``) and goes on, so a broken output cannot
stop the watcher. :class:`RateLimiter` wraps any sink. The one JSON shape every sink
writes is :func:`alert_to_json`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

import httpx

from hardhull.errors import UsageError
from hardhull.model.event import Alert, Priority
from hardhull.runtime.jsonio import format_time_ns as rfc3339_ns
from hardhull.runtime.outputs_limit import (
    SUMMARY_RULE,
    RateLimiter,
    SuppressionCounts,
    summary_alert,
)

log = logging.getLogger(__name__)

__all__ = [
    "SUMMARY_RULE",
    "AlertSink",
    "JsonLinesSink",
    "RateLimiter",
    "SuppressionCounts",
    "SyslogSink",
    "WebhookSink",
    "alert_to_json",
    "redact_url",
    "rfc3339_ns",
    "summary_alert",
]


class AlertSink(Protocol):
    def emit(self, alert: Alert) -> None: ...

    def close(self) -> None: ...


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def alert_to_json(alert: Alert) -> dict[str, Any]:
    """The JSON object for one alert (Falco's keys plus ``kind``, ``container`` and
    ``workload``). ``container`` is ``null`` when the event has no container context."""
    event = alert.event
    info = event.container
    container: dict[str, Any] | None = None
    workload = ""
    if info is not None:
        container = {
            "id": info.id,
            "name": info.name,
            "image": info.image,
            "image_digest": info.image_digest,
        }
        workload = info.workload
    elif event.container_id:
        workload = event.container_id
        container = {"id": workload, "name": "", "image": "", "image_digest": ""}
    return {
        "rule": alert.rule,
        "priority": alert.priority.value,
        "output": alert.output,
        "time": rfc3339_ns(alert.time),
        "source": alert.source,
        "tags": list(alert.tags),
        "kind": alert.kind.value,
        "output_fields": _jsonable(alert.output_fields),
        "container": container,
        "workload": workload,
    }


def _dumps(alert: Alert) -> str:
    return json.dumps(alert_to_json(alert), ensure_ascii=False, separators=(",", ":"))


class JsonLinesSink:
    """One JSON object per line to a text stream, or appended to a file path."""

    def __init__(self, target: IO[str] | str | Path) -> None:
        self._owned = not hasattr(target, "write")
        if self._owned:
            path = Path(str(target))
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._stream: IO[str] = path.open("a", encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"cannot open alert output {path}: {exc.strerror}") from exc
        else:
            self._stream = target  # type: ignore[assignment]
        self._lock = threading.Lock()
        self.written = 0
        self.failed = 0

    def emit(self, alert: Alert) -> None:
        line = _dumps(alert) + "\n"
        with self._lock:
            try:
                self._stream.write(line)
                self._stream.flush()
                self.written += 1
            except (OSError, ValueError) as exc:
                self.failed += 1
                log.warning("alert output write failed: %s", exc)

    def close(self) -> None:
        with self._lock:
            if self._owned:
                self._stream.close()
            else:
                with contextlib.suppress(OSError, ValueError):
                    self._stream.flush()


def redact_url(url: str) -> str:
    """``scheme://host:port`` only: paths, queries and user info may carry tokens."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


@dataclass(frozen=True, slots=True)
class WebhookStats:
    sent: int = 0
    failed: int = 0
    dropped: int = 0
    retried: int = 0


_STOP = object()


class WebhookSink:
    """POSTs each alert's JSON to ``url`` from a background thread.

    The queue holds at most ``queue_size`` alerts; when it is full new alerts are dropped
    and counted. A failed POST (transport error, HTTP 429 or 5xx) is retried ``retries``
    times with a growing pause from ``backoff`` seconds; other HTTP errors fail at once.
    Header values and the URL's path and query (where tokens live) are never logged."""

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 5.0,
        retries: int = 3,
        backoff: float = 0.5,
        queue_size: int = 1000,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"webhook URL {redact_url(url)!r} is not an http(s) URL")
        self._where = redact_url(url)
        self._url = url
        self._retries = max(0, retries)
        self._backoff = backoff
        self._client = httpx.Client(
            headers={"Content-Type": "application/json", **(headers or {})},
            timeout=timeout,
            transport=transport,
        )
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, queue_size))
        self._counts = {"sent": 0, "failed": 0, "dropped": 0, "retried": 0}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hardhull-webhook", daemon=True)
        self._thread.start()

    def stats(self) -> WebhookStats:
        with self._lock:
            return WebhookStats(**self._counts)

    def _bump(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def emit(self, alert: Alert) -> None:
        if self._closed.is_set():
            self._bump("dropped")
            return
        try:
            self._queue.put_nowait(_dumps(alert).encode())
        except queue.Full:
            self._bump("dropped")

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            assert isinstance(item, bytes)
            self._post(item)

    def _post(self, body: bytes) -> None:
        for attempt in range(self._retries + 1):
            if attempt:
                self._bump("retried")
                time.sleep(min(self._backoff * (2 ** (attempt - 1)), 30.0))
            try:
                response = self._client.post(self._url, content=body)
            except httpx.HTTPError as exc:
                problem = type(exc).__name__
            else:
                if response.status_code < 300:
                    self._bump("sent")
                    return
                problem = f"HTTP {response.status_code}"
                if response.status_code != 429 and response.status_code < 500:
                    break
        self._bump("failed")
        log.warning("webhook %s: alert not delivered (%s)", self._where, problem)

    def close(self, timeout: float = 30.0) -> None:
        """Deliver what is queued (up to ``timeout`` seconds), then stop."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._queue.put(_STOP)
        self._thread.join(timeout)
        self._client.close()


_FACILITIES = {
    "kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6,
    "news": 7, "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
    **{f"local{i}": 16 + i for i in range(8)},
}  # fmt: skip


def syslog_severity(priority: Priority) -> int:
    """Falco priorities are syslog's severities: Emergency 0 ... Debug 7."""
    return priority.rank


class SyslogSink:
    """Writes alerts to syslog: a unix socket path (default ``/dev/log``; datagram, else
    stream) or a ``(host, port)`` over UDP (or TCP with octet counting, RFC 6587).

    ``fmt`` is ``rfc5424`` or ``rfc3164``; ``message`` is ``json`` (the alert JSON) or
    ``text`` (``rule: output``). Send failures are counted; the socket is reopened on the
    next alert."""

    def __init__(
        self,
        address: str | Path | tuple[str, int] = "/dev/log",
        *,
        facility: str | int = "local0",
        fmt: str = "rfc5424",
        message: str = "json",
        protocol: str = "udp",
        app_name: str = "hardhull",
        max_size: int = 8192,
    ) -> None:
        if isinstance(facility, str):
            if facility.lower() not in _FACILITIES:
                raise UsageError(f"unknown syslog facility {facility!r}")
            facility = _FACILITIES[facility.lower()]
        if fmt not in ("rfc5424", "rfc3164"):
            raise UsageError(f"unknown syslog format {fmt!r} (rfc5424 or rfc3164)")
        if message not in ("json", "text"):
            raise UsageError(f"unknown syslog message style {message!r} (json or text)")
        if protocol not in ("udp", "tcp"):
            raise UsageError(f"unknown syslog protocol {protocol!r} (udp or tcp)")
        self.address = address if isinstance(address, tuple) else str(address)
        self.facility = facility
        self.fmt = fmt
        self.message = message
        self.protocol = protocol
        self.app_name = app_name
        self.max_size = max_size
        self.hostname = socket.gethostname() or "-"
        self._sock: socket.socket | None = None
        self._stream = False
        self._lock = threading.Lock()
        self.sent = 0
        self.failed = 0

    def format(self, alert: Alert) -> bytes:
        pri = self.facility * 8 + syslog_severity(alert.priority)
        body = _dumps(alert) if self.message == "json" else f"{alert.rule}: {alert.output}"
        body = " ".join(body.splitlines())
        pid = os.getpid()
        if self.fmt == "rfc5424":
            secs, frac = divmod(alert.time, 1_000_000_000)
            stamp = datetime.fromtimestamp(secs, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            ts = f"{stamp}.{frac // 1000:06d}Z"
            line = f"<{pri}>1 {ts} {self.hostname} {self.app_name} {pid} alert - {body}"
        else:
            ts = time.strftime("%b %d %H:%M:%S", time.localtime(alert.time // 1_000_000_000))
            line = f"<{pri}>{ts} {self.hostname} {self.app_name}[{pid}]: {body}"
        return line.encode("utf-8")[: self.max_size]

    def _connect(self) -> socket.socket:
        if isinstance(self.address, tuple):
            host, port = self.address
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            kind = socket.SOCK_STREAM if self.protocol == "tcp" else socket.SOCK_DGRAM
            sock = socket.socket(family, kind)
            sock.settimeout(5.0)
            sock.connect((host, port))
            self._stream = kind == socket.SOCK_STREAM
            return sock
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            sock = socket.socket(socket.AF_UNIX, kind)
            sock.settimeout(5.0)
            try:
                sock.connect(self.address)
            except OSError:
                sock.close()
                if kind == socket.SOCK_STREAM:
                    raise
                continue
            self._stream = kind == socket.SOCK_STREAM
            return sock
        raise OSError("unreachable")  # pragma: no cover

    def _frame(self, data: bytes) -> bytes:
        if not self._stream:
            return data
        if isinstance(self.address, tuple):
            return f"{len(data)} ".encode() + data
        return data + b"\n"

    def emit(self, alert: Alert) -> None:
        data = self.format(alert)
        with self._lock:
            for attempt in range(2):
                try:
                    if self._sock is None:
                        self._sock = self._connect()
                    self._sock.sendall(self._frame(data))
                    self.sent += 1
                    return
                except OSError as exc:
                    if self._sock is not None:
                        self._sock.close()
                        self._sock = None
                    if attempt:
                        self.failed += 1
                        log.warning("syslog %s: alert not delivered (%s)", self.address, exc)

    def close(self) -> None:
        with self._lock:
            if self._sock is not None:
                self._sock.close()
                self._sock = None
