"""Alert outputs against real sockets: an HTTP server and syslog receivers on loopback."""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hardhull.model.event import Alert, AlertKind, ContainerInfo, Event, Priority
from hardhull.runtime.outputs import (
    SUMMARY_RULE,
    JsonLinesSink,
    RateLimiter,
    SyslogSink,
    WebhookSink,
    alert_to_json,
    redact_url,
    rfc3339_ns,
)

T = 1715344496123456789
INFO = ContainerInfo(
    id="5888b2b2e845",
    full_id="5888b2b2e845" + "0" * 52,
    name="web",
    image="localhost/app:1",
    image_digest="sha256:" + "ab" * 32,
)


def make_alert(
    rule: str = "Terminal shell in container",
    output: str = "A shell was spawned",
    *,
    priority: Priority = Priority.NOTICE,
    container: ContainerInfo | None = INFO,
) -> Alert:
    event = Event("syscall", "execve", T, {"proc.pid": 42}, container)
    return Alert(
        rule=rule,
        priority=priority,
        output=output,
        event=event,
        tags=("container", "shell"),
        output_fields={"proc.name": "sh", "proc.args": ("-c", "id")},
    )


def test_alert_to_json_shape() -> None:
    doc = alert_to_json(make_alert())
    assert doc == {
        "rule": "Terminal shell in container",
        "priority": "Notice",
        "output": "A shell was spawned",
        "time": "2024-05-10T12:34:56.123456789Z",
        "source": "syscall",
        "tags": ["container", "shell"],
        "kind": "rule",
        "output_fields": {"proc.name": "sh", "proc.args": ["-c", "id"]},
        "container": {
            "id": "5888b2b2e845",
            "name": "web",
            "image": "localhost/app:1",
            "image_digest": "sha256:" + "ab" * 32,
        },
        "workload": "web",
    }
    pod = ContainerInfo(id="abc", name="c", pod_name="api-1", pod_namespace="prod")
    assert alert_to_json(make_alert(container=pod))["workload"] == "prod/api-1"
    assert alert_to_json(make_alert(container=None))["container"] is None
    assert rfc3339_ns(0) == "1970-01-01T00:00:00.000000000Z"


def test_json_lines_to_stream_and_file(tmp_path: Path) -> None:
    stream = io.StringIO()
    sink = JsonLinesSink(stream)
    sink.emit(make_alert())
    sink.emit(make_alert(output="again"))
    sink.close()
    lines = stream.getvalue().splitlines()
    assert [json.loads(x)["output"] for x in lines] == ["A shell was spawned", "again"]

    path = tmp_path / "out" / "alerts.jsonl"
    fsink = JsonLinesSink(path)
    fsink.emit(make_alert())
    fsink.close()
    assert json.loads(path.read_text())["rule"] == "Terminal shell in container"


class _Receiver(BaseHTTPRequestHandler):
    bodies: list[tuple[str, dict[str, str], bytes]]
    fail_first: list[int]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.fail_first:
            self.fail_first.pop()
            self.send_response(503)
        else:
            self.bodies.append((self.path, dict(self.headers), body))
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[tuple[str, type[_Receiver]]]:
    handler = type("H", (_Receiver,), {"bodies": [], "fail_first": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def test_webhook_posts_alerts_with_headers_and_retries(
    http_server: tuple[str, type[_Receiver]], caplog: pytest.LogCaptureFixture
) -> None:
    base, handler = http_server
    handler.fail_first.extend([1, 1])  # two 503 answers, then success
    sink = WebhookSink(
        f"{base}/hooks/SECRET-PATH?token=s3cr3t",
        headers={"Authorization": "Bearer tok-123"},
        retries=3,
        backoff=0.01,
    )
    sink.emit(make_alert())
    sink.emit(make_alert(output="second"))
    sink.close()
    stats = sink.stats()
    assert (stats.sent, stats.failed, stats.dropped, stats.retried) == (2, 0, 0, 2)
    assert [json.loads(b)["output"] for _, _, b in handler.bodies] == [
        "A shell was spawned",
        "second",
    ]
    path, headers, _ = handler.bodies[0]
    assert path == "/hooks/SECRET-PATH?token=s3cr3t"
    assert headers["Authorization"] == "Bearer tok-123"
    assert headers["Content-Type"] == "application/json"
    assert "tok-123" not in caplog.text and "s3cr3t" not in caplog.text


def test_webhook_failure_is_counted_and_token_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # a port nobody listens on: bind, read the port, close
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    sink = WebhookSink(
        f"http://user:pw@127.0.0.1:{port}/hook/T0KEN",
        headers={"X-Token": "hdr-secret"},
        retries=1,
        backoff=0.01,
    )
    sink.emit(make_alert())
    sink.close()
    assert sink.stats().failed == 1
    assert f"http://127.0.0.1:{port}" in caplog.text
    for secret in ("T0KEN", "hdr-secret", "pw"):
        assert secret not in caplog.text
    assert redact_url("https://u:p@h.example:8443/a/b?c=d") == "https://h.example:8443"


def test_webhook_bounded_queue_drops_and_counts(http_server: tuple[str, type[_Receiver]]) -> None:
    base, handler = http_server
    sink = WebhookSink(base, queue_size=5)
    # Block the worker: it is stopped before the flood by closing the gate it waits on.
    gate = threading.Event()
    sink._queue.put(b"")  # one item the worker takes first
    original = sink._post

    def slow(body: bytes) -> None:
        gate.wait()
        if body:
            original(body)

    sink._post = slow  # type: ignore[method-assign]
    while not sink._queue.empty():
        pass
    for _ in range(20):
        sink.emit(make_alert())
    gate.set()
    sink.close()
    stats = sink.stats()
    assert stats.dropped == 15
    assert stats.sent == 5
    assert len(handler.bodies) == 5


def test_syslog_udp_rfc5424() -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(10)
    try:
        sink = SyslogSink(receiver.getsockname(), facility="local3", message="text")
        sink.emit(make_alert(priority=Priority.CRITICAL))
        line = receiver.recv(65536).decode()
        sink.close()
    finally:
        receiver.close()
    # local3 = 19, Critical = severity 2 -> PRI 19*8+2 = 154
    assert line.startswith("<154>1 2024-05-10T12:34:56.123456Z ")
    assert " hardhull " in line
    assert line.endswith(" alert - Terminal shell in container: A shell was spawned")
    assert sink.sent == 1


def test_syslog_unix_datagram_rfc3164_json(tmp_path: Path) -> None:
    path = tmp_path / "log.sock"
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(str(path))
    receiver.settimeout(10)
    try:
        sink = SyslogSink(path, facility="user", fmt="rfc3164")
        sink.emit(make_alert(priority=Priority.WARNING))
        line = receiver.recv(65536).decode()
        sink.close()
    finally:
        receiver.close()
    assert line.startswith("<12>")  # user = 1, Warning = 4
    body = line.split("]: ", 1)[1]
    assert json.loads(body)["rule"] == "Terminal shell in container"


def test_syslog_unreachable_is_counted(tmp_path: Path) -> None:
    sink = SyslogSink(tmp_path / "nobody.sock")
    sink.emit(make_alert())
    assert (sink.sent, sink.failed) == (0, 1)


class _Collect:
    def __init__(self) -> None:
        self.alerts: list[Alert] = []
        self.closed = False

    def emit(self, alert: Alert) -> None:
        self.alerts.append(alert)

    def close(self) -> None:
        self.closed = True


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_flood_of_identical_alerts_is_deduplicated() -> None:
    out, clock = _Collect(), _Clock()
    limiter = RateLimiter(out, dedup_window=60, rate=1, burst=10, clock=clock)
    for _ in range(10_000):
        limiter.emit(make_alert())
    assert len(out.alerts) == 1
    assert limiter.suppressed().duplicate == {"Terminal shell in container": 9_999}
    limiter.close()
    assert out.closed
    summary = out.alerts[-1]
    assert summary.rule == SUMMARY_RULE
    assert summary.output_fields["suppressed_total"] == 9_999
    assert summary.output_fields["suppressed"] == {
        "Terminal shell in container": {"duplicate": 9_999, "rate_limited": 0}
    }


def test_flood_of_distinct_alerts_is_rate_limited() -> None:
    out, clock = _Collect(), _Clock()
    limiter = RateLimiter(out, dedup_window=60, rate=1, burst=10, clock=clock)
    for i in range(10_000):
        # 2**-9 s apart (exact in binary): 9,999 * 2**-9 s = 19.53 s after the first,
        # so the burst of 10 plus 19 whole refilled tokens go out.
        clock.now += 2**-9
        limiter.emit(make_alert(output=f"shell {i}"))
    assert len(out.alerts) == 29
    assert limiter.suppressed().rate_limited == {"Terminal shell in container": 9_971}
    # another container has its own bucket
    other = ContainerInfo(id="other")
    limiter.emit(make_alert(output="x", container=other))
    assert len(out.alerts) == 30


def test_periodic_summary_reports_only_new_suppressions() -> None:
    out, clock = _Collect(), _Clock()
    limiter = RateLimiter(out, dedup_window=1000, summary_interval=60, clock=clock)
    for _ in range(5):
        limiter.emit(make_alert())
    clock.now += 61
    limiter.tick()
    assert [a.output_fields.get("suppressed_total") for a in out.alerts] == [None, 4]
    limiter.emit(make_alert())  # still within the dedup window
    limiter.emit(make_alert(rule="Other", output="o"))
    limiter.close()
    assert out.alerts[-1].rule == SUMMARY_RULE
    assert out.alerts[-1].output_fields["suppressed_total"] == 1
    assert out.alerts[-1].kind is AlertKind.RULE
    assert limiter.suppressed().total == 5
    # after the window an identical alert goes out again
    limiter2 = RateLimiter(_Collect(), dedup_window=10, clock=clock)
    limiter2.emit(make_alert())
    clock.now += 10
    limiter2.emit(make_alert())
    assert limiter2.emitted == 2
