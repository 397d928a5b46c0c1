"""The Dockerfile report's JSON and SARIF against the Kubernetes posture outputs: the same
``resource`` shape and finding keys, and stable shared SARIF fingerprints."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import orjson
from tests.unit.report.report_sample import sarif_validator
from tests.unit.sbomfmt.sbomfmt_sample import assert_valid

from hardhull.posture.dockerfile import parse_text
from hardhull.posture.dockerfile_checks import check_dockerfile
from hardhull.posture.dockerfile_report import DockerfileReport, render, to_dict, to_sarif
from hardhull.posture.loader import load_paths
from hardhull.posture.registry import all_controls, default_checks, default_cluster_checks
from hardhull.posture.report import PostureReport, to_posture_dict
from hardhull.posture.run import PostureOptions, build_report
from hardhull.posture.sarif import to_posture_sarif

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
BAD = FIXTURES / "dockerfile" / "bad.Dockerfile"
MANIFEST = str(FIXTURES / "kchecks" / "workload_bad.yaml")
HEX32 = re.compile(r"^[0-9a-f]{32}$")


def _df_report(text: str, path: str = "build/Dockerfile") -> DockerfileReport:
    df = parse_text(text, path)
    return DockerfileReport((path,), df.instruction_count, tuple(check_dockerfile(df)))


def _k8s_report() -> PostureReport:
    loaded = load_paths([MANIFEST])
    return build_report(
        loaded.resources,
        loaded.gaps,
        [MANIFEST],
        PostureOptions(),
        default_checks(),
        default_cluster_checks(),
        files=loaded.files,
        documents=loaded.documents,
    )


def _types(resource: dict[str, Any]) -> dict[str, set[str]]:
    return {k: {type(v).__name__} for k, v in resource.items()}


def test_json_resource_and_finding_keys_agree_with_kubernetes_posture() -> None:
    k8s = to_posture_dict(_k8s_report())["findings"]
    docker = to_dict(_df_report(BAD.read_text()))["findings"]
    assert k8s and docker
    k8s_keys = {tuple(sorted(f["resource"])) for f in k8s}
    docker_keys = {tuple(sorted(f["resource"])) for f in docker}
    assert k8s_keys == docker_keys == {("api_version", "file", "kind", "line", "name", "namespace")}
    assert {tuple(sorted(f)) for f in docker} == {tuple(sorted(f)) for f in k8s}
    # the same types: strings, a null namespace (Dockerfiles have none), an int line
    for f in (*k8s, *docker):
        r = f["resource"]
        assert isinstance(r["kind"], str) and isinstance(r["name"], str)
        assert isinstance(r["api_version"], str)
        assert r["namespace"] is None or isinstance(r["namespace"], str)
        assert r["line"] is None or isinstance(r["line"], int)
        assert f["rule_id"] == f["id"]
    root = next(f for f in docker if f["rule_id"] == "HH-DF-004")
    assert root["resource"] == {
        "kind": "Dockerfile", "name": "Dockerfile", "namespace": None, "api_version": "",
        "file": "build/Dockerfile", "line": 4,
    }  # fmt: skip


def _fingerprints(sarif: dict[str, Any]) -> list[str]:
    return [r["partialFingerprints"]["hardhull/v1"] for r in sarif["runs"][0]["results"]]


def test_sarif_is_valid_and_fingerprints_like_the_other_sarif_outputs() -> None:
    report = _df_report(BAD.read_text())
    assert_valid(sarif_validator(), render(report, "sarif"))
    docker = to_sarif(report)["runs"][0]["results"]
    k8s = orjson.loads(to_posture_sarif(_k8s_report(), all_controls()))["runs"][0]["results"]
    assert k8s and docker
    for result in (*docker, *k8s):
        assert set(result["partialFingerprints"]) == {"hardhull/v1"}
        assert HEX32.match(result["partialFingerprints"]["hardhull/v1"])
        assert set(result["properties"]) >= {"kind", "status"}
    prints = [r["partialFingerprints"]["hardhull/v1"] for r in docker]
    assert len(set(prints)) == len(prints) == 13  # two HH-DF-005 and three HH-DF-008 differ
    # the Kubernetes posture fingerprint is still sha256(rule, resource, uri), cut to 32
    first = k8s[0]
    subject = first["locations"][0]["message"]["text"]
    uri = first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    want = hashlib.sha256("\0".join((first["ruleId"], subject, uri)).encode()).hexdigest()
    assert first["partialFingerprints"]["hardhull/v1"] == want[:32]


def test_sarif_fingerprints_survive_lines_added_above() -> None:
    text = BAD.read_text()
    before = to_sarif(_df_report(text))
    after = to_sarif(_df_report("# a new header\n\n# and a note\n" + text))
    lines = [
        [
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
            for r in doc["runs"][0]["results"]
        ]
        for doc in (before, after)
    ]
    assert lines[1] == [n + 3 for n in lines[0]]
    assert _fingerprints(after) == _fingerprints(before)
    moved = to_sarif(_df_report(text, "other/Dockerfile"))  # another file: other findings
    assert not set(_fingerprints(moved)) & set(_fingerprints(before))


def test_sarif_identical_findings_in_one_file_get_distinct_fingerprints() -> None:
    text = "FROM alpine:3.19\nRUN apk add jq\nRUN apk add jq\nUSER app\nHEALTHCHECK CMD true\n"
    results = to_sarif(_df_report(text))["runs"][0]["results"]
    pinned = [r for r in results if r["ruleId"] == "HH-DF-008"]
    assert [r["message"]["text"] for r in pinned] == [
        "apk installs without a pinned version: jq"
    ] * 2
    assert len({r["partialFingerprints"]["hardhull/v1"] for r in pinned}) == 2


def test_render_json_is_the_documented_document() -> None:
    doc = json.loads(render(_df_report(BAD.read_text()), "json"))
    assert doc["schema"] == "hardhull.posture.dockerfile/v1"
    assert doc["source"] == {"scheme": "dockerfile", "targets": ["build/Dockerfile"]}
    assert doc["summary"]["findings"] == len(doc["findings"]) == 13
