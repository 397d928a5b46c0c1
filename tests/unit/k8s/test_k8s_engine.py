"""The posture engine isolates failing checks; exceptions mark, never hide, findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import pytest

from hardhull.errors import UsageError
from hardhull.model import Finding, FindingKind, Resource, ResourceRef, Severity, Status
from hardhull.posture.base import Control, PostureContext
from hardhull.posture.engine import run_posture
from hardhull.posture.exceptions import apply_exceptions, load_exceptions

CONTROL = Control("HH-K8S-TEST", "test", Severity.HIGH, "why", "fix")


class _FailsDeployments:
    controls = (CONTROL,)

    def evaluate(self, resource: Resource, ctx: PostureContext) -> Iterable[Finding]:
        if resource.ref.kind == "Deployment":
            raise KeyError("spec")
        return [
            Finding(
                kind=FindingKind.POSTURE,
                status=Status.FAIL,
                severity=Severity.HIGH,
                rule_id=CONTROL.id,
                title="t",
                subject=resource.ref.label(),
                resource=resource.ref,
            )
        ]


class _Broken:
    controls = (CONTROL,)

    def evaluate_all(self, ctx: PostureContext) -> Iterable[Finding]:
        raise RuntimeError("boom")


def _res(kind: str, name: str, ns: str = "prod", labels: dict[str, str] | None = None) -> Resource:
    ref = ResourceRef(kind, name, ns, "v1", "f.yaml", 1)
    return Resource(ref, {"kind": kind}, tuple(sorted((labels or {}).items())))


def test_failing_checks_become_error_findings_and_gaps() -> None:
    resources = [_res("Pod", "a"), _res("Deployment", "b")]
    run = run_posture(resources, PostureContext(), [_FailsDeployments()], [_Broken()])
    statuses = sorted((f.subject, f.status.value) for f in run.findings)
    assert statuses == [
        ("Deployment prod/b", "error"),
        ("Pod prod/a", "fail"),
        ("the whole input", "error"),
    ]
    assert [g.kind for g in run.gaps] == ["check-error", "check-error"]
    with pytest.raises(KeyError):
        run_posture(resources, PostureContext(), [_FailsDeployments()], strict=True)


def test_exceptions_match_suppress_and_expire(tmp_path: Path) -> None:
    path = tmp_path / "ex.yaml"
    path.write_text(
        "exceptions:\n"
        "  - control: HH-K8S-TEST\n    name: leg*\n    reason: vendor image\n"
        "    expires: 2030-01-01\n"
        "  - control: '*'\n    labels: {team: old}\n    reason: retired\n"
        "    expires: 2020-01-01\n"
    )
    rules = load_exceptions(path)
    assert [r.source for r in rules] == [f"{path}:2", f"{path}:6"]
    resources = [_res("Pod", "legacy"), _res("Pod", "new", labels={"team": "old"})]
    raw = run_posture(resources, PostureContext(), [_FailsDeployments()]).findings
    out = apply_exceptions(raw, rules, resources, today=dt.date(2025, 6, 1))
    legacy, new = sorted(out, key=lambda f: f.subject)
    assert legacy.status is Status.SKIP and legacy.suppressed is not None
    assert legacy.suppressed.reason == "vendor image"
    assert legacy.suppressed.expires == "2030-01-01"
    assert new.status is Status.FAIL and new.suppressed is None
    assert "expired on 2020-01-01" in new.message


def test_bad_exceptions_file_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "ex.yaml"
    path.write_text("exceptions:\n  - control: x\n  - control: y\n    reason: ok\n")
    with pytest.raises(UsageError, match=r"ex.yaml:2: 'reason' is required"):
        load_exceptions(path)
    path.write_text("exceptions: [\n")
    with pytest.raises(UsageError, match=r"ex.yaml:2: malformed YAML"):
        load_exceptions(path)
