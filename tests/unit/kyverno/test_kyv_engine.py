"""Kyverno rule evaluation: foreach with element, namespaced Policy, actions, load errors."""

from __future__ import annotations

from typing import Any

from hardhull.policy.base import Action, AdmissionInput, Result
from hardhull.policy.loader import compile_documents, parse_documents

POLICIES = """\
apiVersion: kyverno.io/v1
kind: Policy
metadata: {name: ns-only, namespace: team}
spec:
  validationFailureAction: Enforce
  rules:
  - name: no-host-port
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: "container {{ element.name }} uses a host port"
      foreach:
      - list: "request.object.spec.containers"
        preconditions:
          all:
          - {key: "{{ element.name }}", operator: NotEquals, value: "sidecar-*"}
        deny:
          conditions:
            any:
            - {key: "{{ element.ports[].hostPort || `[]` }}", operator: AnyIn, value: "1-65535"}
---
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: audit-rule
  annotations: {policies.kyverno.io/scored: "false"}
spec:
  validationFailureAction: Enforce
  rules:
  - name: label
    match: {any: [{resources: {kinds: [v1/Pod], operations: [CREATE]}}]}
    validate:
      failureAction: Audit
      pattern: {metadata: {labels: {team: "?*"}}}
  - name: bad-jmespath
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      deny: {conditions: {all: [{key: "{{ request.object.[ }}", operator: Equals, value: 1}]}}
"""


def _pod(ns: str, containers: list[dict[str, Any]]) -> AdmissionInput:
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": ns}}
    obj["spec"] = {"containers": containers}
    return AdmissionInput(obj=obj, kind="Pod", api_version="v1", namespace=ns, name="p")


def _load() -> tuple[Any, Any]:
    docs, errs = parse_documents(POLICIES, "mem.yaml")
    assert not errs
    loaded = compile_documents(docs)
    return {p.name: p for p in loaded.policies}, loaded.errors


def test_kyv_foreach_element_and_namespace() -> None:
    policies, _ = _load()
    ns_only = policies["ns-only"]
    bad = _pod("team", [{"name": "web", "ports": [{"hostPort": 80}]}])
    [res] = ns_only.evaluate(bad)
    assert res.result == Result.FAIL
    assert "container web uses a host port" in res.message
    assert res.action == Action.DENY
    sidecar = _pod("team", [{"name": "sidecar-x", "ports": [{"hostPort": 80}]}])
    assert [r.result for r in ns_only.evaluate(sidecar)] == [Result.SKIP]
    assert ns_only.evaluate(_pod("other", [{"name": "web", "ports": [{"hostPort": 80}]}])) == []
    ok = _pod("team", [{"name": "web", "ports": [{"containerPort": 80}]}])
    assert [r.result for r in ns_only.evaluate(ok)] == [Result.PASS]


def test_kyv_actions_warn_and_load_errors() -> None:
    policies, errors = _load()
    results = {r.rule: r for r in policies["audit-rule"].evaluate(_pod("x", []))}
    assert results["label"].result == Result.WARN  # unscored fail
    assert results["label"].action == Action.AUDIT
    assert results["bad-jmespath"].result == Result.ERROR
    [err] = [e for e in errors if "bad-jmespath" in e.message]
    assert err.pos.file == "mem.yaml"
    assert err.pos.line == POLICIES.splitlines().index("  - name: bad-jmespath") + 1
