"""RBAC analysis: risky rules in Roles/ClusterRoles, risky bindings, and which service
accounts (and so which workloads) hold risky permissions.

Bindings are resolved RoleBinding/ClusterRoleBinding -> Role/ClusterRole -> subjects
(User, Group, ServiceAccount with its namespace). Built-in ClusterRoles that manifests do
not carry (``cluster-admin``, ``admin``, ``edit``, ``view``) are known by their rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hardhull.model import Resource
from hardhull.posture.base import Control, PostureContext
from hardhull.posture.controls_k8s import (
    RBAC_CREATE_PODS,
    RBAC_ESCALATE,
    RBAC_EXEC,
    RBAC_SECRETS,
    RBAC_WILDCARD,
)

_WORKLOAD_RESOURCES = frozenset(
    {
        "pods",
        "deployments",
        "statefulsets",
        "daemonsets",
        "replicasets",
        "replicationcontrollers",
        "jobs",
        "cronjobs",
    }
)
_CORE = ("", "*")
_ALL = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]
_EDIT: list[dict[str, list[str]]] = [
    {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch", "create"]},
    {"apiGroups": [""], "resources": ["pods", "pods/exec", "pods/attach"], "verbs": ["create"]},
    {"apiGroups": ["apps"], "resources": ["deployments", "statefulsets"], "verbs": ["create"]},
    {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]},
]
#: Built-in ClusterRoles (the parts that matter here) for bindings whose role is not in
#: the input.
BUILTIN_CLUSTER_ROLES: dict[str, list[dict[str, list[str]]]] = {
    "cluster-admin": _ALL,
    "admin": _EDIT,
    "edit": _EDIT,
    "view": [],
}
_ALL_SA_GROUPS = frozenset({"system:serviceaccounts", "system:authenticated"})


def as_map(value: object) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: object) -> list[Any]:
    """``value`` if it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def as_str(value: object) -> str:
    """``value`` if it is a string, else ``""``."""
    return value if isinstance(value, str) else ""


def namespace_of(resource: Resource) -> str | None:
    """The resource's namespace: from its ref, else ``metadata.namespace``."""
    if resource.ref.namespace:
        return resource.ref.namespace
    return as_str(as_map(resource.obj.get("metadata")).get("namespace")) or None


@dataclass(frozen=True, slots=True)
class Risk:
    """One risky permission: the control it violates and what it grants."""

    control: Control
    what: str


def _lower_set(value: object) -> frozenset[str]:
    return frozenset(as_str(v).lower() for v in as_list(value) if isinstance(v, str))


def rule_risks(rule: Mapping[str, Any]) -> list[Risk]:
    """The risky permissions one PolicyRule grants (empty for harmless rules)."""
    verbs = _lower_set(rule.get("verbs"))
    resources = _lower_set(rule.get("resources"))
    groups = _lower_set(rule.get("apiGroups")) or frozenset({""})
    names = [as_str(n) for n in as_list(rule.get("resourceNames"))]
    core = bool(groups & set(_CORE))
    any_verb = "*" in verbs
    any_res = "*" in resources
    out: list[Risk] = []
    if any_verb or any_res:
        wild = [w for w, on in (("verbs", any_verb), ("resources", any_res)) if on]
        out.append(Risk(RBAC_WILDCARD, f"wildcard {' and '.join(wild)}"))
    if special := sorted(verbs & {"escalate", "bind", "impersonate"}):
        out.append(Risk(RBAC_ESCALATE, f"{'/'.join(special)} on {_fmt(resources)}"))
    if core and (any_res or "secrets" in resources):
        read = sorted(verbs & {"get", "list", "watch"}) or (["*"] if any_verb else [])
        if read and not (names and read == ["get"]):
            out.append(Risk(RBAC_SECRETS, f"{'/'.join(read)} on secrets"))
    if core:
        sub = resources & {"pods/exec", "pods/attach", "pods/*"} or (
            {"pods/exec", "pods/attach"} if any_res else set()
        )
        if sub and (any_verb or verbs & {"create", "get"}):
            out.append(Risk(RBAC_EXEC, f"create on {_fmt(sub)}"))
    made = resources & _WORKLOAD_RESOURCES or (_WORKLOAD_RESOURCES if any_res else set())
    if made and (any_verb or "create" in verbs):
        out.append(Risk(RBAC_CREATE_PODS, f"create on {_fmt(made)}"))
    return out


def _fmt(items: Iterable[str]) -> str:
    return ",".join(sorted(items)) or "(none)"


@dataclass(frozen=True, slots=True)
class Grant:
    """A binding resolved to its role: who gets the role's risky permissions, where."""

    binding: Resource
    role_label: str
    risks: tuple[Risk, ...]
    subjects: tuple[tuple[str, str, str | None], ...]  # (kind, name, namespace)
    scope: str | None  # binding namespace for RoleBindings, None cluster-wide


@dataclass(frozen=True)
class RbacIndex:
    """The RBAC picture of one input: grants, roles by key, service account facts."""

    grants: tuple[Grant, ...]
    bound_service_accounts: frozenset[tuple[str, str]]
    sa_automount: Mapping[tuple[str, str], bool]
    service_accounts: Mapping[tuple[str, str], Resource]

    def sa_risks(self, namespace: str, name: str) -> list[tuple[Risk, Grant]]:
        """Risky permissions the service account ``namespace/name`` holds, with the grant."""
        out: list[tuple[Risk, Grant]] = []
        for g in self.grants:
            if g.risks and _grant_covers_sa(g, namespace, name):
                out.extend((r, g) for r in g.risks)
        return out


def _grant_covers_sa(g: Grant, namespace: str, name: str) -> bool:
    for kind, sname, sns in g.subjects:
        if kind == "ServiceAccount" and sname == name and sns == namespace:
            return True
        if kind == "Group" and (
            sname in _ALL_SA_GROUPS or sname == f"system:serviceaccounts:{namespace}"
        ):
            return g.scope in (None, namespace)
    return False


_MEMO: list[tuple[Sequence[Resource], RbacIndex]] = []


def rbac_index(ctx: PostureContext) -> RbacIndex:
    """Build (once per input) the :class:`RbacIndex` of ``ctx.resources``."""
    for resources, index in _MEMO:
        if resources is ctx.resources:
            return index
    index = _build(ctx.resources)
    _MEMO[:] = [(ctx.resources, index)]
    return index


def _build(resources: Sequence[Resource]) -> RbacIndex:
    roles: dict[tuple[str, str | None, str], list[Any]] = {}
    accounts: dict[tuple[str, str], Resource] = {}
    automount: dict[tuple[str, str], bool] = {}
    bindings: list[Resource] = []
    for r in resources:
        kind = r.ref.kind
        if kind in ("Role", "ClusterRole"):
            ns = namespace_of(r) if kind == "Role" else None
            roles[(kind, ns, r.ref.name)] = as_list(r.obj.get("rules"))
        elif kind in ("RoleBinding", "ClusterRoleBinding"):
            bindings.append(r)
        elif kind == "ServiceAccount":
            key = (namespace_of(r) or "default", r.ref.name)
            accounts[key] = r
            if isinstance(r.obj.get("automountServiceAccountToken"), bool):
                automount[key] = bool(r.obj["automountServiceAccountToken"])
    grants: list[Grant] = []
    bound: set[tuple[str, str]] = set()
    for b in bindings:
        scope = namespace_of(b) if b.ref.kind == "RoleBinding" else None
        ref = as_map(b.obj.get("roleRef"))
        rkind, rname = as_str(ref.get("kind")), as_str(ref.get("name"))
        rules = roles.get((rkind, scope if rkind == "Role" else None, rname))
        if rules is None and rkind == "ClusterRole":
            rules = BUILTIN_CLUSTER_ROLES.get(rname)
        subjects = []
        for s in as_list(b.obj.get("subjects")):
            s = as_map(s)
            skind, sname = as_str(s.get("kind")), as_str(s.get("name"))
            sns = as_str(s.get("namespace")) or None
            if skind == "ServiceAccount":
                sns = sns or scope or "default"
                bound.add((sns, sname))
            subjects.append((skind, sname, sns))
        risks = tuple(x for rule in (rules or []) for x in rule_risks(as_map(rule)))
        grants.append(Grant(b, f"{rkind} {rname}", _dedupe(risks), tuple(subjects), scope))
    return RbacIndex(tuple(grants), frozenset(bound), automount, accounts)


def _dedupe(risks: Iterable[Risk]) -> tuple[Risk, ...]:
    return tuple(dict.fromkeys(risks))


def is_admin_subject(kind: str, name: str, namespace: str | None, admins: set[str]) -> bool:
    if kind in ("User", "Group") and name.startswith("system:") and name not in _ALL_SA_GROUPS:
        return not name.startswith("system:serviceaccounts")
    if kind == "ServiceAccount" and namespace == "kube-system":
        return True
    return f"{kind}/{namespace or ''}/{name}" in admins


def subject_label(kind: str, name: str, namespace: str | None) -> str:
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def describe(risks: Sequence[tuple[Risk, Grant]]) -> str:
    parts = []
    for risk, g in risks:
        where = f" in namespace {g.scope}" if g.scope else ""
        parts.append(f"{risk.what}{where} (via {g.binding.ref.label()} -> {g.role_label})")
    return "; ".join(dict.fromkeys(parts))
