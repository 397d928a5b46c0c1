"""RBAC checks: risky Role/ClusterRole rules, bindings, risky service accounts and the
workloads that run as them. The analysis lives in :mod:`hardhull.posture.rbac`."""

from __future__ import annotations

from collections.abc import Iterable

from hardhull.model import Resource, ResourceRef, Status
from hardhull.posture.base import CheckResult, Control, PostureContext
from hardhull.posture.checks.common import finding, passed, passed_ref
from hardhull.posture.checks.podspec import (
    as_list,
    as_map,
    namespace_of,
    pod_spec,
    service_account_in,
)
from hardhull.posture.controls_k8s import (
    RBAC_CLUSTER_ADMIN,
    RBAC_CREATE_PODS,
    RBAC_ESCALATE,
    RBAC_EXEC,
    RBAC_RISKY_SA,
    RBAC_RISKY_WORKLOAD,
    RBAC_SECRETS,
    RBAC_WILDCARD,
)
from hardhull.posture.rbac import (
    Grant,
    RbacIndex,
    describe,
    is_admin_subject,
    rbac_index,
    rule_risks,
    subject_label,
)


class RoleRulesCheck:
    """HH-K8S-020/022/023/024 on each Role and ClusterRole of the input."""

    _CONTROLS = (RBAC_WILDCARD, RBAC_ESCALATE, RBAC_SECRETS, RBAC_EXEC)

    @property
    def controls(self) -> tuple[Control, ...]:
        return self._CONTROLS

    def evaluate(self, resource: Resource, ctx: PostureContext) -> Iterable[CheckResult]:
        if resource.ref.kind not in ("Role", "ClusterRole"):
            return []
        out: list[CheckResult] = []
        failed: set[str] = set()
        for i, rule in enumerate(as_list(resource.obj.get("rules"))):
            for risk in rule_risks(as_map(rule)):
                if risk.control in self._CONTROLS:
                    failed.add(risk.control.id)
                    msg = f"{resource.ref.label()} grants {risk.what} (rules[{i}])"
                    out.append(
                        finding(risk.control, resource.ref, Status.FAIL, msg, path=f"rules[{i}]")
                    )
        out.extend(passed(c) for c in self._CONTROLS if c.id not in failed)
        return out


class BindingCheck:
    """HH-K8S-021 (bindings to cluster-admin), HH-K8S-025 (create pods/workloads for
    non-admin subjects), HH-K8S-026/027 (risky service accounts and their workloads)."""

    @property
    def controls(self) -> tuple[Control, ...]:
        return (RBAC_CLUSTER_ADMIN, RBAC_CREATE_PODS, RBAC_RISKY_SA, RBAC_RISKY_WORKLOAD)

    def evaluate_all(self, ctx: PostureContext) -> Iterable[CheckResult]:
        index = rbac_index(ctx)
        out: list[CheckResult] = []
        admins: set[str] = set()
        for g in index.grants:
            if g.role_label == "ClusterRole cluster-admin":
                admins.update(f"{k}/{ns or ''}/{n}" for k, n, ns in g.subjects)
        for g in index.grants:
            out.extend(self._binding(g, admins))
        out.extend(self._accounts(index, ctx))
        return out

    def _binding(self, g: Grant, admins: set[str]) -> list[CheckResult]:
        b = g.binding
        names = ", ".join(subject_label(*s) for s in g.subjects) or "no subjects"
        out: list[CheckResult] = []
        if g.role_label == "ClusterRole cluster-admin":
            msg = f"{b.ref.label()} binds cluster-admin to {names}"
            out.append(finding(RBAC_CLUSTER_ADMIN, b.ref, Status.FAIL, msg, path="roleRef"))
        else:
            out.append(passed(RBAC_CLUSTER_ADMIN, b))
        creates = [r for r in g.risks if r.control is RBAC_CREATE_PODS]
        risky = [s for s in g.subjects if not is_admin_subject(*s, admins)]
        if creates and risky:
            who = ", ".join(subject_label(*s) for s in risky)
            msg = f"{b.ref.label()} ({g.role_label}) grants {creates[0].what} to {who}"
            out.append(finding(RBAC_CREATE_PODS, b.ref, Status.FAIL, msg, path="subjects"))
        else:
            out.append(passed(RBAC_CREATE_PODS, b))
        return out

    def _accounts(self, index: RbacIndex, ctx: PostureContext) -> list[CheckResult]:
        out: list[CheckResult] = []
        seen: set[tuple[str, str]] = set()
        for (ns, name), sa in sorted(index.service_accounts.items()):
            seen.add((ns, name))
            out.append(self._sa_finding(index, ns, name, sa.ref))
        for ns, name in sorted(index.bound_service_accounts - seen):
            if index.sa_risks(ns, name):
                ref = ResourceRef("ServiceAccount", name, ns, api_version="v1")
                out.append(self._sa_finding(index, ns, name, ref))
        for r in ctx.resources:
            found = pod_spec(r)
            if found is None:
                continue
            spec, spec_path = found
            ns, account = namespace_of(r) or "default", service_account_in(spec)
            risks = index.sa_risks(ns, account)
            if not risks:
                out.append(passed(RBAC_RISKY_WORKLOAD, r))
                continue
            what = describe(risks)
            msg = f'{r.ref.label()} runs as service account "{account}", which has {what}'
            out.append(
                finding(
                    RBAC_RISKY_WORKLOAD,
                    r.ref,
                    Status.FAIL,
                    msg,
                    path=f"{spec_path}.serviceAccountName",
                    evidence=(("serviceAccount", f"{ns}/{account}"),),
                )
            )
        return out

    def _sa_finding(self, index: RbacIndex, ns: str, name: str, ref: ResourceRef) -> CheckResult:
        risks = index.sa_risks(ns, name)
        if not risks:
            return passed_ref(RBAC_RISKY_SA, ref, f"{ref.label()}: no risky permissions")
        msg = f'service account "{ns}/{name}" has {describe(risks)}'
        return finding(RBAC_RISKY_SA, ref, Status.FAIL, msg)
