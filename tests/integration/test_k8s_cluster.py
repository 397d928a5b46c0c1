"""The live-cluster client against a loopback API server speaking the documented shapes.

No Kubernetes API server can run here: a small ``http.server`` on 127.0.0.1 answers List
objects with ``metadata.continue`` paging, 403 ``Status`` objects, 404s and (optionally) a
stall, checks the bearer token, and records every request. The kubeconfig is written by
the test.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from click.testing import CliRunner

from hardhull.cli.main import cli
from hardhull.errors import SourceError
from hardhull.posture.cluster import read_cluster

TOKEN = "s3cret-token"
PODS = [
    {
        "metadata": {"name": f"p{i}", "namespace": "apps", "labels": {"app": "x"}},
        "spec": {"containers": [{"name": "c", "image": "nginx:latest"}]},
    }
    for i in range(5)
]


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class _Api(BaseHTTPRequestHandler):
    requests: list[str] = []  # noqa: RUF012 (per-test reset)
    stall: float = 0.0

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        type(self).requests.append(self.path)
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._send(401, _status(401, "Unauthorized", "Unauthorized"))
            return
        if self.stall:
            time.sleep(self.stall)
        if url.path == "/api/v1/pods":
            start = int(query.get("continue", ["0"])[0])
            limit = min(int(query["limit"][0]), 2)  # the server may return fewer
            rest = start + limit
            meta = {"resourceVersion": "9", "continue": str(rest) if rest < len(PODS) else ""}
            items = PODS[start:rest]
            self._send(
                200, {"kind": "PodList", "apiVersion": "v1", "metadata": meta, "items": items}
            )
        elif url.path.endswith("/secrets") or "rbac" in url.path:
            plural = url.path.rsplit("/", 1)[1]
            msg = (
                f'{plural} is forbidden: User "system:serviceaccount:ci:scanner" cannot list '
                f'resource "{plural}" in API group "rbac.authorization.k8s.io" at the cluster scope'
            )
            self._send(403, _status(403, "Forbidden", msg))
        elif url.path.endswith("/cronjobs"):
            self._send(
                404, _status(404, "NotFound", "the server could not find the requested resource")
            )
        else:
            self._send(200, {"kind": "List", "apiVersion": "v1", "metadata": {}, "items": []})


@pytest.fixture
def api() -> Iterator[str]:
    _Api.requests = []
    _Api.stall = 0.0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _kubeconfig(tmp_path: Path, server: str, token: str = TOKEN) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(
        f"""apiVersion: v1
kind: Config
current-context: test
clusters:
- name: local
  cluster: {{server: "{server}"}}
contexts:
- name: test
  context: {{cluster: local, user: scanner}}
users:
- name: scanner
  user: {{token: {token}}}
"""
    )
    return path


def test_lists_follow_paging_and_denied_reads_are_gaps(api: str, tmp_path: Path) -> None:
    result = read_cluster(_kubeconfig(tmp_path, api), None)
    assert result.source == "cluster:test"
    pods = [r for r in result.resources if r.ref.kind == "Pod"]
    assert [p.ref.name for p in pods] == ["p0", "p1", "p2", "p3", "p4"]
    assert pods[0].obj["kind"] == "Pod" and pods[0].ref.namespace == "apps"
    assert pods[0].ref.file == "cluster:test" and pods[0].labels == (("app", "x"),)
    assert [q for q in _Api.requests if q.startswith("/api/v1/pods")] == [
        "/api/v1/pods?limit=500",
        "/api/v1/pods?limit=500&continue=2",
        "/api/v1/pods?limit=500&continue=4",
    ]
    gaps = {g.subject.split(" ", 1)[1]: g for g in result.gaps}
    assert gaps["/apis/batch/v1/cronjobs"].kind == "api-not-served"
    denied = sorted(p for p, g in gaps.items() if g.kind == "api-denied")
    assert denied == [
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        "/apis/rbac.authorization.k8s.io/v1/rolebindings",
        "/apis/rbac.authorization.k8s.io/v1/roles",
    ]
    assert "cannot list resource" in gaps["/apis/rbac.authorization.k8s.io/v1/roles"].detail
    assert all(q.split("?")[0] for q in _Api.requests)  # only GETs were made


def test_namespace_limits_namespaced_lists(api: str, tmp_path: Path) -> None:
    read_cluster(_kubeconfig(tmp_path, api), "test", "apps")
    paths = {q.split("?")[0] for q in _Api.requests}
    assert "/api/v1/namespaces/apps/pods" in paths
    assert "/api/v1/namespaces" in paths  # cluster-scoped kinds are still read
    assert "/apis/rbac.authorization.k8s.io/v1/clusterroles" in paths


def test_bad_token_and_timeouts_are_gaps_not_passes(api: str, tmp_path: Path) -> None:
    result = read_cluster(_kubeconfig(tmp_path, api, token="wrong"), None)
    assert result.resources == ()
    assert {g.kind for g in result.gaps} == {"api-denied"}
    _Api.stall = 1.0
    result = read_cluster(_kubeconfig(tmp_path, api), None, timeout=0.2)
    assert result.gaps[0].kind == "api-timeout"
    assert {g.kind for g in result.gaps[1:]} == {"api-not-read"}
    assert len(result.gaps) == 16


def test_missing_context_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no context named 'prod'"):
        read_cluster(_kubeconfig(tmp_path, "http://127.0.0.1:9"), "prod")


def test_cli_reports_cluster_gaps_and_findings(api: str, tmp_path: Path) -> None:
    config = _kubeconfig(tmp_path, api)
    result = CliRunner().invoke(
        cli, ["k8s", "scan", "--kubeconfig", str(config), "--context", "test", "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["source"]["inputs"] == ["cluster:test"]
    assert doc["coverage"]["complete"] is False
    kinds = {g["kind"] for g in doc["coverage"]["gaps"]}
    assert kinds == {"api-denied", "api-not-served"}
    failed = [f for f in doc["findings"] if f["status"] == "fail"]
    # objects read from the cluster carry their provenance; the namespace-level finding
    # (no default-deny policy) names a namespace the server did not list, so it has none
    pods = [f for f in failed if f["resource"]["kind"] == "Pod"]
    assert pods and all(f["resource"]["file"] == "cluster:test" for f in pods)
    others = [f for f in failed if f["resource"]["kind"] != "Pod"]
    assert {(f["resource"]["kind"], f["rule_id"]) for f in others} == {("Namespace", "HH-K8S-015")}
    assert all(f["resource"]["file"] is None for f in others)
