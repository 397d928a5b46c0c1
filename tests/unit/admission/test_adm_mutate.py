"""``POST /mutate`` with Kyverno mutate policies: one JSONPatch, correct for the original
object, that sets the defaults (policies apply in order, each seeing the previous result)."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from tests.unit.admission.adm_support import deployment, review

from hardhull.admission.config import AdmissionConfig
from hardhull.admission.engine import AdmissionEngine
from hardhull.admission.server import AdmissionApp
from hardhull.policy import jsonpatch
from hardhull.policy.base import AdmissionInput, Result, RuleResult, SourcePos
from hardhull.policy.loader import compile_documents, parse_documents

POLICIES = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: pod-defaults}
spec:
  rules:
  - name: security-and-resources
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate:
      patchStrategicMerge:
        spec:
          securityContext:
            +(runAsNonRoot): true
          containers:
          - (name): "*"
            resources:
              +(requests): {cpu: 100m, memory: 128Mi}
              +(limits): {memory: 256Mi}
---
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: bigger-memory}
spec:
  validationFailureAction: Enforce
  rules:
  - name: raise-first-limit
    match: {any: [{resources: {kinds: [Pod], namespaces: [batch]}}]}
    mutate:
      patchesJson6902: |-
        - {op: replace, path: /spec/containers/0/resources/limits/memory, value: 512Mi}
        - {op: add, path: /metadata/labels/defaulted-by, value: hardhull}
  - name: deny-everything
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      deny: {}
"""


def _app() -> AdmissionApp:
    docs, errs = parse_documents(POLICIES, "defaults.yaml")
    assert not errs
    loaded = compile_documents(docs)
    assert not loaded.errors
    return AdmissionApp(AdmissionEngine(loaded.policies, AdmissionConfig(pss=None)))


def _post(app: AdmissionApp, body: dict[str, Any], path: str = "/mutate") -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://adm") as client:
            resp = await client.post(path, json=body)
            assert resp.status_code == 200
            out: dict[str, Any] = resp.json()["response"]
            return out

    return asyncio.run(go())


def _pod(ns: str, container: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": ns, "labels": {"app": "web"}},
        "spec": {"containers": [container, {"name": "sidecar", "image": "proxy:2"}]},
    }


def _patched(original: dict[str, Any], response: dict[str, Any]) -> Any:
    assert response["allowed"] is True
    assert response["patchType"] == "JSONPatch"
    ops = json.loads(base64.b64decode(response["patch"]))
    return jsonpatch.apply(original, ops)


def test_mutate_sets_defaults_with_one_patch_for_the_original() -> None:
    pod = _pod("batch", {"name": "app", "image": "app:1"})
    resp = _post(_app(), review(pod))
    out = _patched(pod, resp)
    assert out["spec"]["securityContext"] == {"runAsNonRoot": True}
    app, sidecar = out["spec"]["containers"]
    # the second policy saw the first one's defaults and raised the first limit
    assert app["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"memory": "512Mi"},
    }
    assert sidecar["resources"]["limits"] == {"memory": "256Mi"}
    assert out["metadata"]["labels"] == {"app": "web", "defaulted-by": "hardhull"}
    ops = json.loads(base64.b64decode(resp["patch"]))
    # one combined diff: the first container's resources are added once, already final
    assert [op["path"] for op in ops if op["path"].startswith("/spec/containers/0")] == [
        "/spec/containers/0/resources"
    ]


def test_existing_values_are_kept_and_defaulted_pods_get_no_patch() -> None:
    own = {"name": "app", "image": "app:1", "resources": {"limits": {"memory": "1Gi"}}}
    pod = _pod("web", own)
    pod["spec"]["securityContext"] = {"runAsNonRoot": False}
    resp = _post(_app(), review(pod))
    out = _patched(pod, resp)
    assert out["spec"]["securityContext"] == {"runAsNonRoot": False}
    assert out["spec"]["containers"][0]["resources"] == {
        "limits": {"memory": "1Gi"},
        "requests": {"cpu": "100m", "memory": "128Mi"},
    }
    again = _post(_app(), review(copy.deepcopy(out)))
    assert again["allowed"] is True
    assert "patch" not in again and "patchType" not in again


def test_autogen_defaults_a_deployment_and_validate_ignores_mutations() -> None:
    app = _app()
    deploy = deployment()
    resp = _post(app, review(deploy))
    out = _patched(deploy, resp)
    [container] = out["spec"]["template"]["spec"]["containers"]
    assert container["resources"]["requests"] == {"cpu": "100m", "memory": "128Mi"}
    assert container["resources"]["limits"] == {"cpu": "500m", "memory": "256Mi"}
    denied = _post(app, review(_pod("web", {"name": "app"})), "/validate")
    assert denied["allowed"] is False
    assert "patch" not in denied


def test_delete_is_never_patched() -> None:
    pod = _pod("batch", {"name": "app"})
    resp = _post(_app(), review(None, operation="DELETE", old=pod))
    assert resp["allowed"] is True
    assert "patch" not in resp


_POS = SourcePos("custom")


@dataclass(frozen=True)
class _BadPatch:
    """A policy whose patch cannot apply to the object it was given."""

    name: str = "bad-patch"
    kind: str = "Custom"
    pos: SourcePos = _POS

    def applies_to(self, inp: AdmissionInput) -> bool:
        return True

    def evaluate(self, inp: AdmissionInput) -> Sequence[RuleResult]:
        op = {"op": "replace", "path": "/spec/nothing/here", "value": 1}
        return [RuleResult(self.name, "r", Result.PASS, patch=(op,))]


def test_a_patch_that_does_not_apply_follows_the_failure_policy() -> None:
    pod = _pod("web", {"name": "app"})
    closed = AdmissionApp(AdmissionEngine([_BadPatch()], AdmissionConfig(pss=None)))
    resp = _post(closed, review(pod))
    assert resp["allowed"] is False
    assert "bad-patch" in resp["status"]["message"]
    assert "does not apply" in resp["status"]["message"]
    assert "patch" not in resp
