"""The engine: every check runs, a broken check is an error finding, the weighted score."""

from __future__ import annotations

import pytest
from tests.unit.hardening.hardkit import dir_, file, sbom, tree

from hardhull.hardening import check_selectors, default_checks, run_hardening
from hardhull.model import Distro, Finding, FindingKind, ImageConfig, Sbom, Severity, Status
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree

TRACE_LABELS = tuple(
    (f"org.opencontainers.image.{k}", "x") for k in ("source", "version", "revision")
)


class _Boom:
    id = "HH-TEST-001"
    title = "explodes"
    severity = Severity.HIGH
    selectors: tuple[Selector, ...] = ()

    def evaluate(self, sbom: Sbom, tree: FileTree) -> list[Finding]:
        raise ValueError("kaput")


def test_default_checks_have_unique_ids_and_selectors() -> None:
    checks = default_checks()
    ids = [c.id for c in checks]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) == 10
    names = [s.name for s in check_selectors(checks)]
    assert len(names) == len(set(names)) >= 2
    assert any(s.keep_deleted for s in check_selectors(checks))


def test_hardened_image_scores_100() -> None:
    labels = (
        *TRACE_LABELS,
        ("org.opencontainers.image.base.name", "gcr.io/distroless/static@sha256:" + "0" * 64),
    )
    config = ImageConfig(user="65532", labels=labels, healthcheck=("CMD", "/app", "health"))
    t = tree([dir_("/tmp", 0o1777), file("/app", 0o755), file("/etc/os-release")])
    findings, summary = run_hardening(
        sbom(config, distro=Distro("debian", "12")), t, default_checks(), strict=True
    )
    assert all(f.kind is FindingKind.HARDENING for f in findings)
    assert {f.status for f in findings} == {Status.PASS}
    assert summary.score == 100 and summary.failed == () and summary.passed == 10


def test_broken_check_is_an_error_finding_not_a_crash() -> None:
    findings, summary = run_hardening(sbom(), tree([]), [_Boom()])
    (finding,) = findings
    assert finding.status is Status.ERROR and "kaput" in finding.message
    assert summary.failed == ("HH-TEST-001",) and summary.score == 0
    with pytest.raises(ValueError):
        run_hardening(sbom(), tree([]), [_Boom()], strict=True)


def test_sbom_target_without_tree_scores_zero_with_skips() -> None:
    findings, summary = run_hardening(sbom(None, scheme="sbom"), None, default_checks())
    statuses = {f.rule_id: f.status for f in findings}
    assert statuses["HH-IMG-001"] is Status.SKIP
    assert statuses["HH-IMG-006"] is Status.SKIP
    assert statuses["HH-IMG-007"] is Status.FAIL  # no distro known at all
    assert summary.score == 0


def test_weighted_score() -> None:
    # root user fails (high, 4), everything else passes: total 4+2+2+4+2+8+4+1+1+1 = 29
    labels = (*TRACE_LABELS, ("org.opencontainers.image.base.digest", "sha256:" + "0" * 64))
    config = ImageConfig(user="root", labels=labels, healthcheck=("CMD", "true"))
    _, summary = run_hardening(
        sbom(config, distro=Distro("debian", "12")), tree([file("/app")]), default_checks()
    )
    assert summary.failed == ("HH-IMG-001",)
    assert summary.score == round(100 * 25 / 29)
