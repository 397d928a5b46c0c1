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
from hardhull.policy.kyverno.variables import substitute


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
