"""CycloneDX 1.6 writer: schema-valid, readable by cyclonedx-python-lib, deterministic."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from cyclonedx.model.bom import Bom
from cyclonedx.model.component import ComponentType
from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression
from tests.unit.sbomfmt.sbomfmt_sample import (
    BUSYBOX,
    GOMOD,
    LIBC,
    REQUESTS,
    URLLIB3,
    assert_valid,
    big_sbom,
    cyclonedx_validator,
    sample_sbom,
    scratch_sbom,
)

from hardhull.sbomfmt.cyclonedx import cyclonedx_licenses, to_cyclonedx_json


def _doc(data: bytes) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(data)
    return doc


def _props(obj: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["name"], p["value"]) for p in obj.get("properties", [])]


def _component(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    (comp,) = [c for c in doc["components"] if c["bom-ref"] == ref]
    return comp


def test_sample_validates_against_the_official_schema() -> None:
    assert_valid(cyclonedx_validator(), to_cyclonedx_json(sample_sbom()))


def test_scratch_and_large_documents_validate() -> None:
    validator = cyclonedx_validator()
    assert_valid(validator, to_cyclonedx_json(scratch_sbom()))
    big = to_cyclonedx_json(big_sbom(n=2000, files=2000))
    assert_valid(validator, big)
    assert len(_doc(big)["components"]) == 2000 + 1  # packages + the operating system


def test_schema_validation_rejects_a_broken_document() -> None:
    doc = _doc(to_cyclonedx_json(sample_sbom()))
    doc["components"][1]["type"] = "not-a-type"
    assert not cyclonedx_validator().is_valid(doc)


def test_cyclonedx_python_lib_reads_it_back() -> None:
    bom = Bom.from_json(_doc(to_cyclonedx_json(sample_sbom())))  # type: ignore[attr-defined]
    assert bom.metadata.component is not None
    assert bom.metadata.component.type is ComponentType.CONTAINER
    by_name = {c.name: c for c in bom.components}
    assert by_name["debian"].type is ComponentType.OPERATING_SYSTEM
    assert str(by_name["requests"].purl) == "pkg:pypi/requests@2.31.0"
    assert by_name["requests"].bom_ref.value == REQUESTS.id
    libc_ids = sorted(lic.id for lic in by_name["libc6"].licenses)  # type: ignore[union-attr]
    assert libc_ids == ["GPL-2.0-or-later", "LGPL-2.1-or-later"]
    (dual,) = by_name["@scope/dual"].licenses
    assert isinstance(dual, LicenseExpression)
    assert dual.value == "MIT OR Apache-2.0"
    (named,) = by_name["requests"].licenses
    assert isinstance(named, DisjunctiveLicense)
    assert named.name == "Apache 2.0"


def test_output_is_deterministic_and_serial_tracks_content() -> None:
    sbom = sample_sbom()
    first = to_cyclonedx_json(sbom)
    assert first == to_cyclonedx_json(sbom)
    serial = _doc(first)["serialNumber"]
    assert serial.startswith("urn:uuid:")
    fewer = dataclasses.replace(sbom, packages=sbom.packages[1:])
    assert _doc(to_cyclonedx_json(fewer))["serialNumber"] != serial


def test_components_are_sorted_with_package_ids_as_refs() -> None:
    doc = _doc(to_cyclonedx_json(sample_sbom()))
    comps = doc["components"]
    assert comps[0]["type"] == "operating-system"
    libs = comps[1:]
    assert [c["name"] for c in libs] == [
        "busybox",
        "libc6",
        "github.com/spf13/cobra",
        "@scope/dual",
        "requests",
        "urllib3",
    ]
    assert {c["bom-ref"] for c in libs} == {p.id for p in sample_sbom().packages}
    assert all(c["type"] == "library" for c in libs)


def test_metadata_describes_the_image() -> None:
    doc = _doc(to_cyclonedx_json(sample_sbom()))
    meta = doc["metadata"]
    assert meta["timestamp"] == "2026-01-02T03:04:05Z"
    assert meta["tools"]["components"][0] == {
        "type": "application",
        "name": "hardhull",
        "version": "0.1.0",
    }
    root = meta["component"]
    assert root["type"] == "container"
    assert root["name"] == "localhost/app:1.0"
    assert root["version"] == "sha256:" + "a" * 64
    props = dict(_props(root))
    assert props["hardhull:image:platform"] == "linux/amd64"
    assert props["hardhull:image:config-digest"] == "sha256:" + "c" * 64


def test_directory_target_is_a_file_component_without_timestamp_when_not_created() -> None:
    sbom = dataclasses.replace(scratch_sbom(), created="")
    doc = _doc(to_cyclonedx_json(sbom))
    assert doc["metadata"]["component"]["type"] == "file"
    assert "timestamp" not in doc["metadata"]


def test_package_properties_carry_hardhull_facts() -> None:
    doc = _doc(to_cyclonedx_json(sample_sbom()))
    libc = dict(_props(_component(doc, LIBC.id)))
    assert libc["hardhull:package:type"] == "deb"
    assert libc["hardhull:found-by"] == "dpkg"
    assert libc["hardhull:location:0:path"] == "/var/lib/dpkg/status"
    assert libc["hardhull:location:0:layer"] == LIBC.locations[0].layer
    assert libc["hardhull:source-package:name"] == "glibc"
    assert libc["hardhull:arch"] == "amd64"
    gomod = _component(doc, GOMOD.id)
    assert gomod["cpe"] == GOMOD.cpes[0]
    gprops = _props(gomod)
    assert [v for n, v in gprops if n == "hardhull:cpe"] == list(GOMOD.cpes)
    assert ("hardhull:metadata:go_version", "go1.22.1") in gprops
    assert ("hardhull:contains", BUSYBOX.id) in gprops
    assert "purl" not in _component(doc, BUSYBOX.id)


def test_dependencies_come_from_relationships_and_skip_unknown_refs() -> None:
    doc = _doc(to_cyclonedx_json(sample_sbom()))
    assert doc["dependencies"] == [{"ref": REQUESTS.id, "dependsOn": [URLLIB3.id]}]


def test_coverage_goes_into_metadata_properties() -> None:
    props = _props(_doc(to_cyclonedx_json(sample_sbom()))["metadata"])
    named = dict(props)
    assert named["hardhull:coverage:package-database-found"] == "true"
    assert "hardhull:coverage:no-package-database" not in named
    assert named["hardhull:coverage:complete"] == "false"
    assert named["hardhull:coverage:unidentified-executables"] == "2"
    paths = [v for n, v in props if n == "hardhull:coverage:unidentified-executable"]
    assert paths == ["/opt/tool/run", "/usr/local/bin/mystery"]
    gaps = [json.loads(v) for n, v in props if n == "hardhull:coverage:gap"]
    assert gaps[0] == ["too-large", "/data/huge.bin", sample_sbom().coverage.gaps[0].detail]
    assert named["hardhull:coverage:gaps"] == "3"


def test_missing_package_database_is_stated_loudly() -> None:
    props = dict(_props(_doc(to_cyclonedx_json(scratch_sbom()))["metadata"]))
    assert props["hardhull:coverage:package-database-found"] == "false"
    assert "could NOT be inventoried" in props["hardhull:coverage:no-package-database"]


def test_license_mapping() -> None:
    assert cyclonedx_licenses(("mit",)) == [{"license": {"id": "MIT"}}]
    assert cyclonedx_licenses(("MIT or apache-2.0",)) == [{"expression": "MIT OR Apache-2.0"}]
    assert cyclonedx_licenses(("Apache-2.0+",)) == [{"expression": "Apache-2.0+"}]
    assert cyclonedx_licenses(("BSD", "MIT")) == [
        {"license": {"name": "BSD"}},
        {"license": {"id": "MIT"}},
    ]
    # A compound expression among several licenses cannot be an expression entry.
    assert cyclonedx_licenses(("MIT OR GPL-2.0-only", "Zlib")) == [
        {"license": {"name": "MIT OR GPL-2.0-only"}},
        {"license": {"id": "Zlib"}},
    ]
