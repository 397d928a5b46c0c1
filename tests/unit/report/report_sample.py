"""Hand-built scan Reports and validators shared by the report tests."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from tests.unit.sbomfmt.sbomfmt_sample import (
    DUAL,
    GOMOD,
    L1,
    L2,
    LIBC,
    REQUESTS,
    URLLIB3,
    make_pkg,
    sample_sbom,
    scratch_sbom,
)

from hardhull.model import (
    DbInfo,
    Finding,
    FindingKind,
    Gap,
    HardeningSummary,
    LayerInfo,
    Location,
    PackageType,
    Report,
    Score,
    Severity,
    Status,
    Suppression,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "report"
GOLDEN = FIXTURES / "golden"
CREATED = "2026-01-02T03:04:05Z"
HOSTILE = "<script>alert('pwned')</script>"

DB = DbInfo(
    path="/var/cache/hardhull/vulns.db",
    schema_version=1,
    built="2025-12-20T00:00:00Z",
    sources=(("kev", "2025-12-19T00:00:00Z"), ("osv:Debian", "2025-12-20T00:00:00Z")),
    records=38000,
    stale=True,
    warnings=("database is 13 days old (limit: 7 days)",),
)


def vuln(pkg: Any, rule_id: str, severity: Severity, **kw: Any) -> Finding:
    """A vulnerability finding about ``pkg`` located where the package is."""
    base: dict[str, Any] = {
        "kind": FindingKind.VULNERABILITY,
        "status": Status.FAIL,
        "severity": severity,
        "rule_id": rule_id,
        "title": f"{rule_id} in {pkg.name}",
        "subject": pkg.id,
        "package": pkg,
        "locations": pkg.locations,
    }
    base.update(kw)
    return Finding(**base)


def check(rule_id: str, status: Status, severity: Severity, title: str, **kw: Any) -> Finding:
    """A hardening check result."""
    return Finding(
        kind=FindingKind.HARDENING,
        status=status,
        severity=severity,
        rule_id=rule_id,
        title=title,
        subject="image",
        **kw,
    )


FINDINGS = (
    vuln(
        LIBC,
        "CVE-2024-0001",
        Severity.CRITICAL,
        title="glibc: heap overflow in the resolver",
        message="A crafted DNS answer overflows a heap buffer.",
        fixed_versions=("2.36-9+deb12u5",),
        scores=(Score("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),),
        kev=True,
        epss=0.93123,
        references=("https://security-tracker.debian.org/tracker/CVE-2024-0001",),
        evidence=(("cwe", "CWE-787"), ("ecosystem", "Debian:12"), ("searched_name", "glibc")),
        fix="Upgrade libc6 to 2.36-9+deb12u5.",
    ),
    vuln(
        LIBC,
        "CVE-2010-0006",
        Severity.NEGLIGIBLE,
        scores=(Score("Debian", "unimportant"),),
        evidence=(("ecosystem", "Debian:12"),),
    ),
    vuln(
        REQUESTS,
        "GHSA-9wx4-h78v-vm56",
        Severity.MEDIUM,
        aliases=("CVE-2024-35195",),
        title="Requests keeps verify=False for later requests",
        fixed_versions=("2.32.0",),
        scores=(Score("CVSS_V3", "CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N", 5.6),),
        epss=0.0012,
        references=("https://github.com/psf/requests/pull/6655", "javascript:alert(1)"),
    ),
    vuln(
        URLLIB3,
        "CVE-2023-0003",
        Severity.HIGH,
        scores=(
            Score(
                "CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N", 8.7
            ),
        ),
    ),
    vuln(GOMOD, "CVE-2023-0004", Severity.HIGH, fixed_versions=("v1.8.1",)),
    vuln(
        REQUESTS,
        "CVE-2022-0005",
        Severity.LOW,
        fixed_versions=("2.31.1",),
        suppressed=Suppression("vex", "code_not_reachable", "vex/requests.openvex.json"),
    ),
    vuln(
        DUAL,
        "GHSA-aaaa-bbbb-cccc",
        Severity.MEDIUM,
        suppressed=Suppression(
            "ignore", "accepted risk until the upgrade", ".hardhull-ignore.yaml", "2026-12-31"
        ),
    ),
    check("HH-IMG-001", Status.PASS, Severity.HIGH, "Runs as a non-root user"),
    check(
        "HH-IMG-002",
        Status.FAIL,
        Severity.MEDIUM,
        "No shell or package manager in the final image",
        message="found /bin/sh and /usr/bin/apt",
        locations=(Location("/bin/sh", L1),),
        fix="Build on a distroless base image.",
    ),
    check(
        "HH-IMG-005",
        Status.FAIL,
        Severity.CRITICAL,
        "No secrets in any layer",
        message="AWS access key in /root/.aws/credentials (deleted in a later layer)",
        locations=(Location("/root/.aws/credentials", L2),),
    ),
    check("HH-IMG-007", Status.WARN, Severity.LOW, "HEALTHCHECK is set"),
    check(
        "HH-IMG-008",
        Status.SKIP,
        Severity.LOW,
        "Base image end of life known",
        message="no end-of-life data for debian 12",
    ),
)


def _sbom_with_history() -> Any:
    sbom = sample_sbom()
    layers = (
        LayerInfo(
            L1,
            "application/vnd.oci.image.layer.v1.tar+gzip",
            1000,
            diff_id=L1,
            created_by="ADD rootfs.tar.xz / # buildkit",
        ),
        LayerInfo(
            L2,
            "application/vnd.oci.image.layer.v1.tar+zstd",
            2000,
            diff_id=L2,
            created_by="RUN pip install requests==2.31.0",
        ),
    )
    return dataclasses.replace(sbom, source=dataclasses.replace(sbom.source, layers=layers))


def sample_report() -> Report:
    """An image report with every kind of vulnerability and hardening result."""
    sbom = _sbom_with_history()
    return Report(
        sbom=sbom,
        findings=FINDINGS,
        coverage=sbom.coverage,
        db=DB,
        hardening=HardeningSummary(score=60, passed=1, failed=("HH-IMG-005", "HH-IMG-002")),
        created=CREATED,
    )


def scratch_report() -> Report:
    """A FROM-scratch target: nothing lists its software, nothing matched."""
    sbom = scratch_sbom()
    return Report(sbom=sbom, findings=(), coverage=sbom.coverage, db=DB, created=CREATED)


def hostile_report() -> Report:
    """Strings from the image that try to break out of every format."""
    evil = make_pkg(
        name=HOSTILE,
        version='1.0"><img src=x onerror=alert(1)>',
        type=PackageType.NPM,
        purl="pkg:npm/evil@1.0",
        locations=(Location("/app/node_modules/<evil>/package.json", L2),),
        found_by="npm",
    )
    base = sample_report()
    sbom = dataclasses.replace(base.sbom, packages=(*base.sbom.packages, evil))
    finding = vuln(
        evil,
        "GHSA-<x>",
        Severity.HIGH,
        title="<img src=x onerror=alert(2)>",
        message="</td></tr></table><script>alert(3)</script>",
        fixed_versions=("2.0&<b>",),
        references=("javascript:alert(4)", "https://example.org/a?b=<c>"),
    )
    gap = Gap("unreadable-file", "<b>/etc/evil</b>", "<script>alert(5)</script>")
    coverage = dataclasses.replace(base.coverage, gaps=(*base.coverage.gaps, gap))
    return dataclasses.replace(
        base, sbom=sbom, findings=(*base.findings, finding), coverage=coverage
    )


def sarif_validator() -> Any:
    """jsonschema-rs validator for the official SARIF 2.1.0 schema (stored fixture)."""
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text())
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def check_golden(name: str, data: bytes) -> None:
    """Compare with ``golden/<name>``; rewrite it instead when HARDHULL_UPDATE_GOLDEN=1."""
    path = GOLDEN / name
    if os.environ.get("HARDHULL_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return
    if not path.is_file():
        pytest.fail(f"golden file {path} is missing; run with HARDHULL_UPDATE_GOLDEN=1")
    assert data.decode() == path.read_text(), f"{name} differs from its golden file"
