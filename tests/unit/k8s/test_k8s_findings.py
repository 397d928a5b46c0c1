"""The fast posture finding constructor and the per-control tallies."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import orjson
import pytest

from hardhull.model import (
    Finding,
    FindingKind,
    Gap,
    Location,
    ResourceRef,
    Score,
    Severity,
    Status,
    Suppression,
)
from hardhull.posture.engine import PassCount
from hardhull.posture.findings import plain_posture_finding, posture_finding
from hardhull.posture.report import (
    PostureReport,
    to_posture_dict,
    to_posture_json,
)
from hardhull.posture.tally import tally
from hardhull.report.scan_json import json_finding

REF = ResourceRef("Deployment", "web", "shop", "apps/v1", "k8s/web.yaml", 7)


def test_generated_constructor_is_in_use() -> None:
    # Finding is a slotted dataclass with defaults: the generated constructor applies.
    assert posture_finding is not plain_posture_finding
    assert posture_finding.__module__ == "hardhull.posture.findings"


@pytest.mark.parametrize(
    "args",
    [
        (Status.FAIL, Severity.HIGH, "privileged", "t", "Deployment shop/web", "m", (), None, REF),
        (
            Status.WARN,
            Severity.LOW,
            "HH-K8S-005",
            "title",
            "subject",
            "",
            (("path", "spec.x"), ("z", "1")),
            "fix it",
            ResourceRef("Pod", "p"),
        ),
    ],
)
def test_generated_constructor_equals_dataclass_constructor(args: tuple[object, ...]) -> None:
    fast = posture_finding(*args)  # type: ignore[arg-type]
    plain = plain_posture_finding(*args)  # type: ignore[arg-type]
    assert type(fast) is Finding
    assert fast == plain
    assert hash(fast) == hash(plain)
    for field in dataclasses.fields(Finding):  # every slot set, none left unassigned
        assert getattr(fast, field.name) == getattr(plain, field.name)
    assert fast.kind is FindingKind.POSTURE
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.message = "changed"  # type: ignore[misc]


def _f(rule: str, status: Status, ref: ResourceRef | None) -> Finding:
    return Finding(
        kind=FindingKind.POSTURE,
        status=status,
        severity=Severity.HIGH,
        rule_id=rule,
        title=rule,
        subject="s",
        resource=ref,
    )


def test_tally_tells_resources_apart_by_value_not_identity() -> None:
    twin = dataclasses.replace(REF)  # equal, another object: the same resource
    other = dataclasses.replace(REF, name="api")
    findings = [
        _f("A", Status.WARN, REF),
        _f("A", Status.FAIL, twin),  # worst outcome of A on web: fail
        _f("A", Status.WARN, other),
        _f("B", Status.ERROR, None),
        _f("B", Status.FAIL, None),
        _f("B", Status.PASS, REF),  # pass findings are counted by the engine, not here
    ]
    passes: list[PassCount] = [("A", "shop", 3), ("C", None, 2)]
    got = {t.control_id: t.as_dict() for t in tally(findings, passes)}
    assert got["A"] == {
        "id": "A",
        "evaluated": 5,
        "passed": 3,
        "failed": 1,
        "warned": 1,
        "exempted": 0,
        "errors": 0,
    }
    assert got["B"]["errors"] == 1 and got["B"]["failed"] == 0 and got["B"]["evaluated"] == 1
    assert got["C"]["passed"] == 2 and got["C"]["evaluated"] == 2


def test_tally_of_findings_from_a_generator() -> None:
    # refs built on the fly and dropped must not be confused with later ones
    def gen() -> Iterator[Finding]:
        for i in range(50):
            yield _f("A", Status.FAIL, ResourceRef("Pod", f"p{i}"))

    (only,) = tally(gen(), [])
    assert only.failed == 50


_RESOURCE = {
    "api_version": "apps/v1",
    "file": "k8s/web.yaml",
    "kind": "Deployment",
    "line": 7,
    "name": "web",
    "namespace": "shop",
}


def test_json_finding_of_a_posture_finding() -> None:
    finding = plain_posture_finding(
        Status.FAIL, Severity.HIGH, "privileged", "t", "s", "m", (("path", "x"),), "fix", REF
    )
    assert json_finding(finding) == {
        "aliases": [],
        "epss": None,
        "evidence": {"path": "x"},
        "fix": "fix",
        "fixable": False,
        "fixed_versions": [],
        "id": "privileged",
        "kev": False,
        "kind": "posture",
        "layer": None,
        "locations": [],
        "message": "m",
        "package": None,
        "references": [],
        "resource": _RESOURCE,
        "rule_id": "privileged",
        "scores": [],
        "severity": "high",
        "status": "fail",
        "subject": "s",
        "suppressed": None,
        "title": "t",
    }


@pytest.mark.parametrize(
    ("finding", "expected"),
    [
        (
            plain_posture_finding(Status.PASS, Severity.LOW, "r", "t", "s", "", (), None, REF),
            {"status": "pass", "severity": "low", "evidence": {}, "fix": None, "layer": None},
        ),
        (
            dataclasses.replace(
                _f("HH-K8S-015", Status.WARN, None),
                suppressed=Suppression("exception", "ticket 1", "exceptions.yaml", "2030-01-01"),
                aliases=("a",),
                references=("https://example.test",),
                fixed_versions=("1.2",),
                kev=True,
                epss=0.5,
            ),
            {
                "kind": "posture",
                "status": "warn",
                "aliases": ["a"],
                "references": ["https://example.test"],
                "fixed_versions": ["1.2"],
                "fixable": True,
                "kev": True,
                "epss": 0.5,
                "layer": None,
                "suppressed": {
                    "kind": "exception",
                    "reason": "ticket 1",
                    "source": "exceptions.yaml",
                    "expires": "2030-01-01",
                },
            },
        ),
        (
            dataclasses.replace(
                _f("CVE-1", Status.FAIL, None),
                kind=FindingKind.VULNERABILITY,
                locations=(Location("/usr/lib/x", "sha256:ab"),),
                scores=(Score("CVSS_V3", "AV:N", 9.8),),
            ),
            {
                "kind": "vulnerability",
                "id": "CVE-1",
                "locations": [{"path": "/usr/lib/x", "layer": "sha256:ab"}],
                "layer": "sha256:ab",
                "scores": [{"source": "CVSS_V3", "vector": "AV:N", "value": 9.8}],
            },
        ),
    ],
)
def test_json_finding_fields(finding: Finding, expected: dict[str, object]) -> None:
    entry = json_finding(finding)
    assert {key: entry[key] for key in expected} == expected
    assert ("resource" in entry) is (finding.resource is not None)
    if finding.resource is not None:
        assert entry["resource"] == _RESOURCE
        assert entry["rule_id"] == finding.rule_id


def _report(findings: tuple[Finding, ...]) -> PostureReport:
    return PostureReport(
        findings=findings,
        gaps=(Gap("malformed-yaml", "x.yaml:3", "bad"),),
        inputs=("x.yaml",),
        pss_level="restricted",
        pss_version="latest",
        passes=(("A", "shop", 2),),
    )


@pytest.mark.parametrize("count", [0, 1, 3])
def test_streamed_json_equals_dumping_the_whole_document(count: int) -> None:
    odd = 'line\n  "findings": []\n\t"quoted" ünïcode \u2028'
    findings = tuple(
        plain_posture_finding(
            Status.FAIL, Severity.HIGH, f"R{i}", "t", "s", odd, (("path", odd),), None, REF
        )
        for i in range(count)
    )
    report = _report(findings)
    whole = orjson.dumps(to_posture_dict(report), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    assert to_posture_json(report) == whole
