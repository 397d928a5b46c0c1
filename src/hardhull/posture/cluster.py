"""Read-only access to a live cluster through a kubeconfig context (a small httpx client).

Lists the kinds the posture checks understand (workloads, Services, Ingresses,
NetworkPolicies, Namespaces, ServiceAccounts, RBAC), in every namespace or in one,
following ``metadata.continue`` paging. Only ``GET`` list calls are made.

Every list that is denied (403), not served (404), fails, or times out becomes a coverage
:class:`~hardhull.model.Gap` naming the API path: what was not read is never reported as
clean. After a connection failure or timeout the remaining lists are not attempted (each
is still recorded as a gap). A kubeconfig that cannot be read or lacks the context is a
:class:`~hardhull.errors.SourceError`.
"""

from __future__ import annotations

import base64
import os
import ssl
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from hardhull.errors import SourceError
from hardhull.model import Gap, Resource, ResourceRef

PAGE_SIZE = 500

#: (kind, apiVersion, plural, namespaced) of every list read.
KINDS: tuple[tuple[str, str, str, bool], ...] = (
    ("Namespace", "v1", "namespaces", False),
    ("Pod", "v1", "pods", True),
    ("Service", "v1", "services", True),
    ("ServiceAccount", "v1", "serviceaccounts", True),
    ("Deployment", "apps/v1", "deployments", True),
    ("StatefulSet", "apps/v1", "statefulsets", True),
    ("DaemonSet", "apps/v1", "daemonsets", True),
    ("ReplicaSet", "apps/v1", "replicasets", True),
    ("Job", "batch/v1", "jobs", True),
    ("CronJob", "batch/v1", "cronjobs", True),
    ("Ingress", "networking.k8s.io/v1", "ingresses", True),
    ("NetworkPolicy", "networking.k8s.io/v1", "networkpolicies", True),
    ("Role", "rbac.authorization.k8s.io/v1", "roles", True),
    ("RoleBinding", "rbac.authorization.k8s.io/v1", "rolebindings", True),
    ("ClusterRole", "rbac.authorization.k8s.io/v1", "clusterroles", False),
    ("ClusterRoleBinding", "rbac.authorization.k8s.io/v1", "clusterrolebindings", False),
)


@dataclass(frozen=True, slots=True)
class ClusterResult:
    """What was read from the cluster (``source`` = ``cluster:<context>``) and what not."""

    source: str
    resources: tuple[Resource, ...]
    gaps: tuple[Gap, ...]


@dataclass(frozen=True, slots=True)
class KubeTarget:
    """The connection a kubeconfig context describes."""

    context: str
    server: str
    namespace: str | None
    token: str | None = None
    ca_pem: str | None = None
    insecure: bool = False
    client_cert_pem: bytes | None = None
    client_key_pem: bytes | None = None


def _named(entries: Any, name: str, what: str, path: Path) -> Mapping[str, Any]:
    for entry in entries or ():
        if isinstance(entry, dict) and entry.get("name") == name:
            body = entry.get(what)
            return body if isinstance(body, dict) else {}
    raise SourceError(f"{path}: no {what} named {name!r} in the kubeconfig")


def _data(body: Mapping[str, Any], key: str, base: Path) -> bytes | None:
    inline = body.get(f"{key}-data")
    if isinstance(inline, str):
        return base64.b64decode(inline)
    file = body.get(key)
    if isinstance(file, str):
        try:
            return (base / file).read_bytes()
        except OSError as exc:
            raise SourceError(f"{file}: cannot read ({exc.strerror})") from exc
    return None


def default_kubeconfig() -> Path:
    """``$KUBECONFIG`` (its first entry) or ``~/.kube/config``."""
    env = os.environ.get("KUBECONFIG")
    if env:
        return Path(env.split(os.pathsep)[0])
    return Path.home() / ".kube" / "config"


def load_kubeconfig(path: Path | None, context: str | None) -> KubeTarget:
    """Resolve ``context`` (default: ``current-context``) of the kubeconfig at ``path``."""
    path = path or default_kubeconfig()
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceError(f"{path}: cannot read kubeconfig ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise SourceError(f"{path}: malformed kubeconfig ({exc})") from exc
    if not isinstance(doc, dict):
        raise SourceError(f"{path}: not a kubeconfig")
    name = context or doc.get("current-context")
    if not isinstance(name, str) or not name:
        raise SourceError(f"{path}: no current-context; pass --context NAME")
    ctx = _named(doc.get("contexts"), name, "context", path)
    cluster = _named(doc.get("clusters"), str(ctx.get("cluster")), "cluster", path)
    user = _named(doc.get("users"), str(ctx.get("user")), "user", path) if ctx.get("user") else {}
    server = cluster.get("server")
    if not isinstance(server, str) or not server:
        raise SourceError(f"{path}: cluster of context {name!r} has no server")
    base = path.parent
    token = user.get("token")
    if not token and isinstance(user.get("tokenFile"), str):
        token = (base / user["tokenFile"]).read_text().strip()
    ca = _data(cluster, "certificate-authority", base)
    return KubeTarget(
        context=name,
        server=server.rstrip("/"),
        namespace=ctx.get("namespace") if isinstance(ctx.get("namespace"), str) else None,
        token=str(token) if token else None,
        ca_pem=ca.decode() if ca else None,
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        client_cert_pem=_data(user, "client-certificate", base),
        client_key_pem=_data(user, "client-key", base),
    )


@contextmanager
def _client(target: KubeTarget, timeout: float) -> Iterator[httpx.Client]:
    verify: ssl.SSLContext | bool = True
    with tempfile.TemporaryDirectory(prefix="hardhull-kube-") as tmp:
        if target.server.startswith("https"):
            ctx = ssl.create_default_context(cadata=target.ca_pem) if target.ca_pem else None
            ctx = ctx or ssl.create_default_context()
            if target.insecure:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            if target.client_cert_pem and target.client_key_pem:
                cert, key = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
                cert.write_bytes(target.client_cert_pem)
                key.touch(mode=0o600)
                key.write_bytes(target.client_key_pem)
                ctx.load_cert_chain(cert, key)
            verify = ctx
        headers = {"Accept": "application/json", "User-Agent": "hardhull"}
        if target.token:
            headers["Authorization"] = f"Bearer {target.token}"
        with httpx.Client(
            base_url=target.server, verify=verify, headers=headers, timeout=timeout
        ) as client:
            yield client


def _path(api_version: str, plural: str, namespace: str | None) -> str:
    root = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    return f"{root}/namespaces/{namespace}/{plural}" if namespace else f"{root}/{plural}"


def _status_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return response.reason_phrase


class _ListError(Exception):
    def __init__(self, kind: str, detail: str, fatal: bool = False) -> None:
        super().__init__(detail)
        self.kind, self.detail, self.fatal = kind, detail, fatal


def _list(client: httpx.Client, path: str) -> list[Mapping[str, Any]]:
    items: list[Mapping[str, Any]] = []
    token: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": PAGE_SIZE}
        if token:
            params["continue"] = token
        try:
            response = client.get(path, params=params)
        except httpx.TimeoutException as exc:
            raise _ListError("api-timeout", f"timed out ({type(exc).__name__})", True) from exc
        except httpx.HTTPError as exc:
            raise _ListError("api-unreachable", f"cannot connect: {exc}", True) from exc
        if response.status_code == 403:
            raise _ListError("api-denied", f"403 Forbidden: {_status_message(response)}")
        if response.status_code == 401:
            raise _ListError("api-denied", f"401 Unauthorized: {_status_message(response)}")
        if response.status_code == 404:
            raise _ListError("api-not-served", f"404 Not Found: {_status_message(response)}")
        if response.status_code != 200:
            raise _ListError("api-error", f"{response.status_code}: {_status_message(response)}")
        try:
            body = response.json()
        except ValueError as exc:
            raise _ListError("api-error", "answer is not JSON") from exc
        page = body.get("items") if isinstance(body, dict) else None
        if not isinstance(page, list):
            raise _ListError("api-error", "answer is not a List object")
        items += [item for item in page if isinstance(item, dict)]
        meta = body.get("metadata") or {}
        token = meta.get("continue") if isinstance(meta, dict) else None
        if not token:
            return items


def read_cluster(
    kubeconfig: Path | None,
    context: str | None,
    namespace: str | None = None,
    *,
    timeout: float = 30.0,
) -> ClusterResult:
    """List every kind of :data:`KINDS` (cluster-scoped ones even with ``namespace``)."""
    target = load_kubeconfig(kubeconfig, context)
    source = f"cluster:{target.context}"
    resources: list[Resource] = []
    gaps: list[Gap] = []
    fatal: str | None = None
    with _client(target, timeout) as client:
        for kind, api_version, plural, namespaced in KINDS:
            path = _path(api_version, plural, namespace if namespaced else None)
            if fatal is not None:
                gaps.append(Gap("api-not-read", f"{source} {path}", f"not read: {fatal}"))
                continue
            try:
                items = _list(client, path)
            except _ListError as exc:
                gaps.append(Gap(exc.kind, f"{source} {path}", exc.detail))
                if exc.fatal:
                    fatal = exc.detail
                continue
            for item in items:
                obj = {"apiVersion": api_version, "kind": kind, **item}
                meta = obj.get("metadata")
                meta = meta if isinstance(meta, dict) else {}
                labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
                ns = meta.get("namespace")
                ref = ResourceRef(
                    kind=kind,
                    name=str(meta.get("name") or "<unnamed>"),
                    namespace=str(ns) if ns and namespaced else None,
                    api_version=api_version,
                    file=source,
                )
                pairs = tuple(sorted((str(k), str(v)) for k, v in (labels or {}).items()))
                resources.append(Resource(ref=ref, obj=obj, labels=pairs))
    return ClusterResult(source, tuple(resources), tuple(gaps))


__all__ = ["KINDS", "ClusterResult", "KubeTarget", "load_kubeconfig", "read_cluster"]
