"""The per-policy work hoisted out of the request path gives the same answers: Kyverno
candidate kinds, the shared Kyverno request context, variable-free patterns, and the
memoised VAP resource rules."""

from __future__ import annotations

from typing import Any

import pytest

from hardhull.policy.base import AdmissionInput
from hardhull.policy.cel.match import MatchResources
from hardhull.policy.kyverno.engine import shared_context
from hardhull.policy.kyverno.match import block_matches, candidate_kinds
from hardhull.policy.kyverno.variables import field_path, query, substitute


def _inp(kind: str, api_version: str = "v1", **kw: Any) -> AdmissionInput:
    obj = {"apiVersion": api_version, "kind": kind, "metadata": {"name": kw.get("name", "x")}}
    return AdmissionInput(obj=obj, kind=kind, api_version=api_version, **kw)


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ({"any": [{"resources": {"kinds": ["Pod"]}}]}, {"Pod"}),
        ({"any": [{"resources": {"kinds": ["apps/v1/Deployment", "Pod/exec"]}}]},
         {"Deployment", "Pod"}),
        ({"any": [{"resources": {"kinds": ["Pod"]}}, {"resources": {"names": ["a"]}}]}, None),
        ({"all": [{"resources": {"names": ["a"]}}, {"resources": {"kinds": ["Pod"]}}]}, {"Pod"}),
        ({"resources": {"kinds": ["Po*"]}}, None),
        ({"resources": {"kinds": ["ConfigMap"]}}, {"ConfigMap"}),
        ({}, None),
    ],
)  # fmt: skip
def test_candidate_kinds(block: dict[str, Any], expected: set[str] | None) -> None:
    assert candidate_kinds(block) == (None if expected is None else frozenset(expected))


@pytest.mark.parametrize("kind", ["Pod", "Deployment", "ConfigMap", "Namespace"])
def test_candidate_kinds_never_exclude_a_kind_the_block_matches(kind: str) -> None:
    blocks = [
        {"any": [{"resources": {"kinds": ["Pod", "apps/v1/Deployment"]}}]},
        {"all": [{"resources": {"kinds": ["*"]}}]},
        {"resources": {"kinds": ["Pod/exec"]}},
        {"any": [{"resources": {"kinds": ["ConfigMap"], "names": ["x"]}}]},
    ]
    api = "apps/v1" if kind == "Deployment" else "v1"
    for block in blocks:
        kinds = candidate_kinds(block)
        inp = _inp(kind, api, name="x")
        if block_matches(block, inp, empty=False):
            assert kinds is None or kind in kinds


def test_shared_context_is_built_once_per_input() -> None:
    a, b = _inp("Pod"), _inp("Pod")
    first = shared_context(a)
    assert shared_context(a) is first
    assert shared_context(b) is not first
    assert shared_context(b)["request"]["object"] == dict(b.obj or {})


def test_substitute_keeps_variable_free_patterns_and_still_substitutes_others() -> None:
    constant = {"spec": {"containers": [{"image": "!*:latest"}]}}
    assert substitute(constant, {}) is constant
    assert substitute(constant, {}) is constant
    templated = {"metadata": {"name": "{{ request.name }}"}}
    data = {"request": {"name": "web"}}
    assert substitute(templated, data) == {"metadata": {"name": "web"}}
    assert substitute(templated, {"request": {"name": "db"}}) == {"metadata": {"name": "db"}}


def test_memoised_resource_rules_follow_operation_name_and_scope() -> None:
    match = MatchResources.parse(
        {
            "resourceRules": [
                {
                    "apiGroups": ["apps"],
                    "apiVersions": ["v1"],
                    "operations": ["CREATE"],
                    "resources": ["deployments"],
                    "resourceNames": ["web"],
                    "scope": "Namespaced",
                }
            ]
        }
    )

    def dep(**kw: Any) -> AdmissionInput:
        base: dict[str, Any] = {"operation": "CREATE", "name": "web", "namespace": "shop"}
        return _inp("Deployment", "apps/v1", resource="deployments", **(base | kw))

    assert match.matches(dep())
    assert match.matches(dep())  # memoised
    assert not match.matches(dep(operation="UPDATE"))
    assert not match.matches(dep(name="db"))
    assert not match.matches(dep(namespace=""))
    assert match.matches(dep())


def test_memoised_kyverno_blocks_follow_names_namespaces_and_operations() -> None:
    block = {
        "any": [
            {
                "resources": {
                    "kinds": ["Pod"],
                    "names": ["web-*"],
                    "namespaces": ["shop"],
                    "operations": ["CREATE"],
                }
            }
        ]
    }

    def pod(**kw: Any) -> AdmissionInput:
        base: dict[str, Any] = {"operation": "CREATE", "name": "web-1", "namespace": "shop"}
        return _inp("Pod", **(base | kw))

    for _ in range(2):  # the second round is answered from the memo
        assert block_matches(block, pod(), empty=False)
        assert not block_matches(block, pod(name="db-1"), empty=False)
        assert not block_matches(block, pod(namespace="dev"), empty=False)
        assert not block_matches(block, pod(operation="DELETE"), empty=False)
    selector = {"any": [{"resources": {"kinds": ["Pod"], "selector": {"matchLabels": {"a": "b"}}}}]}
    labelled = AdmissionInput(
        obj={"kind": "Pod", "metadata": {"name": "x", "labels": {"a": "b"}}}, kind="Pod"
    )
    assert block_matches(selector, labelled, empty=False)
    assert not block_matches(selector, _inp("Pod"), empty=False)  # not memoised on kind


@pytest.mark.parametrize(
    ("expr", "data", "expected"),
    [
        ("request.object.metadata.name", {"request": {"object": {"metadata": {"name": "a"}}}}, "a"),
        ("request.missing.name", {"request": {}}, None),
        ("request.list.name", {"request": {"list": [1, 2]}}, None),
        ("request.text.name", {"request": {"text": "abc"}}, None),
        ('"odd key".x', {"odd key": {"x": 1}}, 1),
        ("element", {"element": [1]}, [1]),
    ],
)
def test_field_chains_answer_as_jmespath_does(expr: str, data: Any, expected: Any) -> None:
    import jmespath

    assert field_path(expr) is not None
    assert query(expr, data) == expected == jmespath.search(expr, data)


def test_other_expressions_still_go_through_jmespath() -> None:
    assert field_path("request.object.spec.containers[].name") is None
    data = {"request": {"object": {"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}}}
    assert query("request.object.spec.containers[].name", data) == ["a", "b"]
