"""Third-party SBOMs: Syft's CycloneDX and SPDX output for a small tree, read back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.imagekit import require
from tests.unit.sbomfmt.sbomfmt_sample import (
    FIXTURES,
    assert_valid,
    cyclonedx_validator,
    spdx_validator,
)

from hardhull.model import PackageType, Sbom
from hardhull.sbomfmt import write_sbom
from hardhull.sbomfmt.read import read_sbom

TREE = FIXTURES / "syft-tree"


def _syft() -> str:
    beside = Path(sys.executable).parent / "syft"
    if beside.is_file():
        return str(beside)
    require("syft")
    found = shutil.which("syft")
    assert found is not None
    return found


@pytest.fixture(scope="module")
def syft_docs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("syft")
    docs = {"cyclonedx": out / "tree.cdx.json", "spdx": out / "tree.spdx.json"}
    env = {**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"}
    subprocess.run(
        [
            _syft(),
            f"dir:{TREE}",
            "-q",
            "-o",
            f"cyclonedx-json={docs['cyclonedx']}",
            "-o",
            f"spdx-json={docs['spdx']}",
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    return docs


def _by_name(sbom: Sbom) -> dict[str, tuple[PackageType, str]]:
    return {p.name: (p.type, p.version) for p in sbom.packages}


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx"])
def test_syft_packages_are_read_with_types(syft_docs: dict[str, Path], fmt: str) -> None:
    sbom = read_sbom(syft_docs[fmt])
    found = _by_name(sbom)
    assert found["requests"] == (PackageType.PYTHON, "2.31.0")
    assert found["left-pad"] == (PackageType.NPM, "1.3.0")
    assert found["libssl3"] == (PackageType.DEB, "3.0.11-1~deb12u2")
    assert sbom.tool == "syft"
    assert sbom.source.scheme == "sbom"
    assert sbom.created


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx"])
def test_syft_details_locations_and_licenses(syft_docs: dict[str, Path], fmt: str) -> None:
    pkgs = {p.name: p for p in read_sbom(syft_docs[fmt]).packages}
    libssl = pkgs["libssl3"]
    assert (libssl.source_name, libssl.arch, libssl.distro) == ("openssl", "amd64", "debian-12")
    paths = [loc.path for loc in pkgs["requests"].locations]
    assert "/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA" in paths
    assert pkgs["left-pad"].licenses == ("WTFPL",)
    assert pkgs["requests"].licenses == ("Apache 2.0",)
    assert pkgs["requests"].cpes


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx"])
def test_syft_input_coverage_is_honest(syft_docs: dict[str, Path], fmt: str) -> None:
    sbom = read_sbom(syft_docs[fmt])
    cov = sbom.coverage
    assert cov.package_databases == (str(syft_docs[fmt]),)
    (gap,) = cov.gaps
    assert (gap.kind, gap.subject) == ("sbom-input", str(syft_docs[fmt]))
    assert "image contents were not examined" in gap.detail
    assert not cov.complete
    assert sbom.distro is not None
    assert (sbom.distro.id, sbom.distro.version_id) == ("debian", "12")


def test_syft_documents_convert_to_valid_hardhull_output(syft_docs: dict[str, Path]) -> None:
    for fmt in ("cyclonedx", "spdx"):
        sbom = read_sbom(syft_docs[fmt])
        assert_valid(cyclonedx_validator(), write_sbom(sbom, "cyclonedx"))
        assert_valid(spdx_validator(), write_sbom(sbom, "spdx"))
