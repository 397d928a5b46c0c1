"""Public API of hardhull.posture.pss: versions, levels, workloads, wording, metadata."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hardhull.errors import HardhullError
from hardhull.posture.pss import (
    CHECKS,
    CHECKS_BY_ID,
    LATEST_VERSION,
    PssResult,
    active_checks,
    evaluate_pod,
    parse_version,
    pod_spec_of,
    walk,
)
from hardhull.posture.pss.helpers import present_keys


def _pod(**spec: Any) -> dict[str, Any]:
    return {"containers": [{"name": "c1", "image": "x"}], **spec}


def test_pss_parse_version() -> None:
    assert parse_version("latest") == LATEST_VERSION
    assert parse_version("v1.29") < parse_version("v1.30") < LATEST_VERSION
    assert parse_version("v1.0").minor == 0
    assert str(parse_version("v1.31")) == "v1.31"


@pytest.mark.parametrize("bad", ["", "1.29", "v0.9", "v2.0", "v1.", "v1.01", "newest", "v1.x"])
def test_pss_parse_version_rejects(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_version(bad)
    assert isinstance(info.value, HardhullError)
    assert "Pod Security Standards version" in str(info.value)


def test_pss_unknown_level_is_an_error() -> None:
    with pytest.raises(HardhullError):
        evaluate_pod({}, _pod(), "strict", "latest")


def test_pss_privileged_level_has_no_checks() -> None:
    assert evaluate_pod({}, _pod(hostNetwork=True), "privileged", "latest") == []


def test_pss_baseline_reports_passes_too() -> None:
    results = evaluate_pod({}, _pod(), "baseline", "latest")
    assert all(isinstance(r, PssResult) and r.allowed for r in results)
    ids = [r.check_id for r in results]
    assert "privileged" in ids
    assert "runAsNonRoot" not in ids
    assert "hostProbesAndHostLifecycle" in ids


def test_pss_version_gates_checks() -> None:
    ids_122 = {r.check_id for r in evaluate_pod({}, _pod(), "restricted", "v1.22")}
    assert "runAsUser" not in ids_122
    assert "capabilities_restricted" in ids_122
    assert "capabilities_baseline" not in ids_122  # overridden
    assert "hostPathVolumes" not in ids_122  # overridden by restrictedVolumes
    ids_10 = {r.check_id for r in evaluate_pod({}, _pod(), "restricted", "v1.0")}
    assert {"capabilities_baseline", "seccompProfile_baseline"} <= ids_10
    assert "allowPrivilegeEscalation" not in ids_10


def _detail(spec: dict[str, Any], check: str, level: str = "baseline") -> tuple[str, str]:
    for r in evaluate_pod({}, spec, level, "latest"):
        if r.check_id == check:
            assert not r.allowed
            return r.forbidden_reason, r.forbidden_detail
    raise AssertionError(check)


def test_pss_wording_like_psa() -> None:
    spec = {
        "containers": [
            {"name": "a", "securityContext": {"privileged": True}},
            {"name": "b", "securityContext": {"privileged": True}},
        ]
    }
    assert _detail(spec, "privileged") == (
        "privileged",
        'containers "a", "b" must not set securityContext.privileged=true',
    )
    spec = _pod(hostNetwork=True, hostIPC=True)
    assert _detail(spec, "hostNamespaces") == ("host namespaces", "hostNetwork=true, hostIPC=true")
    spec = {"containers": [{"name": "a", "ports": [{"hostPort": 80}, {"hostPort": 81}]}]}
    assert _detail(spec, "hostPorts") == ("hostPort", 'container "a" uses hostPorts 80, 81')
    spec = {"containers": [{"name": "a"}], "securityContext": {"runAsNonRoot": False}}
    assert _detail(spec, "runAsNonRoot", "restricted") == (
        "runAsNonRoot != true",
        "pod must not set securityContext.runAsNonRoot=false",
    )
    spec = {"containers": [{"name": "a"}]}
    assert _detail(spec, "capabilities_restricted", "restricted") == (
        "unrestricted capabilities",
        'container "a" must set securityContext.capabilities.drop=["ALL"]',
    )
    assert _detail(spec, "seccompProfile_restricted", "restricted")[1] == (
        'pod or container "a" must set securityContext.seccompProfile.type to '
        '"RuntimeDefault" or "Localhost"'
    )
    spec = _pod(securityContext={"sysctls": [{"name": "kernel.msgmax"}, {"name": "a.b"}]})
    assert _detail(spec, "sysctls") == ("forbidden sysctls", "kernel.msgmax, a.b")
    spec = _pod(volumes=[{"name": "v", "hostPath": {"path": "/"}}])
    assert _detail(spec, "restrictedVolumes", "restricted") == (
        "restricted volume types",
        'volume "v" uses restricted volume type "hostPath"',
    )


def test_pss_checks_metadata() -> None:
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids))
    assert CHECKS_BY_ID["sysctls"].version_ranges() == (
        ("v1.0", "v1.26"),
        ("v1.27", "v1.28"),
        ("v1.29", "v1.31"),
        ("v1.32", None),
    )
    assert CHECKS_BY_ID["runAsUser"].level == "restricted"
    assert all(c.description for c in CHECKS)


TEMPLATE = {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "c"}]}}


@pytest.mark.parametrize(
    "kind",
    ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"],
)
def test_pss_pod_spec_of_workloads(kind: str) -> None:
    obj = {"kind": kind, "spec": {"template": TEMPLATE}}
    assert pod_spec_of(obj) == (TEMPLATE["metadata"], TEMPLATE["spec"])


def test_pss_pod_spec_of_pod_and_cronjob() -> None:
    pod = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []}}
    assert pod_spec_of(pod) == ({"name": "p"}, {"containers": []})
    cron = {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": TEMPLATE}}}}
    assert pod_spec_of(cron) == (TEMPLATE["metadata"], TEMPLATE["spec"])
    assert pod_spec_of({"kind": "Service", "spec": {}}) is None
    assert pod_spec_of({"kind": "Deployment", "spec": {}}) is None


def _fixture_pods() -> list[tuple[str, Any, Any]]:
    import yaml

    root = Path(__file__).resolve().parents[2] / "fixtures"
    pods: list[tuple[str, Any, Any]] = []
    for path in sorted((root / "pss").glob("*/*.yaml")):
        pod = yaml.safe_load(path.read_text())["pod"]
        pods.append((str(path), pod.get("metadata") or {}, pod.get("spec") or {}))
    for path in sorted((root / "pss-upstream").rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            parts = pod_spec_of(doc) if isinstance(doc, dict) else None
            if parts is not None:
                pods.append((str(path), *parts))
    return pods


def test_variant_needs_never_skips_a_forbidding_check() -> None:
    """A variant with ``needs`` forbids only pods that set one of those fields: checked
    by calling every such variant directly on every fixture pod (the evaluator skips
    the call when none is set)."""
    pods = _fixture_pods()
    assert len(pods) > 100
    forbidding = 0
    for check in CHECKS:
        for variant in check.variants:
            if not variant.needs:
                continue
            for name, meta, spec in pods:
                cs = walk(spec)
                if not variant.fn(meta, spec, cs).allowed:
                    forbidding += 1
                    present = present_keys(meta, spec, cs)
                    assert not variant.needs.isdisjoint(present), (check.id, name)
    assert forbidding > 50  # the fixtures do exercise the failing side


def test_variant_needs_skip_gives_the_same_results() -> None:
    for _, meta, spec in _fixture_pods():
        for level in ("baseline", "restricted"):
            for version in ("v1.0", "v1.19", "v1.25", "v1.31", "latest"):
                fast = evaluate_pod(meta, spec, level, version)
                slow = [
                    (check.id, variant.fn(meta, spec, walk(spec)).allowed)
                    for check, variant in active_checks(level, version)
                ]
                assert [(r.check_id, r.allowed) for r in fast] == slow
