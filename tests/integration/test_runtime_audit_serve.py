"""``hardhull runtime audit-serve`` as a real process: HTTPS with a bearer token, k8s_audit
rules applied to the EventLists it receives, alerts as JSON lines, bad input answered 400
without stopping the server."""

from __future__ import annotations

import re
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from tests.unit.runtime.sources.samples import event_list, pod_exec, secret_get

from hardhull.admission.certs import make_ca, make_serving_cert

TOKEN = "audit-serve-token-0123456789abcdef"
RULES = """\
- rule: Attach/Exec Pod
  desc: someone opened a shell or ran a command in a pod
  condition: ka.target.resource = pods and ka.target.subresource in (exec, attach)
  output: Exec into pod (user=%ka.user.name pod=%ka.target.name ns=%ka.target.namespace)
  priority: NOTICE
  source: k8s_audit
  tags: [k8s]
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    ca = make_ca("hardhull-test-ca")
    serving = make_serving_cert(ca, ["localhost"], ["127.0.0.1"])
    (tmp_path / "ca.pem").write_bytes(ca.cert_pem)
    (tmp_path / "tls.crt").write_bytes(serving.cert_pem)
    (tmp_path / "tls.key").write_bytes(serving.key_pem)
    (tmp_path / "token").write_text(TOKEN + "\n")
    (tmp_path / "rules.yaml").write_text(RULES)
    alerts = tmp_path / "alerts.jsonl"
    err = (tmp_path / "stderr").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "hardhull", "runtime", "audit-serve",
            "-r", str(tmp_path / "rules.yaml"), "--listen", "127.0.0.1:0",
            "--tls-cert", str(tmp_path / "tls.crt"), "--tls-key", str(tmp_path / "tls.key"),
            "--token-file", str(tmp_path / "token"), "-o", str(alerts),
        ],
        stdout=subprocess.DEVNULL,
        stderr=err,
    )  # fmt: skip
    url = ""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not url:
        m = re.search(r"listening on (https://\S+)", (tmp_path / "stderr").read_text())
        if m:
            url = m.group(1)
        elif proc.poll() is not None:
            pytest.fail((tmp_path / "stderr").read_text())
        time.sleep(0.05)
    assert url, "audit-serve did not start"
    try:
        yield url, tmp_path / "ca.pem", alerts
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        err.close()
        final = (tmp_path / "stderr").read_text()
        assert "hardhull: final: audit events=" in final
        assert TOKEN not in final


def test_audit_serve_raises_k8s_audit_alerts(server: tuple[str, Path, Path]) -> None:
    url, ca, alerts = server
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(verify=ssl.create_default_context(cafile=str(ca)), timeout=10) as client:
        assert client.post(url, content=b"[1, 2]", headers=auth).status_code == 400
        assert client.post(url, content=b"not json", headers=auth).status_code == 400
        body = orjson.dumps(event_list(pod_exec()))
        assert client.post(url, content=body).status_code == 401
        assert client.post(url, content=body, headers=auth).status_code == 200
        body = orjson.dumps(event_list(secret_get(), pod_exec()))
        assert client.post(url, content=body, headers=auth).status_code == 200
    deadline = time.monotonic() + 10
    rows: list[dict[str, object]] = []
    while time.monotonic() < deadline and len(rows) < 2:
        if alerts.exists():
            rows = [orjson.loads(line) for line in alerts.read_bytes().splitlines() if line]
        time.sleep(0.05)
    exec_alerts = [r for r in rows if r["rule"] == "Attach/Exec Pod"]
    assert len(exec_alerts) >= 1
    first = exec_alerts[0]
    assert first["source"] == "k8s_audit"
    assert "pod=web-7d9f8c6b5-x2x7q ns=shop" in str(first["output"])
    assert not any("bootstrap-token" in str(r["output"]) for r in rows)
