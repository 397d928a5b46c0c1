"""SPDX 2.3 writer: valid against the official schema, deterministic, honest about coverage."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from tests.unit.sbomfmt.sbomfmt_sample import (
    DUAL,
    GOMOD,
    LIBC,
    REQUESTS,
    URLLIB3,
    assert_valid,
    big_sbom,
    sample_sbom,
    scratch_sbom,
    spdx_validator,
)

from hardhull.sbomfmt.spdx import ROOT_ID, to_spdx_json


def _doc(data: bytes) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(data)
    return doc


def _by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in doc["packages"]}


def test_sample_validates_against_the_spdx_2_3_schema() -> None:
    assert_valid(spdx_validator(), to_spdx_json(sample_sbom()))


def test_scratch_and_large_documents_validate() -> None:
    validator = spdx_validator()
    assert_valid(validator, to_spdx_json(scratch_sbom()))
    assert_valid(validator, to_spdx_json(big_sbom(n=2000, files=2000)))


def test_schema_validation_rejects_a_broken_document() -> None:
    doc = _doc(to_spdx_json(sample_sbom()))
    del doc["packages"][2]["downloadLocation"]
    assert not spdx_validator().is_valid(doc)


def test_document_header() -> None:
    doc = _doc(to_spdx_json(sample_sbom()))
    assert doc["spdxVersion"] == "SPDX-2.3"
    assert doc["dataLicense"] == "CC0-1.0"
    assert doc["SPDXID"] == "SPDXRef-DOCUMENT"
    assert doc["creationInfo"]["created"] == "2026-01-02T03:04:05Z"
    assert doc["creationInfo"]["creators"] == ["Tool: hardhull-0.1.0"]
    assert doc["documentNamespace"].startswith("https://")
    assert "#" not in doc["documentNamespace"]


def test_deterministic_and_namespace_tracks_content() -> None:
    sbom = sample_sbom()
    first = to_spdx_json(sbom)
    assert first == to_spdx_json(sbom)
    other = dataclasses.replace(sbom, created="2026-02-02T00:00:00Z")
    assert _doc(to_spdx_json(other))["documentNamespace"] != _doc(first)["documentNamespace"]


def test_one_package_per_package_with_required_fields() -> None:
    doc = _doc(to_spdx_json(sample_sbom()))
    pkgs = _by_name(doc)
    libc = pkgs["libc6"]
    assert libc["SPDXID"].endswith(LIBC.id)
    assert libc["downloadLocation"] == "NOASSERTION"
    assert libc["filesAnalyzed"] is False
    assert libc["licenseConcluded"] == "NOASSERTION"
    assert libc["licenseDeclared"] == "GPL-2.0-or-later AND LGPL-2.1-or-later"
    assert {
        "referenceCategory": "PACKAGE-MANAGER",
        "referenceType": "purl",
        "referenceLocator": LIBC.purl,
    } in libc["externalRefs"]
    cpes = [
        r["referenceLocator"]
        for r in pkgs[GOMOD.name]["externalRefs"]
        if r["referenceType"] == "cpe23Type"
    ]
    assert cpes == list(GOMOD.cpes)
    assert "externalRefs" not in pkgs["busybox"]
    assert pkgs[DUAL.name]["licenseDeclared"] == "MIT OR Apache-2.0"
    assert pkgs[URLLIB3.name]["licenseDeclared"] == "MIT"
    assert len(doc["packages"]) == len(sample_sbom().packages) + 2  # root + OS


def test_unknown_license_becomes_an_extracted_licenseref() -> None:
    doc = _doc(to_spdx_json(sample_sbom()))
    ref = _by_name(doc)[REQUESTS.name]["licenseDeclared"]
    assert ref == "LicenseRef-Apache-2.0"
    assert doc["hasExtractedLicensingInfos"] == [
        {"licenseId": ref, "name": "Apache 2.0", "extractedText": "Apache 2.0"}
    ]


def test_describes_and_contains_relationships() -> None:
    doc = _doc(to_spdx_json(sample_sbom()))
    rels = {
        (r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"])
        for r in doc["relationships"]
    }
    assert ("SPDXRef-DOCUMENT", "DESCRIBES", ROOT_ID) in rels
    ids = {p["name"]: p["SPDXID"] for p in doc["packages"]}
    for pkg in sample_sbom().packages:
        assert (ROOT_ID, "CONTAINS", ids[pkg.name]) in rels
    assert (ROOT_ID, "CONTAINS", "SPDXRef-OperatingSystem") in rels
    assert (ids["requests"], "DEPENDS_ON", ids["urllib3"]) in rels
    assert (ids[GOMOD.name], "CONTAINS", ids["busybox"]) in rels
    assert len(rels) == len(doc["relationships"])


def test_root_and_operating_system_packages() -> None:
    pkgs = _by_name(_doc(to_spdx_json(sample_sbom())))
    root = pkgs["localhost/app:1.0"]
    assert root["SPDXID"] == ROOT_ID
    assert root["primaryPackagePurpose"] == "CONTAINER"
    assert root["versionInfo"] == "sha256:" + "a" * 64
    os_pkg = pkgs["debian"]
    assert os_pkg["primaryPackagePurpose"] == "OPERATING_SYSTEM"
    assert os_pkg["versionInfo"] == "12"


def test_coverage_in_comment_and_annotations() -> None:
    doc = _doc(to_spdx_json(sample_sbom()))
    assert "Files examined: 1234" in doc["comment"]
    assert "Executables no cataloger identified: 2" in doc["comment"]
    assert "Coverage INCOMPLETE" in doc["comment"]
    (cov,) = [a for a in doc["annotations"] if a["comment"].startswith("hardhull:coverage ")]
    data = json.loads(cov["comment"].removeprefix("hardhull:coverage "))
    assert data["files_examined"] == 1234
    assert data["unidentified_executable_count"] == 2
    assert cov["annotator"] == "Tool: hardhull-0.1.0"


def test_missing_package_database_is_stated_loudly() -> None:
    doc = _doc(to_spdx_json(scratch_sbom()))
    assert doc["comment"].startswith("hardhull coverage: NO PACKAGE DATABASE FOUND")
    assert any("could NOT be inventoried" in a["comment"] for a in doc["annotations"])
    assert _by_name(doc)["/srv/rootfs"]["primaryPackagePurpose"] == "FILE"


def test_missing_created_falls_back_to_a_fixed_valid_date() -> None:
    doc = _doc(to_spdx_json(dataclasses.replace(scratch_sbom(), created="")))
    assert doc["creationInfo"]["created"] == "1970-01-01T00:00:00Z"
