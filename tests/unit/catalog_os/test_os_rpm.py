"""RpmCataloger on Fedora-, CentOS 7- and SUSE-shaped trees built from the rpm fixtures."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from tests.unit.catalog_os.treekit import FIXTURES, tree_from_dir

from hardhull.catalog.base import CatalogResult
from hardhull.catalog.distro import DISTRO_SELECTORS, identify_distro
from hardhull.catalog.rpm import RpmCataloger, split_sourcerpm
from hardhull.model import FileEntry, FileKind, Package
from hardhull.sources.filetree import FileTree

RPM = FIXTURES / "rpm"
LAYER = "sha256:" + "ab" * 32


def _root(tmp: Path, files: dict[str, Path | str], links: dict[str, str]) -> Path:
    root = tmp / "root"
    for rel, src in files.items():
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(src, Path):
            shutil.copy(src, dest)
        else:
            dest.write_text(src)
    for rel, target in links.items():
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, dest)
    return root


def _catalog(root: Path, tmp: Path, **extra: bytes) -> CatalogResult:
    cat = RpmCataloger()
    work = tmp / "work"
    work.mkdir(exist_ok=True)
    tree = tree_from_dir(root, (*DISTRO_SELECTORS, *cat.selectors), work, extra=extra or None)
    assert list(work.iterdir()) == []  # the spooled copies are gone
    return cat.catalog(tree, identify_distro(tree))


@pytest.fixture(scope="module")
def fedora(tmp_path_factory: pytest.TempPathFactory) -> CatalogResult:
    tmp = tmp_path_factory.mktemp("fedora")
    root = _root(
        tmp,
        {
            "usr/lib/sysimage/rpm/rpmdb.sqlite": RPM / "rpmdb.sqlite",
            "usr/lib/os-release": 'NAME="Fedora Linux"\nVERSION_ID=39\nID=fedora\n',
            "usr/lib64/.keep": "",
        },
        {
            "var/lib/rpm": "../../usr/lib/sysimage/rpm",
            "etc/os-release": "../usr/lib/os-release",
            "lib64": "usr/lib64",
        },
    )
    return _catalog(root, tmp)


def _by_name(result: CatalogResult) -> dict[str, Package]:
    return {p.name: p for p in result.packages}


def test_fedora_packages(fedora: CatalogResult) -> None:
    pkgs = _by_name(fedora)
    assert sorted(pkgs) == ["bigpkg", "hh-tools", "libhh", "meta-empty", "noarch-data"]
    libhh = pkgs["libhh"]
    assert libhh.version == "1:2.4.1-3.fc39"
    assert libhh.purl == "pkg:rpm/fedora/libhh@2.4.1-3.fc39?arch=x86_64&distro=fedora-39&epoch=1"
    assert (libhh.source_name, libhh.source_version) == ("hh-tools", "1:2.4.1-3.fc39")
    assert libhh.licenses == ("MIT",)
    assert libhh.meta("sourcerpm") == "hh-tools-2.4.1-3.fc39.src.rpm"
    big = pkgs["bigpkg"]
    assert (big.version, big.arch, big.source_version) == (
        "10.0~rc1-1.el9",
        "x86_64",
        "10.0~rc1-1.el9",
    )
    assert big.purl == "pkg:rpm/fedora/bigpkg@10.0~rc1-1.el9?arch=x86_64&distro=fedora-39"
    assert pkgs["noarch-data"].arch == "noarch"
    assert pkgs["meta-empty"].licenses == ("Public Domain",)
    assert all(p.distro == "fedora-39" and p.found_by == "rpm" for p in fedora.packages)


def test_fedora_database_location_and_owned_files(fedora: CatalogResult) -> None:
    db = "/usr/lib/sysimage/rpm/rpmdb.sqlite"
    assert fedora.package_databases == (db,)
    assert {p.locations[0].path for p in fedora.packages} == {db}
    assert fedora.packages[0].locations[0].layer == LAYER
    owned = fedora.owned_files
    assert {"/usr/bin/hh-tool", "/etc/hh/hh.conf", "/usr/lib64/libhh.so.2"} <= owned
    assert "/lib64/libhh.so.2" in owned  # /lib64 -> usr/lib64
    assert "/usr/share/bigpkg/set12/data-file-number-40.txt" in owned
    assert fedora.gaps == ()


def test_centos7_berkeleydb(tmp_path: Path) -> None:
    root = _root(
        tmp_path,
        {
            "var/lib/rpm/Packages": RPM / "bdb" / "Packages",
            "etc/centos-release": "CentOS Linux release 7.9.2009 (Core)\n",
        },
        {},
    )
    result = _catalog(root, tmp_path)
    assert result.package_databases == ("/var/lib/rpm/Packages",)
    assert len(result.packages) == 5
    hh = _by_name(result)["hh-tools"]
    assert hh.purl == "pkg:rpm/centos/hh-tools@2.4.1-3.fc39?arch=x86_64&distro=centos-7&epoch=1"


def test_suse_ndb_and_preference_order(tmp_path: Path) -> None:
    root = _root(
        tmp_path,
        {
            "usr/lib/sysimage/rpm/Packages.db": RPM / "Packages.db",
            "var/lib/rpm/Packages": "stale leftover",
            "etc/os-release": 'NAME="openSUSE Leap"\nVERSION_ID="15.5"\nID="opensuse-leap"\n',
        },
        {},
    )
    result = _catalog(root, tmp_path)
    assert result.package_databases == ("/usr/lib/sysimage/rpm/Packages.db",)
    assert result.gaps == ()
    assert _by_name(result)["noarch-data"].purl == (
        "pkg:rpm/opensuse-leap/noarch-data@2024.1-0.2?arch=noarch&distro=opensuse-leap-15.5"
    )


def test_corrupt_database_is_a_gap_with_partial_results(tmp_path: Path) -> None:
    data = (RPM / "Packages.db").read_bytes()
    result = _catalog(
        tmp_path / "empty", tmp_path, **{"/var/lib/rpm/Packages.db": data[: len(data) // 2]}
    )
    assert 0 < len(result.packages) < 5
    (gap,) = result.gaps
    assert (gap.kind, gap.subject) == ("unparsable-database", "/var/lib/rpm/Packages.db")
    assert gap.detail.startswith("ndb: ")
    # no distro: no namespace, no distro qualifier
    assert result.packages[0].purl.startswith("pkg:rpm/" + result.packages[0].name + "@")


def test_garbage_database_is_a_gap(tmp_path: Path) -> None:
    result = _catalog(
        tmp_path / "empty", tmp_path, **{"/var/lib/rpm/rpmdb.sqlite": b"SQLite format 3\0junk"}
    )
    assert result.packages == ()
    assert result.package_databases == ("/var/lib/rpm/rpmdb.sqlite",)
    assert [g.kind for g in result.gaps] == ["unparsable-database"]


def test_nonempty_wal_is_reported(tmp_path: Path) -> None:
    db = (RPM / "rpmdb.sqlite").read_bytes()
    result = _catalog(
        tmp_path / "empty",
        tmp_path,
        **{"/var/lib/rpm/rpmdb.sqlite": db, "/var/lib/rpm/rpmdb.sqlite-wal": b"\x37\x7f" * 64},
    )
    assert len(result.packages) == 5
    assert [g.subject for g in result.gaps] == ["/var/lib/rpm/rpmdb.sqlite-wal"]


def test_uncaptured_database_is_a_gap() -> None:
    path = "/var/lib/rpm/Packages"
    tree = FileTree({path: FileEntry(path, FileKind.FILE, 0o644, 10)}, {})
    result = RpmCataloger().catalog(tree, None)
    assert result.package_databases == (path,)
    assert [g.detail for g in result.gaps] == ["content was not read"]


def test_no_database() -> None:
    assert RpmCataloger().catalog(FileTree({}, {}), None) == CatalogResult()


@pytest.mark.parametrize(
    ("srpm", "expected"),
    [
        ("openssl-3.0.7-27.el9.src.rpm", ("openssl", "3.0.7-27.el9")),
        ("python3.11-3.11.7-1.fc39.src.rpm", ("python3.11", "3.11.7-1.fc39")),
        ("kernel-5.14.0-362.8.1.el9_3.nosrc.rpm", ("kernel", "5.14.0-362.8.1.el9_3")),
        ("(none)", None),
        (None, None),
        ("weird.src.rpm", None),
        ("no-suffix-1-1", None),
    ],
)
def test_split_sourcerpm(srpm: str | None, expected: tuple[str, str] | None) -> None:
    assert split_sourcerpm(srpm) == expected


def test_selector_paths() -> None:
    (sel,) = RpmCataloger.selectors
    assert sel.read is not None

    def f(path: str) -> FileEntry:
        return FileEntry(path, FileKind.FILE, 0o644, 1)

    for path in (
        "/var/lib/rpm/rpmdb.sqlite",
        "/usr/lib/sysimage/rpm/rpmdb.sqlite",
        "/var/lib/rpm/Packages",
        "/usr/lib/sysimage/rpm/Packages.db",
    ):
        assert sel.match(f(path))
    assert not sel.match(f("/var/lib/rpm/Basenames"))
    assert not sel.match(f("/var/lib/rpm/rpmdb.sqlite-wal"))
