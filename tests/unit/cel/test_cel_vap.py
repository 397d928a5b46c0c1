"""ValidatingAdmissionPolicy + binding: matching, params, variables, messages, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hardhull.policy.base import Action, AdmissionInput, Result, SourcePos
from hardhull.policy.cel import load_cel_documents

FIXTURES = Path(__file__).parents[2] / "fixtures" / "cel"
PARAMS = [
    {
        "apiVersion": "hardhull.dev/v1",
        "kind": "ReplicaLimit",
        "metadata": {"name": "limits", "namespace": "default"},
        "maxReplicas": 3,
    }
]


def _docs(name: str) -> list[tuple[dict[str, Any], SourcePos]]:
    text = (FIXTURES / name).read_text()
    return [(d, SourcePos(name)) for d in yaml.safe_load_all(text) if d]


def deployment(replicas: int = 2, privileged: bool = False, memory: str = "1Gi") -> dict[str, Any]:
    container = {
        "name": "app",
        "image": "nginx:1.27",
        "securityContext": {"privileged": privileged},
        "resources": {"limits": {"memory": memory}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [container]}}},
    }


def inp(
    obj: dict[str, Any], namespace: str = "default", operation: str = "CREATE"
) -> AdmissionInput:
    return AdmissionInput(obj=obj, operation=operation, namespace=namespace, name="web")


def test_passing_deployment_gives_one_pass_per_validation() -> None:
    policies, errors = load_cel_documents(_docs("vap-basic.yaml"), PARAMS)
    assert errors == []
    [policy] = policies
    results = policy.evaluate(inp(deployment()))
    assert [(r.rule, r.result) for r in results] == [
        ("validation[0]", Result.PASS),
        ("validation[1]", Result.PASS),
        ("validation[2]", Result.PASS),
    ]
    assert all(r.action is Action.WARN for r in results)
    assert results[0].audit_annotations == (("replicas-limit/replicas", "2"),)


def test_failures_carry_message_expression_and_static_message() -> None:
    [policy], _ = load_cel_documents(_docs("vap-basic.yaml"), PARAMS)
    results = policy.evaluate(inp(deployment(replicas=5, privileged=True, memory="3Gi")))
    assert [r.result for r in results] == [Result.FAIL] * 3
    assert results[0].message == "replicas 5 > 3"
    assert results[1].message == "privileged containers are not allowed"
    assert results[2].message == "memory limit must be below 2Gi"


def test_match_condition_false_and_out_of_scope_give_nothing() -> None:
    [policy], _ = load_cel_documents(_docs("vap-basic.yaml"), PARAMS)
    assert policy.evaluate(inp(deployment(), namespace="kube-system")) == []
    assert policy.evaluate(inp(deployment(), namespace="ignored")) == []
    assert not policy.applies_to(inp(deployment(), operation="DELETE"))
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}
    assert not policy.applies_to(inp(pod))


def test_missing_params_deny() -> None:
    [policy], _ = load_cel_documents(_docs("vap-basic.yaml"), [])
    [result] = policy.evaluate(inp(deployment()))
    assert result.result is Result.FAIL
    assert "no params found" in result.message


def test_runtime_error_follows_failure_policy() -> None:
    [policy], _ = load_cel_documents(_docs("vap-basic.yaml"), PARAMS)
    bad = deployment()
    del bad["spec"]["replicas"]
    results = policy.evaluate(inp(bad))
    assert results[0].result is Result.ERROR
    assert "failurePolicy Fail" in results[0].message
