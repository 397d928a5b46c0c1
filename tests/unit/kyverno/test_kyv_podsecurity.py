"""Kyverno ``validate.podSecurity``: levels, versions, exclusions, autogen, load errors."""

from __future__ import annotations

from typing import Any

import pytest

from hardhull.policy.base import AdmissionInput, Result, RuleResult
from hardhull.policy.loader import compile_documents, parse_documents


def _policy(podsecurity: str, name: str = "psa") -> str:
    body = "\n".join("        " + line for line in podsecurity.strip().splitlines())
    return f"""\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {{name: {name}}}
spec:
  validationFailureAction: Enforce
  rules:
  - name: pss
    match: {{any: [{{resources: {{kinds: [Pod]}}}}]}}
    validate:
      podSecurity:
{body}
"""


def _load(text: str) -> tuple[list[Any], list[Any]]:
    docs, errs = parse_documents(text, "psa.yaml")
    assert not errs
    loaded = compile_documents(docs)
    return list(loaded.policies), list(loaded.errors)


def _pod(spec: dict[str, Any], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "p", "namespace": "default"}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def _run(text: str, obj: dict[str, Any]) -> list[RuleResult]:
    policies, errors = _load(text)
    assert not errors, errors
    inp = AdmissionInput(obj=obj, kind=obj["kind"], namespace="default", name="p")
    return [r for p in policies for r in p.evaluate(inp)]


def _one(text: str, obj: dict[str, Any]) -> RuleResult:
    results = _run(text, obj)
    assert len(results) == 1, results
    return results[0]


PLAIN = {"containers": [{"name": "c", "image": "busybox:1.28"}]}
RESTRICTED_SC = {
    "allowPrivilegeEscalation": False,
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
    "capabilities": {"drop": ["ALL"]},
}
BASELINE = "level: baseline\nversion: latest"
RESTRICTED = "level: restricted\nversion: latest"


def test_baseline_pass_and_fail() -> None:
    assert _one(_policy(BASELINE), _pod(PLAIN)).result == Result.PASS
    bad = _one(_policy(BASELINE), _pod({**PLAIN, "hostIPC": True}))
    assert bad.result == Result.FAIL
    assert 'PodSecurity "baseline:latest"' in bad.message
    assert "Host Namespaces (hostNamespaces)" in bad.message
    assert "spec.hostIPC=['true']" in bad.message


def test_restricted_pass_and_fail() -> None:
    good = {"containers": [{"name": "c", "image": "busybox", "securityContext": RESTRICTED_SC}]}
    assert _one(_policy(RESTRICTED), _pod(good)).result == Result.PASS
    bad = _one(_policy(RESTRICTED), _pod(PLAIN))
    assert bad.result == Result.FAIL
    for control in ("Privilege Escalation", "Running as Non-root", "Seccomp", "Capabilities"):
        assert f"({control} (" in bad.message
    # the same plain pod is fine at baseline: restricted adds its own checks
    assert _one(_policy(BASELINE), _pod(PLAIN)).result == Result.PASS


def test_privileged_level_allows_everything() -> None:
    spec = {**PLAIN, "hostPID": True, "hostNetwork": True}
    assert _one(_policy("level: privileged"), _pod(spec)).result == Result.PASS


def test_exclude_pod_level_control_by_name() -> None:
    policy = _policy(BASELINE + "\nexclude:\n- controlName: Host Namespaces")
    assert _one(policy, _pod({**PLAIN, "hostIPC": True})).result == Result.PASS
    # other controls still apply
    priv = {
        "hostIPC": True,
        "containers": [{"name": "c", "image": "x", "securityContext": {"privileged": True}}],
    }
    result = _one(policy, _pod(priv))
    assert result.result == Result.FAIL
    assert "Privileged Containers" in result.message
    assert "Host Namespaces" not in result.message


def test_exclude_container_level_control_with_images() -> None:
    policy = _policy(
        RESTRICTED + "\nexclude:\n- controlName: Capabilities\n  images: [nginx*, redis*]"
    )
    caps = {**RESTRICTED_SC, "capabilities": {"add": ["SYS_ADMIN"], "drop": ["ALL"]}}
    nginx = {"containers": [{"name": "c", "image": "nginx:1.1.9", "securityContext": caps}]}
    assert _one(policy, _pod(nginx)).result == Result.PASS
    busybox = {"containers": [{"name": "c", "image": "busybox:1.28", "securityContext": caps}]}
    result = _one(policy, _pod(busybox))
    assert result.result == Result.FAIL
    assert "spec.containers[0].securityContext.capabilities.add=['SYS_ADMIN']" in result.message
    # one matching and one non-matching container: the other one still fails
    both = {
        "containers": [
            {"name": "a", "image": "redis:7", "securityContext": caps},
            {"name": "b", "image": "busybox", "securityContext": caps},
        ]
    }
    mixed = _one(policy, _pod(both))
    assert mixed.result == Result.FAIL
    assert "spec.containers[1].securityContext.capabilities.add" in mixed.message
    assert "spec.containers[0]" not in mixed.message


def test_exclude_seccomp_at_both_levels() -> None:
    # kyverno/policies restricted-exclude-seccomp: controlName alone covers the pod-level
    # field, controlName + images '*' the containers' fields.
    policy = _policy(
        RESTRICTED + "\nexclude:\n- controlName: Seccomp\n- controlName: Seccomp\n  images: ['*']"
    )
    sc = {
        "allowPrivilegeEscalation": False,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    spec = {
        "securityContext": {"seccompProfile": {"type": "Unconfined"}},
        "containers": [{"name": "c", "image": "busybox:1.28", "securityContext": sc}],
    }
    assert _one(policy, _pod(spec)).result == Result.PASS
    no_nonroot = {**sc}
    del no_nonroot["runAsNonRoot"]
    spec["containers"] = [{"name": "c", "image": "busybox:1.28", "securityContext": no_nonroot}]
    result = _one(policy, _pod(spec))
    assert result.result == Result.FAIL
    assert "Running as Non-root (runAsNonRoot)" in result.message
    assert "Seccomp" not in result.message
    # only the pod-level entry: the container that inherits an invalid profile still fails
    only_pod = _policy(RESTRICTED + "\nexclude:\n- controlName: Seccomp")
    spec["containers"] = [{"name": "c", "image": "busybox:1.28", "securityContext": sc}]
    result = _one(only_pod, _pod(spec))
    assert result.result == Result.FAIL
    assert "spec.containers[0].securityContext.seccompProfile.type (unset)" in result.message


def test_exclude_restricted_field_and_values() -> None:
    policy = _policy(
        BASELINE
        + """
exclude:
- controlName: Capabilities
  images: [nginx*]
  restrictedField: spec.containers[*].securityContext.capabilities.add
  values: [FOO, BAR]
"""
    )

    def pod(image: str, caps: list[str]) -> dict[str, Any]:
        sc = {"capabilities": {"add": caps}}
        return _pod({"containers": [{"name": "n", "image": image, "securityContext": sc}]})

    assert _one(policy, pod("nginx:latest", ["FOO"])).result == Result.PASS
    assert _one(policy, pod("nginx:latest", ["FOO", "BAR"])).result == Result.PASS
    assert _one(policy, pod("nginx:latest", ["BAZ"])).result == Result.FAIL
    assert _one(policy, pod("nginx:latest", ["FOO", "BAZ"])).result == Result.FAIL
    assert _one(policy, pod("busybox", ["FOO"])).result == Result.FAIL


def test_exclude_pod_level_restricted_field_values() -> None:
    policy = _policy(
        BASELINE
        + """
exclude:
- controlName: Sysctls
  restrictedField: spec.securityContext.sysctls[*].name
  values: [kernel.msg*]
"""
    )

    def pod(*names: str) -> dict[str, Any]:
        sysctls = [{"name": n, "value": "1"} for n in names]
        return _pod({**PLAIN, "securityContext": {"sysctls": sysctls}})

    assert _one(policy, pod("kernel.msgmax")).result == Result.PASS
    assert _one(policy, pod("kernel.msgmax", "net.ipv4.tcp_syncookies")).result == Result.PASS
    failed = _one(policy, pod("kernel.msgmax", "vm.swappiness"))
    assert failed.result == Result.FAIL
    assert "vm.swappiness" in failed.message


def test_version_pinning_changes_the_outcome() -> None:
    # net.ipv4.tcp_keepalive_time became an allowed sysctl in v1.29
    spec = {**PLAIN, "securityContext": {"sysctls": [{"name": "net.ipv4.tcp_keepalive_time"}]}}
    old = _one(_policy("level: baseline\nversion: v1.28"), _pod(spec))
    assert old.result == Result.FAIL
    assert 'PodSecurity "baseline:v1.28"' in old.message
    assert _one(_policy("level: baseline\nversion: v1.29"), _pod(spec)).result == Result.PASS
    assert _one(_policy("level: baseline"), _pod(spec)).result == Result.PASS  # latest
    # capabilities_restricted only exists from v1.22
    sc = {k: v for k, v in RESTRICTED_SC.items() if k != "capabilities"}
    nodrop = {"containers": [{"name": "c", "image": "x", "securityContext": sc}]}
    assert _one(_policy("level: restricted\nversion: v1.21"), _pod(nodrop)).result == Result.PASS
    assert _one(_policy("level: restricted\nversion: v1.22"), _pod(nodrop)).result == Result.FAIL


def test_autogen_on_pod_controllers() -> None:
    policy = _policy(BASELINE + "\nexclude:\n- controlName: Host Namespaces")
    template = {"metadata": {"labels": {"a": "b"}}, "spec": {**PLAIN, "hostPID": True}}
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"template": template},
    }
    result = _one(policy, deploy)
    assert (result.rule, result.result) == ("autogen-pss", Result.PASS)
    bad_spec = {"containers": [{"name": "c", "image": "x", "ports": [{"hostPort": 80}]}]}
    deploy["spec"] = {"template": {"spec": bad_spec}}
    result = _one(policy, deploy)
    assert (result.rule, result.result) == ("autogen-pss", Result.FAIL)
    assert "spec.containers[0].ports[*].hostPort=['80']" in result.message
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": bad_spec}}}},
    }
    result = _one(policy, cron)
    assert (result.rule, result.result) == ("autogen-cronjob-pss", Result.FAIL)


@pytest.mark.parametrize(
    ("block", "reason"),
    [
        ("level: strict", "level must be one of"),
        ("level: baseline\nversion: v2.1", "invalid Pod Security Standards version"),
        (
            "level: baseline\nexclude:\n- controlName: Nope",
            "is not a Pod Security Standards control",
        ),
        ("level: baseline\nexclude:\n- controlName: Capabilities", "images must be set"),
        (
            "level: baseline\nexclude:\n- controlName: Host Namespaces\n  images: ['*']",
            "images must not be set",
        ),
        (
            "level: baseline\nexclude:\n- controlName: Host Namespaces\n"
            "  restrictedField: spec.hostPID",
            "values are required",
        ),
        (
            "level: baseline\nexclude:\n- controlName: Host Namespaces\n"
            "  restrictedField: spec.hostUsers\n  values: ['true']",
            "is not a field of Host Namespaces",
        ),
        ("level: baseline\nexclude: {controlName: Seccomp}", "exclude must be a list"),
    ],
)
def test_malformed_blocks_are_load_errors_and_rules_error(block: str, reason: str) -> None:
    policies, errors = _load(_policy(block))
    assert len(errors) == 1
    assert reason in errors[0].message
    assert str(errors[0].pos) == "psa.yaml:7"
    inp = AdmissionInput(obj=_pod(PLAIN), kind="Pod", namespace="default", name="p")
    results = policies[0].evaluate(inp)
    assert [r.result for r in results] == [Result.ERROR]


def test_non_pod_resource_is_an_error() -> None:
    policy = _policy(BASELINE).replace("kinds: [Pod]", "kinds: [ConfigMap]")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "p"}, "data": {}}
    result = _one(policy, cm)
    assert result.result == Result.ERROR
    assert "no pod spec" in result.message


def test_restricted_field_names_the_container_list() -> None:
    priv = {"privileged": True}
    spec = {
        "initContainers": [{"name": "init", "image": "istio/proxy:1", "securityContext": priv}],
        "containers": [{"name": "c", "image": "busybox"}],
    }
    any_list = _policy(
        BASELINE + "\nexclude:\n- controlName: Privileged Containers\n  images: [istio/*]"
    )
    assert _one(any_list, _pod(spec)).result == Result.PASS
    containers_only = _policy(
        BASELINE
        + """
exclude:
- controlName: Privileged Containers
  images: [istio/*]
  restrictedField: spec.containers[*].securityContext.privileged
  values: ["true"]
"""
    )
    result = _one(containers_only, _pod(spec))
    assert result.result == Result.FAIL
    assert "spec.initContainers[0].securityContext.privileged=['true']" in result.message
    init_only = containers_only.replace("spec.containers[*]", "spec.initContainers[*]")
    assert _one(init_only, _pod(spec)).result == Result.PASS


def test_metadata_level_apparmor_and_mixed_run_as_user() -> None:
    annotations = {"container.apparmor.security.beta.kubernetes.io/c": "unconfined"}
    apparmor = _policy(BASELINE + "\nexclude:\n- controlName: AppArmor")
    assert _one(apparmor, _pod(PLAIN, annotations)).result == Result.PASS
    assert _one(_policy(BASELINE), _pod(PLAIN, annotations)).result == Result.FAIL
    root_sc = {**RESTRICTED_SC, "runAsUser": 0}
    spec = {"containers": [{"name": "c", "image": "legacy/app:2", "securityContext": root_sc}]}
    by_image = _policy(
        RESTRICTED + "\nexclude:\n- controlName: Running as Non-root user\n  images: [legacy/*]"
    )
    assert _one(by_image, _pod(spec)).result == Result.PASS
    # the pod-level entry alone does not cover a container's runAsUser...
    pod_only = _policy(RESTRICTED + "\nexclude:\n- controlName: Running as Non-root user")
    assert _one(pod_only, _pod(spec)).result == Result.FAIL
    # ...but does cover the pod's own
    pod_spec = {
        "securityContext": {"runAsUser": 0},
        "containers": [{"name": "c", "image": "x", "securityContext": RESTRICTED_SC}],
    }
    assert _one(pod_only, _pod(pod_spec)).result == Result.PASS
