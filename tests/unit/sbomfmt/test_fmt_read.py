"""Reading SBOMs back: round trips of our three formats, purl types, and bad documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tests.unit.sbomfmt.sbomfmt_sample import GOMOD, REQUESTS, URLLIB3, sample_sbom, scratch_sbom

from hardhull.cli.main import cli
from hardhull.errors import FormatError
from hardhull.model import Package, PackageType, Sbom
from hardhull.sbomfmt import write_sbom
from hardhull.sbomfmt.docread import parse_purl, type_from_purl
from hardhull.sbomfmt.read import read_sbom


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def _key(pkgs: tuple[Package, ...]) -> list[Package]:
    return sorted(pkgs, key=lambda p: (p.sort_key(), p.id))


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx", "json"])
def test_round_trip_keeps_packages_distro_and_coverage(tmp_path: Path, fmt: str) -> None:
    sbom = sample_sbom()
    back = read_sbom(_write(tmp_path, f"s.{fmt}.json", write_sbom(sbom, fmt)))
    assert _key(back.packages) == _key(sbom.packages)
    assert back.distro == sbom.distro
    assert back.coverage == sbom.coverage
    assert back.created == sbom.created
    assert (back.tool, back.tool_version) == ("hardhull", "0.1.0")
    assert back.source.scheme == "oci-archive"
    assert back.source.manifest_digest == sbom.source.manifest_digest
    assert back.source.platform == "linux/amd64"
    rels = {(r.parent, r.kind, r.child) for r in back.relationships}
    assert (REQUESTS.id, "depends-on", URLLIB3.id) in rels
    assert any(r.kind == "contains" and r.parent == GOMOD.id for r in back.relationships)


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx", "json"])
def test_round_trip_of_an_uninventoried_target(tmp_path: Path, fmt: str) -> None:
    sbom = scratch_sbom()
    back = read_sbom(_write(tmp_path, f"s.{fmt}.json", write_sbom(sbom, fmt)))
    assert back.packages == ()
    assert back.coverage == sbom.coverage
    assert not back.coverage.has_package_database


def test_spdx_and_native_round_trip_restore_the_whole_source(tmp_path: Path) -> None:
    sbom = sample_sbom()
    for fmt in ("spdx", "json"):
        back = read_sbom(_write(tmp_path, f"s.{fmt}.json", write_sbom(sbom, fmt)))
        assert back.source == sbom.source
    native = read_sbom(_write(tmp_path, "n.json", write_sbom(sbom, "json")))
    assert native.files == sbom.files
    assert native.relationships == sbom.relationships


def test_write_read_write_is_stable(tmp_path: Path) -> None:
    for fmt in ("cyclonedx", "spdx"):
        once = write_sbom(sample_sbom(), fmt)
        again = write_sbom(read_sbom(_write(tmp_path, f"{fmt}.json", once)), fmt)
        if fmt == "spdx":  # the source is restored whole from SPDX
            assert again == once
        else:
            assert json.loads(again)["components"] == json.loads(once)["components"]


@pytest.mark.parametrize(
    ("purl", "expected"),
    [
        ("pkg:deb/debian/libc6@2.36", PackageType.DEB),
        ("pkg:pypi/requests@2.31.0", PackageType.PYTHON),
        ("pkg:npm/%40scope/x@1.0.0", PackageType.NPM),
        ("pkg:golang/github.com/a/b@v1.0.0", PackageType.GO),
        ("pkg:maven/org.apache/commons@1.0", PackageType.JAVA),
        ("pkg:gem/rails@7.0.0", PackageType.GEM),
        ("pkg:cargo/serde@1.0.0", PackageType.CARGO),
        ("pkg:nuget/Newtonsoft.Json@13.0.1", PackageType.NUGET),
        ("pkg:composer/laravel/framework@10.0.0", PackageType.COMPOSER),
        ("pkg:apk/alpine/musl@1.2.4", PackageType.APK),
        ("pkg:rpm/redhat/bash@5.1", PackageType.RPM),
        ("pkg:generic/thing@1", PackageType.BINARY),
        ("not a purl", PackageType.BINARY),
    ],
)
def test_purl_types_map_back(purl: str, expected: PackageType) -> None:
    assert type_from_purl(parse_purl(purl)) is expected


def _cdx(components: list[dict[str, Any]], **extra: Any) -> str:
    return json.dumps(
        {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": components, **extra}
    )


def test_third_party_cyclonedx_os_packages_get_details_from_the_purl(tmp_path: Path) -> None:
    purl = "pkg:deb/debian/libssl3@3.0.11-1?arch=arm64&distro=debian-12&upstream=openssl%403.0.11-1"
    doc = _cdx(
        [
            {"type": "library", "name": "libssl3", "version": "3.0.11-1~deb12u2", "purl": purl},
            {"type": "operating-system", "name": "debian", "version": "12"},
            {"type": "file", "name": "/etc/passwd"},
        ],
        metadata={"tools": [{"vendor": "x", "name": "oldtool", "version": "0.9"}]},
    )
    sbom = read_sbom(_write(tmp_path, "third.cdx.json", doc))
    (pkg,) = sbom.packages
    assert pkg.type is PackageType.DEB
    assert (pkg.arch, pkg.distro) == ("arm64", "debian-12")
    assert (pkg.source_name, pkg.source_version) == ("openssl", "3.0.11-1")
    assert sbom.distro is not None and sbom.distro.version_id == "12"
    assert (sbom.tool, sbom.tool_version) == ("oldtool", "0.9")
    (gap,) = sbom.coverage.gaps
    assert gap.kind == "sbom-input"


def _error(tmp_path: Path, name: str, data: str) -> str:
    with pytest.raises(FormatError) as info:
        read_sbom(_write(tmp_path, name, data))
    message = str(info.value)
    assert "\n" not in message
    assert str(tmp_path / name) in message
    return message


def test_malformed_json(tmp_path: Path) -> None:
    assert "not valid JSON" in _error(tmp_path, "bad.json", '{"bomFormat": "CycloneDX", ')


def test_wrong_document_types(tmp_path: Path) -> None:
    assert "expected a JSON object" in _error(tmp_path, "list.json", "[1, 2]")
    assert "not a CycloneDX, SPDX or hardhull" in _error(tmp_path, "o.json", '{"a": 1}')
    assert "expected 'CycloneDX'" in _error(tmp_path, "b.json", '{"bomFormat": "Other"}')


def test_unsupported_versions(tmp_path: Path) -> None:
    doc = json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.2"})
    assert "$.specVersion: unsupported version '1.2'" in _error(tmp_path, "c.json", doc)
    doc = json.dumps({"spdxVersion": "SPDX-2.1", "SPDXID": "SPDXRef-DOCUMENT"})
    assert "$.spdxVersion: unsupported version" in _error(tmp_path, "s.json", doc)


def test_missing_and_mistyped_fields_name_the_json_path(tmp_path: Path) -> None:
    msg = _error(tmp_path, "c1.json", _cdx([{"type": "library", "version": "1"}]))
    assert "at $.components[0].name: required field is missing" in msg
    msg = _error(tmp_path, "c2.json", _cdx([{"type": "library", "name": 3}]))
    assert "at $.components[0].name: expected a string, found a number" in msg
    nested = [{"type": "library", "name": "a", "components": [{"type": "library"}]}]
    assert "$.components[0].components[0].name" in _error(tmp_path, "c3.json", _cdx(nested))
    spdx = {
        "spdxVersion": "SPDX-2.3",
        "SPDXID": "SPDXRef-DOCUMENT",
        "creationInfo": {"created": "2026-01-01T00:00:00Z", "creators": ["Tool: x-1"]},
        "packages": [{"SPDXID": "SPDXRef-a"}],
    }
    msg = _error(tmp_path, "s.json", json.dumps(spdx))
    assert "SPDX document, at $.packages[0].name: required field is missing" in msg
    native = {"schema": 1, "packages": [{"name": "x", "type": "nope"}], "coverage": {}}
    assert "$.packages[0].type: unknown package type 'nope'" in _error(
        tmp_path, "n.json", json.dumps(native)
    )


def test_unreadable_path(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="cannot read the SBOM"):
        read_sbom(tmp_path / "missing.json")


def test_cli_reads_an_sbom_and_reports_bad_ones_in_one_line(tmp_path: Path) -> None:
    good = _write(tmp_path, "good.cdx.json", write_sbom(sample_sbom(), "cyclonedx"))
    runner = CliRunner()
    result = runner.invoke(cli, ["sbom", f"sbom:{good}", "--format", "json", "-q"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert {p["name"] for p in doc["packages"]} == {p.name for p in sample_sbom().packages}
    bad = _write(tmp_path, "bad.json", '{"bomFormat": "CycloneDX", "specVersion": 1.6}')
    result = runner.invoke(cli, ["sbom", f"sbom:{bad}", "-q"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("hardhull: error: ")
    assert "$.specVersion: expected a string, found a number" in lines[0]
    assert "Traceback" not in result.output


def test_read_result_is_a_plain_sbom(tmp_path: Path) -> None:
    back = read_sbom(_write(tmp_path, "x.json", write_sbom(sample_sbom(), "spdx")))
    assert isinstance(back, Sbom)
    assert all(isinstance(p, Package) for p in back.packages)
