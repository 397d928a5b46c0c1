"""What a pod exposes of itself or its node: API tokens, literal secrets, host paths."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable

from hardhull.model import Resource, Severity, Status
from hardhull.posture.base import CheckResult, Control, PostureContext
from hardhull.posture.checks.common import finding, passed
from hardhull.posture.checks.podspec import (
    as_list,
    as_map,
    as_str,
    containers,
    namespace_of,
    pod_template,
    service_account_of,
)
from hardhull.posture.controls_k8s import AUTOMOUNT, ENV_SECRETS, SENSITIVE_HOSTPATH
from hardhull.posture.rbac import rbac_index

_SECRET_NAME = re.compile(
    r"(PASSW(OR)?D|PASSPHRASE|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL"
    r"|(^|_)KEY$|(^|_)PWD$|AUTH$)",
    re.IGNORECASE,
)
_SECRET_VALUE = re.compile(
    r"(AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}"  # AWS access key ids
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{40,}"
    r"|xox[abprs]-[A-Za-z0-9-]{10,}"  # Slack
    r"|sk_live_[A-Za-z0-9]{20,}|AIza[0-9A-Za-z_-]{35}"  # Stripe, Google API
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"  # JWT
    r"|[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@)"  # URL with user:password
)
_PLACEHOLDERS = frozenset({"", "changeme", "true", "false", "none", "null", "<redacted>"})


def looks_secret(name: str, value: str) -> str | None:
    """Why env ``name=value`` looks like a literal secret, or ``None``."""
    if _SECRET_VALUE.search(value):
        return "its value looks like a credential"
    v = value.strip()
    if not _SECRET_NAME.search(name) or v.lower() in _PLACEHOLDERS:
        return None
    if v.startswith(("/", "$(", "file:")) or v.isdigit() or len(v) < 4:
        return None  # a path, a variable reference, a number (port, TTL)
    if re.fullmatch(r"[a-z][a-z0-9+.-]*://\S+", v):
        return None  # a URL without credentials (token endpoint, ...)
    return "its name suggests a secret"


class EnvSecretsCheck:
    """HH-K8S-008: literal ``env[].value`` secrets (``valueFrom`` is fine)."""

    @property
    def controls(self) -> tuple[Control, ...]:
        return (ENV_SECRETS,)

    def evaluate(self, resource: Resource, ctx: PostureContext) -> Iterable[CheckResult]:
        tpl = pod_template(resource)
        if tpl is None:
            return []
        out: list[CheckResult] = []
        for c in containers(tpl, ephemeral=True):
            for i, env in enumerate(as_list(c.obj.get("env"))):
                env = as_map(env)
                name, value = as_str(env.get("name")), env.get("value")
                if not isinstance(value, str) or (why := looks_secret(name, value)) is None:
                    continue
                msg = f"{c.label} sets env {name} to a literal value; {why}"
                out.append(
                    finding(
                        ENV_SECRETS,
                        resource.ref,
                        Status.FAIL,
                        msg,
                        path=f"{c.path}.env[{i}].value",
                        evidence=(("env", name),),
                    )
                )
        return out or [passed(ENV_SECRETS)]


class AutomountTokenCheck:
    """HH-K8S-007 (warn): a token is mounted but the service account has no RBAC binding.

    The pod-level ``automountServiceAccountToken`` wins over the ServiceAccount's; a
    service account bound to any role in the input is taken to need the API.
    """

    @property
    def controls(self) -> tuple[Control, ...]:
        return (AUTOMOUNT,)

    def evaluate(self, resource: Resource, ctx: PostureContext) -> Iterable[CheckResult]:
        tpl = pod_template(resource)
        if tpl is None:
            return []
        index = rbac_index(ctx)
        key = (namespace_of(resource) or "default", service_account_of(tpl))
        pod_level = tpl.spec.get("automountServiceAccountToken")
        mounted = pod_level if isinstance(pod_level, bool) else index.sa_automount.get(key, True)
        if not mounted or key in index.bound_service_accounts:
            return [passed(AUTOMOUNT)]
        msg = (
            f'{resource.ref.label()} mounts the token of service account "{key[1]}", '
            "which has no RBAC binding in the input"
        )
        path = f"{tpl.path}.automountServiceAccountToken"
        return [finding(AUTOMOUNT, resource.ref, Status.WARN, msg, path=path)]


RUNTIME_SOCKETS = frozenset(
    {
        "/var/run/docker.sock",
        "/run/docker.sock",
        "/var/run/containerd/containerd.sock",
        "/run/containerd/containerd.sock",
        "/var/run/crio/crio.sock",
        "/run/crio/crio.sock",
        "/var/run/cri-dockerd.sock",
        "/run/podman/podman.sock",
    }
)
SENSITIVE_PATHS = frozenset(
    {
        "/etc",
        "/root",
        "/proc",
        "/sys",
        "/dev",
        "/boot",
        "/var/lib/kubelet",
        "/var/lib/docker",
        "/var/lib/containerd",
        "/var/lib/etcd",
        "/etc/kubernetes",
        "/var/log",
        "/var/run",
        "/run",
    }
)


def sensitive_reason(path: str) -> str | None:
    """Why mounting host ``path`` is dangerous, or ``None``."""
    p = posixpath.normpath("/" + path.strip()).replace("//", "/")
    if p == "/":
        return "is the host's root filesystem"
    for sock in sorted(RUNTIME_SOCKETS):
        if p == sock or sock.startswith(p + "/"):
            return f"exposes the container runtime socket {sock}"
    for s in sorted(SENSITIVE_PATHS):
        if p == s:
            return f"is {s}"
        if p.startswith(s + "/"):
            return f"is under {s}"
        if s.startswith(p + "/"):
            return f"contains {s}"
    return None


class HostPathCheck:
    """HH-K8S-012: hostPath volumes on runtime sockets and node-critical directories."""

    @property
    def controls(self) -> tuple[Control, ...]:
        return (SENSITIVE_HOSTPATH,)

    def evaluate(self, resource: Resource, ctx: PostureContext) -> Iterable[CheckResult]:
        tpl = pod_template(resource)
        if tpl is None:
            return []
        out: list[CheckResult] = []
        for i, vol in enumerate(as_list(tpl.spec.get("volumes"))):
            vol = as_map(vol)
            host = as_str(as_map(vol.get("hostPath")).get("path"))
            if not host or (why := sensitive_reason(host)) is None:
                continue
            name = as_str(vol.get("name"))
            users = [
                c.name
                for c in containers(tpl, ephemeral=True)
                if any(as_map(m).get("name") == name for m in as_list(c.obj.get("volumeMounts")))
            ]
            critical = "runtime socket" in why or "root filesystem" in why
            sev = Severity.CRITICAL if critical else None
            used = f", mounted by {', '.join(users)}" if users else ""
            msg = f'volume "{name}" mounts host path {host}, which {why}{used}'
            out.append(
                finding(
                    SENSITIVE_HOSTPATH,
                    resource.ref,
                    Status.FAIL,
                    msg,
                    path=f"{tpl.path}.volumes[{i}].hostPath.path",
                    evidence=(("hostPath", host),),
                    severity=sev,
                )
            )
        return out or [passed(SENSITIVE_HOSTPATH)]
