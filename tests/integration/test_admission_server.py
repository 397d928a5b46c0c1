"""The admission webhook over real HTTPS on 127.0.0.1 with real AdmissionReview bodies."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from tests.unit.admission.adm_support import (
    RunningServer,
    container,
    deployment,
    privileged,
    review,
    running_server,
)

from hardhull.admission.config import AdmissionConfig, Exemption, FailurePolicy, Mode
from hardhull.policy.base import Action, AdmissionInput, Result, RuleResult, SourcePos
from hardhull.policy.builtin import AllowedRegistriesPolicy, DigestRequiredPolicy, PssPolicy

_POS = SourcePos("<test>")
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "admission"


@dataclass(frozen=True)
class _Custom:
    """A test policy: sleeps, raises or patches on demand."""

    name: str = "custom"
    kind: str = "Test"
    pos: SourcePos = _POS
    sleep: float = 0.0
    boom: bool = False
    patch: tuple[dict[str, object], ...] = ()

    def applies_to(self, inp: AdmissionInput) -> bool:
        return inp.kind == "Deployment"

    def evaluate(self, inp: AdmissionInput) -> Sequence[RuleResult]:
        if self.sleep:
            time.sleep(self.sleep)
        if self.boom:
            raise RuntimeError("kaboom")
        return (RuleResult(self.name, "r", Result.PASS, patch=self.patch),)


def _policies() -> list[object]:
    return [
        PssPolicy("restricted"),
        AllowedRegistriesPolicy(("ghcr.io/acme",), action=Action.WARN),
        DigestRequiredPolicy(action=Action.AUDIT),
    ]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    cfg = AdmissionConfig(audit_log=tmp_path / "audit.jsonl", port=0)
    with running_server(tmp_path, _policies(), cfg) as srv:  # type: ignore[arg-type]
        yield srv


def _post(client: httpx.Client, body: object, path: str = "/validate") -> httpx.Response:
    return client.post(path, content=json.dumps(body), headers={"content-type": "application/json"})


def test_compliant_deployment_is_allowed_and_uid_echoed(server: RunningServer) -> None:
    body = review(deployment())
    with server.client() as client:
        resp = _post(client, body)
    assert resp.status_code == 200
    doc = resp.json()
    assert doc["apiVersion"] == "admission.k8s.io/v1" and doc["kind"] == "AdmissionReview"
    assert doc["response"]["uid"] == body["request"]["uid"]
    assert doc["response"]["allowed"] is True
    assert "status" not in doc["response"] and "patch" not in doc["response"]


def test_privileged_deployment_is_denied_with_pss_message(server: RunningServer) -> None:
    body = review(privileged(deployment()))
    with server.client() as client:
        doc = _post(client, body).json()["response"]
    assert doc["allowed"] is False
    assert doc["status"]["code"] == 403 and doc["status"]["reason"] == "Forbidden"
    assert "[pss-restricted] privileged" in doc["status"]["message"]
    assert "pss-restricted" in doc["auditAnnotations"]


def test_warn_and_audit_modes(server: RunningServer) -> None:
    obj = deployment(containers=[container(image="docker.io/library/nginx:1.27")])
    with server.client() as client:
        doc = _post(client, review(obj)).json()["response"]
    assert doc["allowed"] is True
    assert any("allowed-registries" in w and "nginx" in w for w in doc["warnings"])
    assert not any("require-image-digest" in w for w in doc["warnings"])
    assert "require-image-digest" in doc["auditAnnotations"]


def test_audit_log_records_every_decision(server: RunningServer, tmp_path: Path) -> None:
    bodies = [review(deployment()), review(privileged(deployment()), dry_run=True)]
    with server.client() as client:
        for body in bodies:
            _post(client, body)
    lines = [json.loads(x) for x in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [x["uid"] for x in lines] == [b["request"]["uid"] for b in bodies]
    assert [x["allowed"] for x in lines] == [True, False]
    assert lines[1]["dryRun"] is True and lines[1]["user"] == "kubernetes-admin"
    assert lines[1]["kind"] == "Deployment" and lines[1]["namespace"] == "shop"
    pss = next(p for p in lines[1]["policies"] if p["policy"] == "pss-restricted")
    assert any(r["rule"] == "privileged" and r["result"] == "fail" for r in pss["results"])
    assert lines[0]["duration_ms"] >= 0


def test_update_delete_connect(server: RunningServer) -> None:
    old = deployment()
    with server.client() as client:
        upd = _post(client, review(privileged(old), operation="UPDATE", old=old)).json()
        dele = _post(client, review(None, operation="DELETE", old=privileged(old))).json()
        conn = _post(
            client,
            {
                **review(None, operation="CONNECT", old=old, kind="Pod", name="web-1"),
            },
        ).json()
    assert upd["response"]["allowed"] is False
    assert dele["response"]["allowed"] is True  # PSS does not apply to DELETE
    assert conn["response"]["allowed"] is True


def test_bad_input_gets_clear_errors_and_server_survives(server: RunningServer) -> None:
    good = review(deployment())
    no_uid = review(deployment())
    del no_uid["request"]["uid"]
    wrong_version = {**review(deployment()), "apiVersion": "admission.k8s.io/v1beta1"}
    bad_object = review(deployment())
    bad_object["request"]["object"] = ["not", "a", "mapping"]
    with server.client() as client:
        r1 = client.post("/validate", content=b"{not json")
        r2 = _post(client, no_uid)
        r3 = _post(client, wrong_version)
        r4 = _post(client, bad_object)
        r5 = client.post("/validate", content=b"x" * (3 * 1024 * 1024 + 1))
        r6 = client.get("/validate")
        r7 = _post(client, [1, 2])
        ok = _post(client, good)
    assert r1.status_code == 400 and "not JSON" in r1.json()["error"]
    assert r2.status_code == 400 and "uid" in r2.json()["error"]
    assert r3.status_code == 200
    assert r3.json()["response"]["uid"] == wrong_version["request"]["uid"]
    assert r3.json()["response"]["allowed"] is False
    assert r3.json()["response"]["status"]["code"] == 400
    assert r4.json()["response"]["status"]["code"] == 400
    assert "request.object" in r4.json()["response"]["status"]["message"]
    assert r5.status_code == 413
    assert r6.status_code == 405
    assert r7.status_code == 400
    assert ok.json()["response"]["allowed"] is True


def test_health_ready_metrics(server: RunningServer) -> None:
    with server.client() as client:
        _post(client, review(deployment()))
        _post(client, review(privileged(deployment())))
        assert client.get("/healthz").text == "ok"
        assert client.get("/readyz").status_code == 200
        metrics = client.get("/metrics").text
    assert 'hardhull_admission_requests_total{endpoint="validate",result="allowed"} 1' in metrics
    assert 'hardhull_admission_requests_total{endpoint="validate",result="denied"} 1' in metrics
    assert "hardhull_admission_latency_ms_count 2" in metrics


def test_self_namespace_and_exemptions(tmp_path: Path) -> None:
    cfg = AdmissionConfig(
        exemptions=(
            Exemption(namespaces=("kube-*",)),
            Exemption(
                labels=(("hardhull.io/exempt", "true"),), policies=frozenset({"pss-restricted"})
            ),
        )
    )
    with running_server(tmp_path, [PssPolicy("restricted")], cfg) as srv, srv.client() as client:
        own = _post(client, review(privileged(deployment(namespace="hardhull-system"))))
        kube = _post(client, review(privileged(deployment(namespace="kube-system"))))
        labelled = _post(
            client, review(privileged(deployment(labels={"hardhull.io/exempt": "true"})))
        )
        other = _post(client, review(privileged(deployment())))
    assert own.json()["response"]["allowed"] is True
    assert kube.json()["response"]["allowed"] is True
    assert labelled.json()["response"]["allowed"] is True
    assert other.json()["response"]["allowed"] is False


def test_mode_override_from_config(tmp_path: Path) -> None:
    cfg = AdmissionConfig(modes={"pss-restricted": Mode.WARN})
    with running_server(tmp_path, [PssPolicy("restricted")], cfg) as srv, srv.client() as client:
        doc = _post(client, review(privileged(deployment()))).json()["response"]
    assert doc["allowed"] is True
    assert any(w.startswith("[pss-restricted] privileged") for w in doc["warnings"])


@pytest.mark.parametrize("failure", [FailurePolicy.FAIL_OPEN, FailurePolicy.FAIL_CLOSED])
def test_budget_exceeded_follows_failure_policy(tmp_path: Path, failure: FailurePolicy) -> None:
    cfg = AdmissionConfig(budget_ms=50, failure_policy=failure)
    with running_server(tmp_path, [_Custom(sleep=0.3)], cfg) as srv, srv.client() as client:
        doc = _post(client, review(deployment())).json()["response"]
    if failure is FailurePolicy.FAIL_OPEN:
        assert doc["allowed"] is True
        assert any("50 ms latency budget" in w and "fail-open" in w for w in doc["warnings"])
    else:
        assert doc["allowed"] is False
        assert doc["status"]["code"] == 504
        assert "50 ms latency budget" in doc["status"]["message"]
        assert "fail-closed" in doc["status"]["message"]


@pytest.mark.parametrize("failure", [FailurePolicy.FAIL_OPEN, FailurePolicy.FAIL_CLOSED])
def test_raising_policy_follows_failure_policy(tmp_path: Path, failure: FailurePolicy) -> None:
    cfg = AdmissionConfig(failure_policy=failure)
    with running_server(tmp_path, [_Custom(boom=True)], cfg) as srv, srv.client() as client:
        doc = _post(client, review(deployment())).json()["response"]
        assert client.get("/healthz").status_code == 200
    assert doc["allowed"] is (failure is FailurePolicy.FAIL_OPEN)
    text = doc["warnings"][0] if doc["allowed"] else doc["status"]["message"]
    assert "[custom] raised RuntimeError: kaboom" in text


def test_mutate_returns_base64_jsonpatch(tmp_path: Path) -> None:
    patch = ({"op": "add", "path": "/metadata/labels/hardhull.io~1checked", "value": "true"},)
    cfg = AdmissionConfig()
    with running_server(tmp_path, [_Custom(patch=patch)], cfg) as srv, srv.client() as client:
        body = review(deployment())
        doc = _post(client, body, "/mutate").json()["response"]
        val = _post(client, body).json()["response"]
    assert doc["uid"] == body["request"]["uid"] and doc["allowed"] is True
    assert doc["patchType"] == "JSONPatch"
    assert json.loads(base64.b64decode(doc["patch"])) == list(patch)
    assert "patch" not in val


def test_recorded_fixture_bodies(server: RunningServer) -> None:
    expected = {"deployment-create-restricted.json": True, "pod-create-privileged.json": False}
    with server.client() as client:
        for name, allowed in expected.items():
            body = json.loads((FIXTURES / name).read_text())
            doc = _post(client, body).json()["response"]
            assert doc["uid"] == body["request"]["uid"]
            assert doc["allowed"] is allowed, name
