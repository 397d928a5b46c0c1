"""Pod-spec hygiene: resources, probes, default namespace and service account, root fs."""

from __future__ import annotations

from collections.abc import Iterable

from hardhull.model import Resource, Status
from hardhull.posture.base import CheckResult, Control, PostureContext
from hardhull.posture.checks.common import finding, passed
from hardhull.posture.checks.podspec import (
    as_map,
    containers,
    namespace_of,
    pod_template,
    service_account_of,
)
from hardhull.posture.controls_k8s import (
    DEFAULT_NAMESPACE,
    DEFAULT_SA,
    LIVENESS,
    READINESS,
    RESOURCES,
    WRITABLE_ROOTFS,
)


class ResourcesCheck:
    """HH-K8S-004: cpu and memory requests and limits on every (init) container."""

    @property
    def controls(self) -> tuple[Control, ...]:
        return (RESOURCES,)

    def evaluate(self, resource: Resource, ctx: PostureContext) -> Iterable[CheckResult]:
        tpl = pod_template(resource)
        if tpl is None:
            return []
        out: list[CheckResult] = []
        for c in containers(tpl):
            res = as_map(c.obj.get("resources"))
            requests, limits = as_map(res.get("requests")), as_map(res.get("limits"))
            missing = [
                name
                for name, part, kind in (
                    ("requests.cpu", requests, "cpu"),
                    ("requests.memory", requests, "memory"),
                    ("limits.cpu", limits, "cpu"),
                    ("limits.memory", limits, "memory"),
                )
                if part.get(kind) in (None, "")
            ]
            if missing:
                msg = f"{c.label} has no resources {', '.join(missing)}"
                path = f"{c.path}.resources"
                ev = (("missing", ",".join(missing)),)
                out.append(
                    finding(RESOURCES, resource.ref, Status.FAIL, msg, path=path, evidence=ev)
                )
        return out or [passed(RESOURCES)]


class ProbesCheck:
    """HH-K8S-005/006 (warn): liveness and readiness probes on long-running containers."""

    @property
    def controls(self) -> tuple[Control, ...]:
        return (LIVENESS, READINESS)

    def evaluate(self, resource: Resource, ctx: PostureContext) -> Iterable[CheckResult]:
        tpl = pod_template(resource)
        if tpl is None or tpl.batch:
            return []
        out: list[CheckResult] = []
        failed: set[str] = set()
        for c in containers(tpl, init=False):
            for control, field in ((LIVENESS, "livenessProbe"), (READINESS, "readinessProbe")):
                if not isinstance(c.obj.get(field), dict):
                    failed.add(control.id)
                    msg = f"{c.label} has no {field}"
                    out.append(
                        finding(control, resource.ref, Status.WARN, msg, path=f"{c.path}.{field}")
                    )
        out.extend(passed(c) for c in (LIVENESS, READINESS) if c.id not in failed)
        return out


class DefaultNamespaceCheck:
    """HH-K8S-009: namespaced objects in ``default`` (fail) or with no namespace (warn).

    Only workloads, Services, Ingresses, ConfigMaps, Secrets, ServiceAccounts and RBAC
    Roles/RoleBindings are considered; cluster-scoped kinds have no namespace.
    """

    _KINDS = frozenset(
        {
            "Pod",
            "PodTemplate",
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "ReplicaSet",
            "ReplicationController",
            "Job",
            "CronJob",
            "Service",
            "Ingress",
            "ConfigMap",
            "Secret",
            "ServiceAccount",
            "Role",
            "RoleBinding",
            "NetworkPolicy",
        }
    )

    @property
    def controls(self) -> tuple[Control, ...]:
        return (DEFAULT_NAMESPACE,)

    def evaluate(self, resource: Resource, ctx: PostureContext) -> Iterable[CheckResult]:
        if resource.ref.kind not in self._KINDS:
            return []
        ns = namespace_of(resource)
        label = resource.ref.label()
        if ns == "default":
            msg = f"{label} is in the default namespace"
            return [
                finding(
                    DEFAULT_NAMESPACE, resource.ref, Status.FAIL, msg, path="metadata.namespace"
                )
            ]
        if ns is None:
            msg = f"{label} sets no namespace; it lands in the current context's (often default)"
            return [
                finding(
                    DEFAULT_NAMESPACE, resource.ref, Status.WARN, msg, path="metadata.namespace"
                )
            ]
        return [passed(DEFAULT_NAMESPACE)]


class DefaultServiceAccountCheck:
    """HH-K8S-010: pods that run as the namespace's ``default`` service account."""

    @property
    def controls(self) -> tuple[Control, ...]:
        return (DEFAULT_SA,)

    def evaluate(self, resource: Resource, ctx: PostureContext) -> Iterable[CheckResult]:
        tpl = pod_template(resource)
        if tpl is None:
            return []
        if service_account_of(tpl) != "default":
            return [passed(DEFAULT_SA)]
        msg = f"{resource.ref.label()} runs as the default service account"
        path = f"{tpl.path}.serviceAccountName"
        return [finding(DEFAULT_SA, resource.ref, Status.FAIL, msg, path=path)]


class ReadOnlyRootCheck:
    """HH-K8S-011: ``securityContext.readOnlyRootFilesystem`` true on every (init) container."""

    @property
    def controls(self) -> tuple[Control, ...]:
        return (WRITABLE_ROOTFS,)

    def evaluate(self, resource: Resource, ctx: PostureContext) -> Iterable[CheckResult]:
        tpl = pod_template(resource)
        if tpl is None:
            return []
        out: list[CheckResult] = []
        for c in containers(tpl):
            if as_map(c.obj.get("securityContext")).get("readOnlyRootFilesystem") is not True:
                msg = f"{c.label} has a writable root filesystem"
                path = f"{c.path}.securityContext.readOnlyRootFilesystem"
                out.append(finding(WRITABLE_ROOTFS, resource.ref, Status.FAIL, msg, path=path))
        return out or [passed(WRITABLE_ROOTFS)]
