"""CycloneDX 1.6 with vulnerabilities and SPDX 2.3 with security refs: schema-valid, faithful."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from tests.unit.report.report_sample import (
    check_golden,
    hostile_report,
    sample_report,
    scratch_report,
)
from tests.unit.sbomfmt.sbomfmt_sample import (
    LIBC,
    REQUESTS,
    assert_valid,
    cyclonedx_validator,
    spdx_validator,
)

from hardhull.report import write_report
from hardhull.sbomfmt import write_sbom
from hardhull.sbomfmt.common import NO_DATABASE_MESSAGE
from hardhull.sbomfmt.cyclonedx import package_refs
from hardhull.sbomfmt.spdx import spdx_id


def _doc(report: Any, fmt: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(write_report(report, fmt))
    return result


def test_cyclonedx_validates_against_bom_1_6() -> None:
    validator = cyclonedx_validator()
    for report in (sample_report(), scratch_report(), hostile_report()):
        assert_valid(validator, write_report(report, "cyclonedx"))


def test_cyclonedx_matches_golden() -> None:
    check_golden("sample.scan.cdx.json", write_report(sample_report(), "cyclonedx"))


def test_cyclonedx_without_findings_is_the_sbom_plus_scan_properties() -> None:
    report = dataclasses.replace(sample_report(), findings=())
    doc = _doc(report, "cyclonedx")
    sbom_doc = json.loads(write_sbom(report.sbom, "cyclonedx"))
    assert "vulnerabilities" not in doc
    assert doc["serialNumber"] == sbom_doc["serialNumber"]
    assert doc["components"] == sbom_doc["components"]
    extra = doc["metadata"]["properties"][len(sbom_doc["metadata"]["properties"]) :]
    assert (
        doc["metadata"]["properties"][: len(sbom_doc["metadata"]["properties"])]
        == (sbom_doc["metadata"]["properties"])
    )
    assert all(p["name"].startswith("hardhull:scan:") for p in extra)


def test_cyclonedx_vulnerabilities() -> None:
    doc = _doc(sample_report(), "cyclonedx")
    refs = {c["bom-ref"] for c in doc["components"]}
    vulns = doc["vulnerabilities"]
    assert len(vulns) == 7  # 5 active + 2 suppressed; hardening checks are not vulnerabilities
    assert len({v["bom-ref"] for v in vulns}) == 7
    by_id = {v["id"]: v for v in vulns}
    crit = by_id["CVE-2024-0001"]
    assert crit["source"]["name"] == "NVD"
    assert crit["ratings"] == [
        {
            "source": {"name": "CVSS_V3"},
            "method": "CVSSv31",
            "score": 9.8,
            "severity": "critical",
            "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        }
    ]
    assert crit["cwes"] == [787]
    assert crit["advisories"] == [
        {"url": "https://security-tracker.debian.org/tracker/CVE-2024-0001"}
    ]
    libc_ref = {p.id: r for p, r in package_refs(sample_report().sbom.packages)}[LIBC.id]
    assert crit["affects"][0]["ref"] == libc_ref
    assert crit["affects"][0]["versions"] == [
        {"version": "2.36-9+deb12u4", "status": "affected"},
        {"version": "2.36-9+deb12u5", "status": "unaffected"},
        {"range": "vers:deb/<2.36-9+deb12u5", "status": "affected"},
    ]
    assert {"name": "hardhull:kev", "value": "true"} in crit["properties"]
    for vuln in vulns:
        assert {a["ref"] for a in vuln["affects"]} <= refs
    ghsa = by_id["GHSA-9wx4-h78v-vm56"]
    assert ghsa["references"][0]["id"] == "CVE-2024-35195"
    assert ghsa["ratings"][0]["method"] == "CVSSv3"
    assert ghsa["advisories"] == [{"url": "https://github.com/psf/requests/pull/6655"}]
    assert by_id["CVE-2023-0003"]["ratings"][0]["method"] == "CVSSv4"
    assert by_id["CVE-2010-0006"]["ratings"][0]["method"] == "other"
    assert by_id["CVE-2010-0006"]["ratings"][0]["severity"] == "info"


def test_cyclonedx_analysis_for_suppressed_findings() -> None:
    by_id = {v["id"]: v for v in _doc(sample_report(), "cyclonedx")["vulnerabilities"]}
    vex = by_id["CVE-2022-0005"]["analysis"]
    assert vex["state"] == "not_affected"
    assert vex["justification"] == "code_not_reachable"
    ignored = by_id["GHSA-aaaa-bbbb-cccc"]["analysis"]
    assert ignored["response"] == ["will_not_fix"]
    assert "2026-12-31" in ignored["detail"]
    assert "analysis" not in by_id["CVE-2024-0001"]


def test_cyclonedx_states_stale_db_hardening_and_missing_package_database() -> None:
    props = {
        p["name"]: p["value"] for p in _doc(sample_report(), "cyclonedx")["metadata"]["properties"]
    }
    assert props["hardhull:scan:vulnerability-db-stale"] == "true"
    assert props["hardhull:scan:hardening-score"] == "60"
    assert props["hardhull:scan:hardening-failed"] == "HH-IMG-002,HH-IMG-005"
    scratch = _doc(scratch_report(), "cyclonedx")["metadata"]["properties"]
    assert {
        "name": "hardhull:coverage:no-package-database",
        "value": NO_DATABASE_MESSAGE,
    } in scratch


def test_spdx_validates_against_2_3() -> None:
    validator = spdx_validator()
    for report in (sample_report(), scratch_report(), hostile_report()):
        assert_valid(validator, write_report(report, "spdx"))


def test_spdx_security_refs_on_affected_packages() -> None:
    report = sample_report()
    doc = _doc(report, "spdx")
    ids = {p.id: spdx_id(p, r) for p, r in package_refs(report.sbom.packages)}
    packages = {p["SPDXID"]: p for p in doc["packages"]}
    refs = [
        r
        for r in packages[ids[REQUESTS.id]]["externalRefs"]
        if r["referenceCategory"] == "SECURITY"
    ]
    advisories = [r for r in refs if r["referenceType"] == "advisory"]
    assert [r["referenceLocator"] for r in advisories] == [
        "https://github.com/advisories/GHSA-9wx4-h78v-vm56",
        "https://nvd.nist.gov/vuln/detail/CVE-2022-0005",
    ]
    assert "SUPPRESSED vex: code_not_reachable" in advisories[1]["comment"]
    urls = [r["referenceLocator"] for r in refs if r["referenceType"] == "url"]
    assert urls == ["https://github.com/psf/requests/pull/6655"]  # javascript: dropped
    libc = packages[ids[LIBC.id]]["externalRefs"]
    assert any("CISA KEV" in r.get("comment", "") for r in libc)


def test_spdx_summary_annotation_and_comment() -> None:
    doc = _doc(sample_report(), "spdx")
    scan = [a for a in doc["annotations"] if a["comment"].startswith("hardhull:scan ")]
    assert len(scan) == 1
    facts = json.loads(scan[0]["comment"].removeprefix("hardhull:scan "))
    assert facts["summary"]["vulnerabilities"] == 5
    assert facts["hardening"]["score"] == 60
    assert "no vulnerability section" in facts["note"]
    assert "hardhull coverage:" in doc["comment"]
    assert "5 vulnerabilities (3 fixable, 1 known exploited)" in doc["comment"]
    scratch = _doc(scratch_report(), "spdx")
    assert NO_DATABASE_MESSAGE in scratch["comment"]
