"""The OS catalogers through the real scan pipeline on ``dir:`` fixture trees."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.unit.catalog_os.treekit import FIXTURES

from hardhull.catalog.apk import ApkCataloger
from hardhull.catalog.dpkg import DpkgCataloger
from hardhull.catalog.rpm import RpmCataloger
from hardhull.model import Sbom
from hardhull.scan import SbomOptions, build_sbom

CATALOGERS = (DpkgCataloger(), ApkCataloger(), RpmCataloger())


def _scan(root: Path, tmp: Path) -> Sbom:
    opts = SbomOptions(catalogers=CATALOGERS, strict=True, include_files=False, tmp_root=tmp)
    return build_sbom(f"dir:{root}", opts)


def test_debian_tree(tmp_path: Path) -> None:
    sbom = _scan(FIXTURES / "debian12", tmp_path)
    assert sbom.distro is not None and sbom.distro.purl_qualifier == "debian-12"
    assert len(sbom.packages) == 32
    assert {p.type.value for p in sbom.packages} == {"deb"}
    assert sbom.coverage.package_databases == ("/var/lib/dpkg/status",)
    assert sbom.coverage.gaps == ()
    assert list(tmp_path.iterdir()) == []  # the private workdir is gone


def test_alpine_tree(tmp_path: Path) -> None:
    sbom = _scan(FIXTURES / "alpine320", tmp_path)
    assert sbom.distro is not None and sbom.distro.id == "alpine"
    assert len(sbom.packages) == 14
    assert sbom.coverage.package_databases == ("/lib/apk/db/installed",)


def test_rpm_tree_spools_in_private_workdir(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "var/lib/rpm").mkdir(parents=True)
    shutil.copy(FIXTURES / "rpm/bdb/Packages", root / "var/lib/rpm/Packages")
    work = tmp_path / "work"
    work.mkdir()
    sbom = _scan(root, work)
    assert sbom.distro is None
    assert sorted(p.name for p in sbom.packages) == [
        "bigpkg",
        "hh-tools",
        "libhh",
        "meta-empty",
        "noarch-data",
    ]
    assert sbom.coverage.package_databases == ("/var/lib/rpm/Packages",)
    assert list(work.iterdir()) == []
