"""Kyverno scalar patterns, anchors and conditions."""

from __future__ import annotations

from typing import Any

import pytest

from hardhull.policy.kyverno import conditions
from hardhull.policy.kyverno.pattern import Status, match_pattern
from hardhull.policy.kyverno.values import match_scalar


@pytest.mark.parametrize(
    ("value", "pattern", "ok"),
    [
        ("nginx:1.2", "*:*", True),
        ("nginx", "*:*", False),
        ("nginx:latest", "!*:latest", False),
        ("nginx:1", "!*:latest", True),
        (5, ">3", True),
        (5, "<3", False),
        ("200Mi", "<1Gi", True),
        ("2Gi", "<1Gi", False),
        (5, "1-10", True),
        (11, "1-10", False),
        (11, "1!-10", True),
        ("30m", "<1h", True),
        (False, "false", True),
        (True, "false", False),
        ("a", "a | b", True),
        ("c", "a | b", False),
        (7, ">5 & <10", True),
        ("", "?*", False),
        (None, "*", False),
        (8080, 8080, True),
        ("x", None, False),
    ],
)
def test_kyv_scalar(value: Any, pattern: Any, ok: bool) -> None:
    assert match_scalar(value, pattern) is ok


def test_kyv_anchors() -> None:
    pod = {"spec": {"hostNetwork": True, "volumes": [{"name": "a", "hostPath": {}}]}}
    assert match_pattern(pod, {"spec": {"=(hostNetwork)": "false"}}).status == Status.FAIL
    assert match_pattern(pod, {"spec": {"=(hostPID)": "false"}}).status == Status.OK
    out = match_pattern(pod, {"spec": {"=(volumes)": [{"X(hostPath)": "null"}]}})
    assert out.status == Status.FAIL
    assert out.path == "/spec/volumes/0/hostPath/"
    cond = {"spec": {"containers": [{"(name)": "web*", "image": "*:*"}]}}
    other = {"spec": {"containers": [{"name": "db", "image": "pg"}]}}
    assert match_pattern(other, cond).status == Status.SKIP
    web = {"spec": {"containers": [{"name": "web1", "image": "pg"}]}}
    assert match_pattern(web, cond).status == Status.FAIL
    exist = {"spec": {"^(containers)": [{"name": "db"}]}}
    assert match_pattern(other, exist).status == Status.OK
    labels = {"metadata": {"labels": {"app.kubernetes.io/name": "x"}}}
    assert match_pattern(labels, {"metadata": {"labels": {"app.*": "?*"}}}).status == Status.OK
    glob = {"<(kind)": "Pod", "spec": {"x": 1}}
    assert match_pattern({"kind": "Job"}, glob).status == Status.GLOBAL_SKIP


def test_kyv_conditions() -> None:
    data = {"request": {"object": {"caps": ["CHOWN", "SYS_ADMIN"]}, "operation": "CREATE"}}
    block = {
        "all": [{"key": "{{ request.object.caps }}", "operator": "AnyNotIn", "value": ["CHOWN"]}]
    }
    assert conditions.evaluate(block, data) is True
    block = {"any": [{"key": "{{ request.operation }}", "operator": "Equals", "value": "UPD*"}]}
    assert conditions.evaluate(block, data) is False
    gt = [{"key": "{{ length(request.object.caps) }}", "operator": "GreaterThan", "value": 1}]
    assert conditions.evaluate(gt, data) is True
    with pytest.raises(conditions.ConditionError):
        conditions.validate_block([{"key": 1, "operator": "Bogus", "value": 1}])


def test_kyv_images_variable() -> None:
    from hardhull.policy.kyverno.images import images_of, parse_image

    assert parse_image("nginx")["reference"] == "docker.io/library/nginx:latest"
    ghcr = parse_image("ghcr.io/a/b:1.0@sha256:ab")
    assert (ghcr["registry"], ghcr["path"], ghcr["tag"], ghcr["digest"]) == (
        "ghcr.io",
        "a/b",
        "1.0",
        "sha256:ab",
    )
    assert parse_image("localhost:5000/app")["registry"] == "localhost:5000"
    deploy = {
        "kind": "Deployment",
        "spec": {"template": {"spec": {"containers": [{"name": "w", "image": "x:2"}]}}},
    }
    assert images_of(deploy)["containers"]["w"]["tag"] == "2"
