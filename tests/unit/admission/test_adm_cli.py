"""``hardhull admission serve`` as a real process and ``hardhull admission manifests``."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import yaml
from click.testing import CliRunner
from cryptography import x509
from cryptography.x509.oid import ExtensionOID
from tests.unit.admission.adm_support import (
    deployment,
    privileged,
    review,
    start_serve,
)

from hardhull.admission.config import parse_config
from hardhull.cli.main import cli


def test_serve_process_answers_over_https(tmp_path: Path) -> None:
    config = {
        "builtin": {"pss": "baseline", "require_digest": True},
        "modes": {"require-image-digest": "warn"},
        "audit_log": {"path": "audit.jsonl"},
    }
    server = start_serve(tmp_path, config)
    try:
        with httpx.Client(base_url=server.base, verify=server.verify) as client:
            ok = client.post("/validate", json=review(deployment())).json()["response"]
            bad = client.post("/validate", json=review(privileged(deployment()))).json()
        assert ok["allowed"] is True
        assert bad["response"]["allowed"] is False
        assert "[pss-baseline] privileged" in bad["response"]["status"]["message"]
    finally:
        server.proc.terminate()
        server.proc.wait(timeout=10)
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    assert [json.loads(x)["allowed"] for x in lines] == [True, False]


def test_serve_rejects_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("failure_policy: maybe\n")
    result = CliRunner().invoke(cli, ["admission", "serve", "--config", str(config)])
    assert result.exit_code == 2
    assert "failure_policy: 'maybe' is not one of fail-open, fail-closed" in result.output


def test_manifests_with_generated_ca(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["admission", "manifests", "--namespace", "sec"])
    assert result.exit_code == 0, result.output
    docs = list(yaml.safe_load_all(result.output))
    by_kind = {d["kind"]: d for d in docs}
    assert set(by_kind) >= {"Deployment", "Service", "Secret", "ValidatingWebhookConfiguration"}
    hook = by_kind["ValidatingWebhookConfiguration"]["webhooks"][0]
    assert hook["clientConfig"]["service"] == {
        "name": "hardhull", "namespace": "sec", "path": "/validate", "port": 443
    }  # fmt: skip
    assert hook["namespaceSelector"]["matchExpressions"][0]["values"] == ["sec"]
    ca = x509.load_pem_x509_certificate(base64.b64decode(hook["clientConfig"]["caBundle"]))
    secret = by_kind["Secret"]
    leaf = x509.load_pem_x509_certificate(base64.b64decode(secret["data"]["tls.crt"]))
    leaf.verify_directly_issued_by(ca)
    sans = leaf.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    assert "hardhull.sec.svc" in sans.get_values_for_type(x509.DNSName)
    assert "MutatingWebhookConfiguration" not in by_kind
    # the generated config loads, and its worker memory bound sits below the pod's limit
    config_map = by_kind["ConfigMap"]["data"]["config.yaml"]
    config = parse_config(yaml.safe_load(config_map), tmp_path)
    limit = by_kind["Deployment"]["spec"]["template"]["spec"]["containers"][0]["resources"]
    limit_mib = int(limit["limits"]["memory"].removesuffix("Mi"))
    assert 0 < config.recycle_rss_mb < limit_mib * 2 // 3


def test_manifests_with_cert_manager() -> None:
    result = CliRunner().invoke(cli, ["admission", "manifests", "--cert-manager", "--mutating"])
    docs = list(yaml.safe_load_all(result.output))
    kinds = [d["kind"] for d in docs]
    assert "Secret" not in kinds and "Certificate" in kinds
    for kind in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
        doc = next(d for d in docs if d["kind"] == kind)
        assert doc["metadata"]["annotations"] == {
            "cert-manager.io/inject-ca-from": "hardhull-system/hardhull-serving"
        }
        assert "caBundle" not in doc["webhooks"][0]["clientConfig"]
