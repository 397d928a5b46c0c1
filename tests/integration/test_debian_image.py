"""A real Debian 12 image (mmdebstrap root, podman build, OCI archive) cataloged by hardhull.

The reference is ``dpkg-query`` run on the same root's dpkg database: hardhull must
report exactly the packages dpkg says are installed, with their architecture and source
package, under the right distro, and say in its coverage what it read.
"""

from __future__ import annotations

import subprocess

import pytest
from packageurl import PackageURL
from tests.support.debian import DebianImage, debian_image, extract_subtree, oci_archive_layers
from tests.support.imagekit import require

from hardhull.model import PackageType, Sbom
from hardhull.scan import SbomOptions, build_sbom

pytestmark = pytest.mark.integration

# A second layer that does not touch the dpkg database, so the image has two layers and
# the database must be attributed to the first.
STEPS = "COPY motd /etc/hardhull-test-motd\n"
FILES = {"motd": b"hardhull integration test image\n"}

DebKey = tuple[str, str, str, str, str]


@pytest.fixture(scope="module")
def image() -> DebianImage:
    require("mmdebstrap", "podman")
    return debian_image("debian12-base", STEPS, files=FILES)


@pytest.fixture(scope="module")
def sbom(image: DebianImage) -> Sbom:
    return build_sbom(f"oci-archive:{image.archive}", SbomOptions(strict=True))


@pytest.fixture(scope="module")
def dpkg_reference(image: DebianImage, tmp_path_factory: pytest.TempPathFactory) -> set[DebKey]:
    """(name, version, arch, source name, source version) of installed packages, per dpkg."""
    require("dpkg-query")
    root = tmp_path_factory.mktemp("dpkg-root")
    admindir = extract_subtree(image.rootfs, "var/lib/dpkg", root)
    out = subprocess.run(
        [
            "dpkg-query",
            f"--admindir={admindir}",
            "-W",
            "-f=${db:Status-Status}\t${Package}\t${Version}\t${Architecture}"
            "\t${source:Package}\t${source:Version}\n",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rows: set[DebKey] = set()
    for line in out.splitlines():
        status, name, version, arch, src_name, src_version = line.split("\t")
        if status == "installed":
            rows.add((name, version, arch, src_name, src_version))
    assert len(rows) > 50, f"dpkg-query found only {len(rows)} packages in {admindir}"
    return rows


def test_deb_packages_equal_dpkg_query(sbom: Sbom, dpkg_reference: set[DebKey]) -> None:
    found = {
        (p.name, p.version, p.arch or "", p.source_name or "", p.source_version or "")
        for p in sbom.packages
        if p.type is PackageType.DEB
    }
    missing = sorted(dpkg_reference - found)
    extra = sorted(found - dpkg_reference)
    assert not missing and not extra, f"missing from hardhull: {missing}\nextra: {extra}"
    # No package reported twice.
    assert sum(p.type is PackageType.DEB for p in sbom.packages) == len(dpkg_reference)


def test_distro_is_debian_12(sbom: Sbom) -> None:
    assert sbom.distro is not None
    assert sbom.distro.id == "debian"
    assert sbom.distro.version_id == "12"
    assert sbom.distro.version_codename == "bookworm"


def test_every_deb_has_debian_12_purl(sbom: Sbom) -> None:
    debs = [p for p in sbom.packages if p.type is PackageType.DEB]
    assert debs
    for pkg in debs:
        purl = PackageURL.from_string(pkg.purl)
        assert (purl.type, purl.namespace, purl.name) == ("deb", "debian", pkg.name), pkg.purl
        assert purl.version == pkg.version, pkg.purl
        assert purl.qualifiers.get("distro") == "debian-12", pkg.purl
        if "arch" in purl.qualifiers:
            assert purl.qualifiers["arch"] == pkg.arch, pkg.purl
        assert pkg.distro and "debian" in pkg.distro, pkg


def test_coverage_lists_layers_and_status_file(sbom: Sbom, image: DebianImage) -> None:
    layers = oci_archive_layers(image.archive)
    assert len(layers) == 2
    cov = sbom.coverage
    assert sorted(cov.layers_read) == sorted(layers)
    assert "/var/lib/dpkg/status" in cov.package_databases
    assert cov.has_package_database
    assert cov.files_examined > 1000
    # The dpkg database came with the root layer; the second layer did not touch it.
    root_layer = layers[0]
    for pkg in sbom.packages:
        if pkg.type is PackageType.DEB:
            assert any(
                loc.path == "/var/lib/dpkg/status" and loc.layer == root_layer
                for loc in pkg.locations
            ), pkg
