"""Alpine (and Wolfi) packages from an apk installed database."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.catalog_os.treekit import FIXTURES, tree_from_dir

from hardhull.catalog.apk import ApkCataloger, parse_installed
from hardhull.catalog.base import CatalogResult
from hardhull.catalog.distro import DISTRO_SELECTORS, identify_distro
from hardhull.model import Distro, FileEntry, FileKind, Location
from hardhull.sources.filetree import FileTree

ALPINE = FIXTURES / "alpine320"
DB = "/lib/apk/db/installed"


@pytest.fixture(scope="module")
def alpine(tmp_path_factory: pytest.TempPathFactory) -> CatalogResult:
    cat = ApkCataloger()
    tree = tree_from_dir(ALPINE, (*DISTRO_SELECTORS, *cat.selectors), tmp_path_factory.mktemp("a"))
    distro = identify_distro(tree)
    assert distro is not None and distro.purl_qualifier == "alpine-3.20.3"
    return cat.catalog(tree, distro)


def test_packages_versions_and_origins(alpine: CatalogResult) -> None:
    got = {(p.name, p.version, p.source_name) for p in alpine.packages}
    assert len(got) == 14
    assert ("musl", "1.2.5-r0", "musl") in got
    assert ("libcrypto3", "3.3.2-r0", "openssl") in got
    assert ("scanelf", "1.3.7-r2", "pax-utils") in got
    assert ("busybox-binsh", "1.36.1-r29", "busybox") in got
    assert all(p.source_version == p.version for p in alpine.packages)
    assert all(p.arch == "x86_64" and p.distro == "alpine-3.20.3" for p in alpine.packages)


def test_purls_licenses_locations(alpine: CatalogResult) -> None:
    pkgs = {p.name: p for p in alpine.packages}
    assert pkgs["libssl3"].purl == (
        "pkg:apk/alpine/libssl3@3.3.2-r0?arch=x86_64&distro=alpine-3.20.3&upstream=openssl"
    )
    assert pkgs["zlib"].purl == "pkg:apk/alpine/zlib@1.3.1-r1?arch=x86_64&distro=alpine-3.20.3"
    assert pkgs["ca-certificates-bundle"].licenses == ("MPL-2.0 AND MIT",)
    assert pkgs["musl"].meta("url") == "https://musl.libc.org/"
    assert {p.locations for p in alpine.packages} == {(Location(DB, "sha256:" + "ab" * 32),)}
    assert alpine.package_databases == (DB,)
    assert alpine.gaps == ()


def test_owned_files(alpine: CatalogResult) -> None:
    owned = alpine.owned_files
    assert {"/lib/ld-musl-x86_64.so.1", "/bin/sh", "/usr/lib/libcrypto.so.3"} <= owned
    assert "/usr/lib/engines-3/padlock.so" in owned
    assert "/etc/apk/keys" in owned  # F: directories are owned too
    assert "/usr/lib/ld-musl-x86_64.so.1" not in owned  # Alpine 3.20 is not merged-/usr


def test_wolfi_namespace_and_merged_usr() -> None:
    text = (ALPINE / "lib/apk/db/installed").read_bytes()
    db = "/usr/lib/apk/db/installed"
    entries = {
        db: FileEntry(db, FileKind.FILE, 0o644, len(text)),
        "/lib": FileEntry("/lib", FileKind.SYMLINK, 0o777, 0, link="usr/lib"),
    }
    tree = FileTree(entries, {"apk-installed": {db: text}})
    result = ApkCataloger().catalog(tree, Distro(id="wolfi", version_id="20230201"))
    musl = next(p for p in result.packages if p.name == "musl")
    assert musl.purl == "pkg:apk/wolfi/musl@1.2.5-r0?arch=x86_64&distro=wolfi-20230201"
    assert result.package_databases == (db,)
    assert {"/lib/ld-musl-x86_64.so.1", "/usr/lib/ld-musl-x86_64.so.1"} <= result.owned_files


def test_parse_files_under_directories() -> None:
    records, bad = parse_installed("P:a\nV:1\nR:top\nF:usr/bin\nR:x\nF:/etc/\nR:y\n")
    assert bad == 0
    assert records[0].files == ["/top", "/usr/bin", "/usr/bin/x", "/etc", "/etc/y"]


def test_corrupt_database_gap_keeps_good_blocks(tmp_path: Path) -> None:
    good = (ALPINE / "lib/apk/db/installed").read_bytes()
    corrupt = good[: good.index(b"P:zlib")] + b"\x00\xff garbage\n\nT:no name\n"
    tree = tree_from_dir(tmp_path / "none", ApkCataloger.selectors, tmp_path, extra={DB: corrupt})
    result = ApkCataloger().catalog(tree, None)
    assert len(result.packages) == 13
    (gap,) = result.gaps
    assert (gap.kind, gap.subject) == ("unparsable-database", DB)
    assert "2 block(s)" in gap.detail
    assert result.packages[0].purl.startswith("pkg:apk/alpine/")


def test_empty_and_missing() -> None:
    assert ApkCataloger().catalog(FileTree({}, {}), None) == CatalogResult()
    entry = FileEntry(DB, FileKind.FILE, 0o644, 0)
    result = ApkCataloger().catalog(FileTree({DB: entry}, {"apk-installed": {DB: b""}}), None)
    assert (result.packages, result.package_databases, result.gaps) == ((), (DB,), ())
