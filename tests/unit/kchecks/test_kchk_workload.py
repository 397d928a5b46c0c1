"""Pod-spec checks on realistic Deployments, CronJobs and Pods."""

from __future__ import annotations

from collections.abc import Callable

from hardhull.model import Finding, Severity, Status

Scan = Callable[..., list[Finding]]


def _of(found: list[Finding], rule: str, status: Status | None = None) -> list[Finding]:
    return [f for f in found if f.rule_id == rule and (status is None or f.status is status)]


def _paths(found: list[Finding]) -> set[str]:
    return {dict(f.evidence)["path"] for f in found}


def test_image_without_tag_fails_and_tag_without_digest_warns(scan: Scan) -> None:
    found = scan("workload_bad.yaml")
    latest = _of(found, "HH-K8S-001", Status.FAIL)
    assert [f.message for f in latest] == [
        'container "web" image nginx uses no tag (implies :latest)'
    ]
    assert _paths(latest) == {"spec.template.spec.containers[0].image"}
    assert latest[0].resource is not None and latest[0].resource.name == "web"
    digest = _of(found, "HH-K8S-002", Status.WARN)
    assert _paths(digest) == {"spec.template.spec.containers[1].image"}


def test_latest_tag_in_cronjob_and_pinned_image_passes(scan: Scan) -> None:
    assert _paths(_of(scan("batch.yaml"), "HH-K8S-001", Status.FAIL)) == {
        "spec.jobTemplate.spec.template.spec.containers[0].image"
    }
    good = scan("workload_good.yaml")
    assert [f.status for f in _of(good, "HH-K8S-001")] == [Status.PASS]
    assert [f.status for f in _of(good, "HH-K8S-002")] == [Status.PASS]


def test_registry_allow_list_only_when_configured(scan: Scan) -> None:
    assert _of(scan("workload_bad.yaml"), "HH-K8S-003") == []
    found = scan("workload_bad.yaml", allowed_registries=("quay.io/acme",))
    bad = _of(found, "HH-K8S-003", Status.FAIL)
    assert [f.message for f in bad] == [
        'container "web" image nginx comes from docker.io, which is not in the allowed registries'
    ]
    good = scan("workload_good.yaml", allowed_registries=("*.example.com",))
    assert [f.status for f in _of(good, "HH-K8S-003")] == [Status.PASS]


def test_missing_resources_name_the_fields(scan: Scan) -> None:
    bad = _of(scan("workload_bad.yaml"), "HH-K8S-004", Status.FAIL)
    by_path = {dict(f.evidence)["path"]: dict(f.evidence)["missing"] for f in bad}
    assert by_path == {
        "spec.template.spec.containers[0].resources": (
            "requests.cpu,requests.memory,limits.cpu,limits.memory"
        ),
        "spec.template.spec.containers[1].resources": "limits.cpu,limits.memory",
    }
    assert [f.status for f in _of(scan("workload_good.yaml"), "HH-K8S-004")] == [Status.PASS]


def test_probes_warn_for_services_not_for_jobs(scan: Scan) -> None:
    found = scan("workload_bad.yaml")
    assert {f.status for f in _of(found, "HH-K8S-005")} == {Status.WARN}
    assert len(_of(found, "HH-K8S-006", Status.WARN)) == 2
    assert _of(scan("batch.yaml"), "HH-K8S-005") == []
    good = scan("workload_good.yaml")
    assert [f.status for f in _of(good, "HH-K8S-005") + _of(good, "HH-K8S-006")] == [
        Status.PASS,
        Status.PASS,
    ]


def test_literal_secrets_in_env(scan: Scan) -> None:
    bad = _of(scan("workload_bad.yaml"), "HH-K8S-008", Status.FAIL)
    assert {dict(f.evidence)["env"] for f in bad} == {"DB_PASSWORD", "UPSTREAM"}
    assert "spec.template.spec.containers[0].env[0].value" in _paths(bad)
    # valueFrom, a token URL and a file path are not literal secrets
    assert [f.status for f in _of(scan("workload_good.yaml"), "HH-K8S-008")] == [Status.PASS]


def test_default_namespace_and_service_account(scan: Scan) -> None:
    bad = scan("workload_bad.yaml")
    assert [f.status for f in _of(bad, "HH-K8S-009")] == [Status.FAIL]
    assert [f.status for f in _of(bad, "HH-K8S-010")] == [Status.FAIL]
    good = scan("workload_good.yaml")
    assert {f.status for f in _of(good, "HH-K8S-009")} == {Status.PASS}
    assert [f.status for f in _of(good, "HH-K8S-010")] == [Status.PASS]


def test_automount_token_warns_unless_disabled(scan: Scan) -> None:
    bad = _of(scan("workload_bad.yaml"), "HH-K8S-007")
    assert [f.status for f in bad] == [Status.WARN]
    # the ServiceAccount of the good workload sets automountServiceAccountToken: false
    assert [f.status for f in _of(scan("workload_good.yaml"), "HH-K8S-007")] == [Status.PASS]


def test_writable_root_filesystem(scan: Scan) -> None:
    bad = _of(scan("workload_bad.yaml"), "HH-K8S-011", Status.FAIL)
    assert _paths(bad) == {
        "spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem",
        "spec.template.spec.containers[1].securityContext.readOnlyRootFilesystem",
    }
    assert [f.status for f in _of(scan("workload_good.yaml"), "HH-K8S-011")] == [Status.PASS]


def test_sensitive_host_paths(scan: Scan) -> None:
    bad = _of(scan("workload_bad.yaml"), "HH-K8S-012", Status.FAIL)
    assert {dict(f.evidence)["hostPath"]: f.severity for f in bad} == {
        "/var/run/docker.sock": Severity.CRITICAL,
        "/var/lib/kubelet/pods": Severity.HIGH,
    }
    root = _of(scan("batch.yaml"), "HH-K8S-012", Status.FAIL)
    assert [f.message for f in root] == [
        'volume "root" mounts host path /, which is the host\'s root filesystem, mounted by backup'
    ]
    assert [f.status for f in _of(scan("workload_good.yaml"), "HH-K8S-012")] == [Status.PASS]


def test_findings_are_posture_kind_with_resource(scan: Scan) -> None:
    for f in scan("workload_bad.yaml"):
        assert f.kind.value == "posture"
        assert f.resource is not None
        assert f.rule_id.startswith("HH-K8S-")
