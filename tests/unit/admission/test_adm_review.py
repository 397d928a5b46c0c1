"""AdmissionReview parsing and response building, audit log rotation, built-ins."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import orjson
import pytest
from tests.unit.admission.adm_support import container, deployment, review

from hardhull.admission.audit import AuditLog
from hardhull.admission.config import ConfigError, parse_config
from hardhull.admission.review import (
    MAX_WARNING_CHARS,
    ReviewError,
    build_response,
    clean_warnings,
    error_response,
    parse_review,
)
from hardhull.policy.base import Result
from hardhull.policy.builtin import AllowedRegistriesPolicy, DigestRequiredPolicy


def _body(doc: object) -> bytes:
    return json.dumps(doc).encode()


def test_delete_uses_old_object() -> None:
    old = deployment()
    parsed = parse_review(_body(review(None, operation="DELETE", old=old)))
    assert parsed.input.operation == "DELETE"
    assert parsed.input.obj == old and parsed.input.old_obj == old
    assert parsed.input.api_version == "apps/v1" and parsed.input.resource == "deployments"
    assert parsed.input.user_info["username"] == "kubernetes-admin"


@pytest.mark.parametrize(
    ("mutate", "message", "uid_known"),
    [
        (lambda d: d["request"].pop("uid"), "uid", False),
        (lambda d: d.update(kind="AdmissionRequest"), "kind must be", True),
        (lambda d: d["request"].update(operation="PATCH"), "operation", True),
        (lambda d: d["request"].update(object="x"), "request.object", True),
        (lambda d: d["request"].update(dryRun="yes"), "dryRun", True),
        (lambda d: d["request"].update(operation="UPDATE"), "oldObject", True),
        (lambda d: d["request"].update(userInfo=[]), "userInfo", True),
    ],
)
def test_malformed_reviews(mutate: object, message: str, uid_known: bool) -> None:
    doc = review(deployment())
    mutate(doc)  # type: ignore[operator]
    with pytest.raises(ReviewError) as info:
        parse_review(_body(doc))
    assert message in info.value.message
    status, body = error_response(info.value)
    if uid_known:
        assert status == 200
        resp = orjson.loads(body)["response"]
        assert resp["uid"] == doc["request"]["uid"] and resp["status"]["code"] == 400
    else:
        assert status == 400


def test_response_warnings_annotations_patch() -> None:
    long = "w" * 1000
    body = build_response(
        "u1",
        allowed=True,
        warnings=[long, "a\nb", "a\nb", ""],
        audit_annotations=[("k", "v"), ("k", "ignored")],
        patch=[{"op": "add", "path": "/metadata/labels/x", "value": "1"}],
    )
    resp = orjson.loads(body)["response"]
    assert len(resp["warnings"][0]) == MAX_WARNING_CHARS
    assert resp["warnings"][1] == "a b" and len(resp["warnings"]) == 2
    assert resp["auditAnnotations"] == {"k": "v"}
    assert json.loads(base64.b64decode(resp["patch"]))[0]["op"] == "add"
    assert sum(len(w) for w in clean_warnings(["x" * 200] * 100)) <= 4096


def test_audit_log_rotates(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.jsonl", max_bytes=2048, backups=2)
    for i in range(200):
        log.write({"i": i, "pad": "x" * 40})
    log.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["a.jsonl", "a.jsonl.1", "a.jsonl.2"]
    assert all(p.stat().st_size <= 2048 for p in tmp_path.iterdir())
    last = (tmp_path / "a.jsonl").read_text().splitlines()[-1]
    assert json.loads(last)["i"] == 199


def test_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown configuration keys"):
        parse_config({"listne": {}}, tmp_path)
    with pytest.raises(ConfigError, match=r"modes\.x"):
        parse_config({"modes": {"x": "block"}}, tmp_path)
    cfg = parse_config({"tls": {"cert": "c.pem", "key": "k.pem"}, "budget_ms": 50}, tmp_path)
    assert cfg.cert == tmp_path / "c.pem" and cfg.budget_ms == 50.0


def test_image_builtins() -> None:
    obj = deployment(
        containers=[
            container("a", "nginx:1.27"),
            container("b", "ghcr.io/acme/x@sha256:" + "c" * 64),
        ]
    )
    inp = parse_review(_body(review(obj))).input
    (reg,) = AllowedRegistriesPolicy(("ghcr.io/acme",)).evaluate(inp)
    (dig,) = DigestRequiredPolicy().evaluate(inp)
    assert reg.result is Result.FAIL and "containers[a]: nginx:1.27" in reg.message
    assert dig.result is Result.FAIL and "containers[b]" not in dig.message
