"""Helpers for admission tests: AdmissionReview bodies shaped like the API server's,
realistic Deployments, and a real HTTPS webhook server on 127.0.0.1 in a thread."""

from __future__ import annotations

import copy
import dataclasses
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml
from tests.support.registry import free_port

from hardhull.admission.audit import AuditLog
from hardhull.admission.certs import make_ca, make_serving_cert
from hardhull.admission.config import AdmissionConfig
from hardhull.admission.engine import AdmissionEngine
from hardhull.admission.server import AdmissionApp, make_server
from hardhull.policy.base import Policy

_RESOURCES = {
    "Deployment": ("apps", "v1", "deployments"),
    "Pod": ("", "v1", "pods"),
    "ConfigMap": ("", "v1", "configmaps"),
    "Namespace": ("", "v1", "namespaces"),
    "CronJob": ("batch", "v1", "cronjobs"),
}

DIGEST = "sha256:" + "a" * 64


def container(name: str = "app", image: str = f"ghcr.io/acme/app@{DIGEST}") -> dict[str, Any]:
    """A container that satisfies PSS restricted."""
    return {
        "name": name,
        "image": image,
        "ports": [{"containerPort": 8080, "protocol": "TCP"}],
        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
        },
    }


def deployment(
    name: str = "web",
    namespace: str = "shop",
    *,
    containers: Sequence[Mapping[str, Any]] | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A realistic, PSS-restricted-compliant Deployment (as the API server sends it)."""
    pod_labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": str(uuid.uuid4()),
            "generation": 1,
            "creationTimestamp": None,
            "labels": dict(labels or {"app": name}),
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": pod_labels},
            "strategy": {"type": "RollingUpdate"},
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 10001,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [dict(c) for c in containers or [container()]],
                    "restartPolicy": "Always",
                    "dnsPolicy": "ClusterFirst",
                },
            },
        },
        "status": {},
    }


def privileged(obj: Mapping[str, Any]) -> dict[str, Any]:
    """``obj`` with its first container privileged (fails PSS baseline)."""
    out = copy.deepcopy(dict(obj))
    spec = out["spec"]["template"]["spec"] if out["kind"] != "Pod" else out["spec"]
    spec["containers"][0]["securityContext"]["privileged"] = True
    return out


def review(
    obj: Mapping[str, Any] | None,
    *,
    operation: str = "CREATE",
    old: Mapping[str, Any] | None = None,
    dry_run: bool = False,
    namespace: str | None = None,
    kind: str | None = None,
    name: str | None = None,
    uid: str | None = None,
) -> dict[str, Any]:
    """An AdmissionReview v1 request exactly as kube-apiserver sends it."""
    subject = obj if obj is not None else old
    assert subject is not None
    kind = kind or subject["kind"]
    group, version, plural = _RESOURCES[kind]
    meta = subject.get("metadata", {})
    ns = namespace if namespace is not None else meta.get("namespace", "")
    options = {
        "CREATE": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions",
                   "fieldManager": "kubectl-client-side-apply"},
        "UPDATE": {"apiVersion": "meta.k8s.io/v1", "kind": "UpdateOptions"},
        "DELETE": {"apiVersion": "meta.k8s.io/v1", "kind": "DeleteOptions",
                   "propagationPolicy": "Background"},
        "CONNECT": None,
    }[operation]  # fmt: skip
    gvk = {"group": group, "version": version, "kind": kind}
    gvr = {"group": group, "version": version, "resource": plural}
    request: dict[str, Any] = {
        "uid": uid or str(uuid.uuid4()),
        "kind": gvk,
        "resource": gvr,
        "requestKind": gvk,
        "requestResource": gvr,
        "name": name if name is not None else meta.get("name", ""),
        "namespace": ns,
        "operation": operation,
        "userInfo": {
            "username": "kubernetes-admin",
            "uid": "aaaa-bbbb",
            "groups": ["system:masters", "system:authenticated"],
        },
        "object": obj,
        "oldObject": old,
        "dryRun": dry_run,
        "options": options,
    }
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


@dataclass
class RunningServer:
    """A webhook server listening on 127.0.0.1 over HTTPS."""

    url: str
    ca_file: Path
    app: AdmissionApp

    def client(self) -> httpx.Client:
        """An httpx client that trusts the test CA (keep-alive)."""
        ctx = ssl.create_default_context(cafile=str(self.ca_file))
        return httpx.Client(base_url=self.url, verify=ctx, timeout=10.0)


def write_tls(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a serving cert for 127.0.0.1/localhost: (ca, cert, key) files."""
    ca = make_ca()
    pair = make_serving_cert(ca, ["localhost"], ["127.0.0.1"])
    paths = (directory / "ca.crt", directory / "tls.crt", directory / "tls.key")
    for path, data in zip(paths, (ca.cert_pem, pair.cert_pem, pair.key_pem), strict=True):
        path.write_bytes(data)
    return paths


@contextmanager
def running_server(
    tmp: Path, policies: Sequence[Policy], config: AdmissionConfig
) -> Iterator[RunningServer]:
    """Serve ``policies`` with ``config`` (TLS files generated in ``tmp``) in a thread;
    stopped and joined on exit."""
    ca_file, cert, key = write_tls(tmp)
    audit = (
        AuditLog(config.audit_log, max_bytes=config.audit_max_bytes, backups=config.audit_backups)
        if config.audit_log
        else None
    )
    cfg = dataclasses.replace(config, cert=cert, key=key, address="127.0.0.1")
    app = AdmissionApp(AdmissionEngine(policies, cfg, audit))
    server = make_server(app, cfg)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("admission server did not start")
            time.sleep(0.01)
        yield RunningServer(f"https://127.0.0.1:{port}", ca_file, app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        assert not thread.is_alive(), "admission server thread did not stop"


@dataclass
class ServeProcess:
    """A real ``hardhull admission serve`` process over HTTPS on 127.0.0.1."""

    proc: subprocess.Popen[bytes]
    base: str
    verify: ssl.SSLContext


def start_serve(
    directory: Path, config: Mapping[str, Any], *extra: str, timeout: float = 30.0
) -> ServeProcess:
    """Write TLS material and ``config`` (listen and tls filled in) into ``directory``,
    start ``hardhull admission serve`` on a free port and wait until /readyz answers."""
    ca, _cert, _key = write_tls(directory)
    port = free_port()
    full = {
        "listen": {"address": "127.0.0.1", "port": port},
        "tls": {"cert": "tls.crt", "key": "tls.key"},
        **config,
    }
    path = directory / "config.yaml"
    path.write_text(yaml.safe_dump(full))
    proc = subprocess.Popen(
        [sys.executable, "-m", "hardhull", "admission", "serve", "--config", str(path), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    verify = ssl.create_default_context(cafile=str(ca))
    server = ServeProcess(proc, f"https://127.0.0.1:{port}", verify)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{server.base}/readyz", verify=server.verify).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            stderr = proc.stderr.read().decode() if proc.stderr else ""
            raise AssertionError(f"admission serve did not become ready: {stderr}")
        time.sleep(0.05)
