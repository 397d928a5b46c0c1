"""SPDX license identifiers and expressions."""

from __future__ import annotations

import dataclasses
import json

import pytest
from tests.unit.sbomfmt.sbomfmt_sample import assert_valid, make_pkg, sample_sbom, spdx_validator

from hardhull.model import PackageType
from hardhull.sbomfmt.licenses import canonical_id, is_compound, license_ref, normalize_expression
from hardhull.sbomfmt.spdx import to_spdx_json


def test_canonical_ids_are_case_insensitive() -> None:
    assert canonical_id("apache-2.0") == "Apache-2.0"
    assert canonical_id(" MIT ") == "MIT"
    assert canonical_id("Apache 2.0") is None
    assert canonical_id("Classpath-exception-2.0") == "Classpath-exception-2.0"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MIT", "MIT"),
        ("mit or apache-2.0", "MIT OR Apache-2.0"),
        ("GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0-only WITH Classpath-exception-2.0"),
        ("(MIT OR BSD-3-Clause) AND Zlib", "(MIT OR BSD-3-Clause) AND Zlib"),
        ("Apache-2.0+", "Apache-2.0+"),
        ("LicenseRef-custom AND MIT", "LicenseRef-custom AND MIT"),
        ("DocumentRef-x:LicenseRef-y", "DocumentRef-x:LicenseRef-y"),
        ("Apache 2.0", None),
        ("MIT AND", None),
        ("(MIT", None),
        ("MIT OR And Zlib", None),
        ("GPL-2.0-only WITH", None),
        ("", None),
    ],
)
def test_normalize_expression(text: str, expected: str | None) -> None:
    assert normalize_expression(text) == expected


def test_compound_and_refs() -> None:
    assert is_compound("MIT OR Zlib")
    assert not is_compound("MIT")
    assert license_ref("Apache 2.0") == "LicenseRef-Apache-2.0"
    assert license_ref("©®").startswith("LicenseRef-")
    assert len(license_ref("©®")) > len("LicenseRef-")


def test_spdx_defines_every_licenseref_it_uses() -> None:
    sbom = sample_sbom()
    odd = make_pkg(
        name="odd",
        version="1",
        type=PackageType.NPM,
        purl="pkg:npm/odd@1",
        locations=(),
        licenses=("LicenseRef-vendor OR MIT", "Apache/2.0", "Apache 2.0"),
    )
    data = to_spdx_json(dataclasses.replace(sbom, packages=(*sbom.packages, odd)))
    assert_valid(spdx_validator(), data)
    doc = json.loads(data)
    (pkg,) = [p for p in doc["packages"] if p["name"] == "odd"]
    declared = pkg["licenseDeclared"]
    defined = {i["licenseId"] for i in doc["hasExtractedLicensingInfos"]}
    used = {t.strip("()") for t in declared.split() if "LicenseRef-" in t}
    assert used <= defined
    assert declared.startswith("(LicenseRef-vendor OR MIT) AND LicenseRef-Apache-2.0")
    assert len(used) == 3  # two different names that sanitise alike stay distinct
