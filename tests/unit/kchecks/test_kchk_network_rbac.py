"""Services, Ingress TLS, default-deny NetworkPolicies and RBAC resolution."""

from __future__ import annotations

from collections.abc import Callable

from hardhull.model import Finding, Status
from hardhull.posture.rbac import rule_risks

Scan = Callable[..., list[Finding]]


def _of(found: list[Finding], rule: str, status: Status | None = None) -> list[Finding]:
    return [f for f in found if f.rule_id == rule and (status is None or f.status is status)]


def _names(found: list[Finding]) -> set[str]:
    return {f.resource.name for f in found if f.resource is not None}


def test_exposed_services_warn(scan: Scan) -> None:
    found = scan("network.yaml")
    assert _names(_of(found, "HH-K8S-013", Status.WARN)) == {"public"}
    assert _names(_of(found, "HH-K8S-013", Status.PASS)) == {"internal"}


def test_ingress_without_tls_and_uncovered_hosts(scan: Scan) -> None:
    bad = _of(scan("network.yaml"), "HH-K8S-014", Status.FAIL)
    assert sorted(f.message for f in bad) == [
        "Ingress shop/partial host shop.example.org is not covered by any TLS entry",
        "Ingress shop/plain has no TLS section; traffic is served in clear text",
    ]


def test_default_deny_per_namespace(scan: Scan) -> None:
    found = _of(scan("network.yaml"), "HH-K8S-015")
    status = {f.resource.name: f.status for f in found if f.resource is not None}
    # shop: only an allow-all policy; web: a podSelector-less policy with implied Ingress
    assert status == {"shop": Status.FAIL, "web": Status.PASS}
    shop = next(f for f in found if f.status is Status.FAIL)
    assert shop.resource is not None and shop.resource.file is not None  # the Namespace object
    assert "Pod shop/p1" in shop.message


def test_role_rules(scan: Scan) -> None:
    found = scan("rbac.yaml")
    assert _names(_of(found, "HH-K8S-020", Status.FAIL)) == {"operator"}
    escalate = _of(found, "HH-K8S-022", Status.FAIL)
    assert [
        (f.resource.name if f.resource else "", dict(f.evidence)["path"]) for f in escalate
    ] == [("deployer", "rules[2]")]
    assert _names(_of(found, "HH-K8S-023", Status.FAIL)) == {"secret-reader", "operator"}
    # get on one named secret is not a finding
    assert "pod-viewer" in _names(_of(found, "HH-K8S-023", Status.PASS))
    assert _names(_of(found, "HH-K8S-024", Status.FAIL)) == {"deployer", "operator"}


def test_bindings(scan: Scan) -> None:
    found = scan("rbac.yaml")
    admin = _of(found, "HH-K8S-021", Status.FAIL)
    assert [f.message for f in admin] == [
        "ClusterRoleBinding admins binds cluster-admin to Group system:masters, "
        "User bob@example.com"
    ]
    create = _of(found, "HH-K8S-025", Status.FAIL)
    assert {f.resource.name for f in create if f.resource} == {"deployer", "operator"}
    deployer = next(f for f in create if f.resource and f.resource.name == "deployer")
    # RoleBinding subjects without a namespace get the binding's
    assert "ServiceAccount shop/ci" in deployer.message
    assert "User alice@example.com" in deployer.message


def test_risky_service_accounts_and_their_workloads(scan: Scan) -> None:
    found = scan("rbac.yaml")
    sas = {
        (f.resource.namespace, f.resource.name): f.status
        for f in _of(found, "HH-K8S-026")
        if f.resource
    }
    assert sas == {
        ("ops", "operator"): Status.FAIL,
        ("ops", "monitor"): Status.PASS,
        ("shop", "ci"): Status.FAIL,  # bound but not declared in the input
    }
    workloads = {f.resource.name: f for f in _of(found, "HH-K8S-027") if f.resource is not None}
    assert workloads["operator"].status is Status.FAIL
    assert 'service account "operator"' in workloads["operator"].message
    assert "wildcard verbs and resources" in workloads["operator"].message
    assert workloads["monitor"].status is Status.PASS
    # the shell pod runs as shop/default, covered by the system:serviceaccounts:shop group
    assert workloads["shell"].status is Status.FAIL
    assert "get/list on secrets in namespace shop" in workloads["shell"].message


def test_bound_service_account_needs_the_api(scan: Scan) -> None:
    auto = {f.resource.name: f.status for f in _of(scan("rbac.yaml"), "HH-K8S-007") if f.resource}
    assert auto["operator"] is Status.PASS  # bound to a role: it uses the API
    assert auto["monitor"] is Status.PASS


def test_rule_risks_builtin_shapes() -> None:
    assert [r.control.id for r in rule_risks({"resources": ["pods"], "verbs": ["create"]})] == [
        "HH-K8S-025"
    ]
    assert rule_risks({"resources": ["configmaps"], "verbs": ["get", "list"]}) == []
    wildcard = rule_risks({"apiGroups": [""], "resources": ["secrets"], "verbs": ["*"]})
    assert {r.control.id for r in wildcard} == {"HH-K8S-020", "HH-K8S-023"}
    assert rule_risks({"verbs": None, "resources": "pods"}) == []  # malformed: no crash
