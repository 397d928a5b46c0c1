"""Debian packages from a real dpkg status file and distroless status.d entries."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.imagekit import require, run
from tests.unit.catalog_os.treekit import FIXTURES, tree_from_dir

from hardhull.catalog.base import CatalogResult
from hardhull.catalog.distro import DISTRO_SELECTORS, identify_distro
from hardhull.catalog.dpkg import DpkgCataloger, parse_paragraphs, split_source
from hardhull.model import Distro, FileEntry, FileKind, Location, Package
from hardhull.sources.filetree import FileTree

DEBIAN12 = FIXTURES / "debian12"
DISTROLESS = FIXTURES / "distroless"
LAYER = "sha256:" + "ab" * 32


def _catalog(root: Path, tmp: Path, **extra: bytes) -> tuple[CatalogResult, Distro | None]:
    cat = DpkgCataloger()
    tree = tree_from_dir(root, (*DISTRO_SELECTORS, *cat.selectors), tmp, extra=extra or None)
    distro = identify_distro(tree)
    return cat.catalog(tree, distro), distro


@pytest.fixture(scope="module")
def debian(tmp_path_factory: pytest.TempPathFactory) -> CatalogResult:
    result, _ = _catalog(DEBIAN12, tmp_path_factory.mktemp("deb"))
    return result


def _by_name(result: CatalogResult) -> dict[str, Package]:
    return {p.name: p for p in result.packages}


def test_matches_dpkg_query(debian: CatalogResult) -> None:
    require("dpkg-query")
    out = run(
        "dpkg-query",
        f"--admindir={DEBIAN12 / 'var/lib/dpkg'}",
        "-W",
        "-f=${db:Status-Abbrev}|${Package}|${Version}|${Architecture}"
        "|${source:Package}|${source:Version}\n",
    ).decode()
    expected = set()
    for line in out.splitlines():
        abbrev, *rest = line.split("|")
        if abbrev.strip() == "ii":
            expected.add(tuple(rest))
    got = {(p.name, p.version, p.arch, p.source_name, p.source_version) for p in debian.packages}
    assert len(expected) == 32
    assert got == expected


def test_config_files_only_package_is_not_installed(debian: CatalogResult) -> None:
    assert "libssl1.1" not in _by_name(debian)


def test_source_and_purl(debian: CatalogResult) -> None:
    pkgs = _by_name(debian)
    bash = pkgs["bash"]  # binNMU: Source: bash (5.2.15-2), Version 5.2.15-2+b8
    assert (bash.source_name, bash.source_version) == ("bash", "5.2.15-2")
    assert bash.purl == (
        "pkg:deb/debian/bash@5.2.15-2%2Bb8?arch=amd64&distro=debian-12&upstream=bash%405.2.15-2"
    )
    libc = pkgs["libc6"]
    assert libc.purl == (
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12&upstream=glibc"
    )
    assert pkgs["coreutils"].purl == "pkg:deb/debian/coreutils@9.1-1?arch=amd64&distro=debian-12"
    bsd = pkgs["bsdutils"]  # epoch on the binary only
    assert (bsd.version, bsd.source_name, bsd.source_version) == (
        "1:2.38.1-5+deb12u3",
        "util-linux",
        "2.38.1-5+deb12u3",
    )
    assert all(p.distro == "debian-12" for p in debian.packages)
    assert all(p.type.value == "deb" and p.found_by == "dpkg" for p in debian.packages)


def test_location_and_database(debian: CatalogResult) -> None:
    assert debian.package_databases == ("/var/lib/dpkg/status",)
    locations = {p.locations for p in debian.packages}
    assert locations == {(Location("/var/lib/dpkg/status", LAYER),)}
    assert debian.gaps == ()


def test_owned_files_with_merged_usr(debian: CatalogResult) -> None:
    owned = debian.owned_files
    # libc6 lists /lib/x86_64-linux-gnu/libc.so.6 and /lib64/ld-linux-x86-64.so.2
    assert "/lib/x86_64-linux-gnu/libc.so.6" in owned
    assert "/usr/lib/x86_64-linux-gnu/libc.so.6" in owned
    assert "/usr/lib64/ld-linux-x86-64.so.2" in owned
    # bash lists /bin/bash (merged-/usr alias: /usr/bin/bash)
    assert {"/bin/bash", "/usr/bin/bash"} <= owned
    # a path listed under /usr (coreutils' /usr/bin/sort) gets its /bin spelling too
    assert {"/usr/bin/sort", "/bin/sort"} <= owned
    assert "/." not in owned
    assert "/etc/passwd" not in owned  # created by scripts, not listed


def test_licenses_from_machine_readable_copyright(debian: CatalogResult) -> None:
    pkgs = _by_name(debian)
    assert pkgs["gzip"].licenses == ("GPL-3+", "GFDL-1.3+-no-invariant", "FSF-manpages")
    assert "GPL-3+" in pkgs["bash"].licenses
    # old-style prose copyright (glibc) and doc dirs without a copyright file: none
    assert pkgs["libc6"].licenses == ()
    assert pkgs["libgcc-s1"].licenses == ()  # doc dir is a symlink to gcc-12-base
    assert pkgs["coreutils"].licenses == ()


def test_distroless_status_d(tmp_path: Path) -> None:
    result, distro = _catalog(DISTROLESS, tmp_path)
    assert distro is not None and distro.pretty_name == "Distroless"
    pkgs = _by_name(result)
    assert sorted(pkgs) == [
        "base-files",
        "ca-certificates",
        "libc6",
        "libssl3",
        "media-types",
        "netbase",
    ]
    assert pkgs["libssl3"].source_name == "openssl"
    assert pkgs["libc6"].locations[0].path == "/var/lib/dpkg/status.d/libc6"
    assert result.package_databases == ("/var/lib/dpkg/status.d",)
    assert "/lib/x86_64-linux-gnu/libc.so.6" in result.owned_files
    assert "/usr/share/doc/netbase/copyright" in result.owned_files  # netbase.md5sums
    assert "/usr/lib/x86_64-linux-gnu/libc.so.6" not in result.owned_files  # no /lib link
    assert pkgs["netbase"].purl == "pkg:deb/debian/netbase@6.4?arch=all&distro=debian-12"


def test_status_d_file_with_two_paragraphs(tmp_path: Path) -> None:
    extra = {
        "/var/lib/dpkg/status.d/multi": b"Package: a\nVersion: 1\nArchitecture: all\n\n"
        b"Package: b\nVersion: 2\nSource: bsrc (1.9)\nArchitecture: amd64\n",
        "/var/lib/dpkg/status.d/multi.md5sums": b"0123  usr/share/a/file\n",
    }
    result, _ = _catalog(tmp_path / "empty", tmp_path, **extra)
    got = {(p.name, p.version, p.source_name, p.source_version) for p in result.packages}
    assert got == {("a", "1", "a", "1"), ("b", "2", "bsrc", "1.9")}
    assert result.packages[0].purl.startswith("pkg:deb/debian/a@1?arch=all")
    assert "/usr/share/a/file" in result.owned_files


def test_paragraph_parsing_handles_continuations_and_blank_lines() -> None:
    text = (
        "Package: x\nStatus: install ok installed\nDescription: short\n long line\n .\n"
        " more\nVersion: 1.0\n\t\n\n\nPackage: y\nversion: 2\n"
    )
    paras = list(parse_paragraphs(text))
    assert paras[0]["description"] == "short\nlong line\n.\nmore"
    assert paras[0]["version"] == "1.0"
    assert paras[1] == {"package": "y", "version": "2"}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("", ("pkg", "1.0-1+b1")),
        ("glibc", ("glibc", "1.0-1+b1")),
        ("bash (5.2.15-2)", ("bash", "5.2.15-2")),
        ("busybox (1:1.35.0-4+deb12u1)", ("busybox", "1:1.35.0-4+deb12u1")),
        ("odd ()", ("odd", "1.0-1+b1")),
    ],
)
def test_split_source(source: str, expected: tuple[str, str]) -> None:
    assert split_source(source, "pkg", "1.0-1+b1") == expected


def test_corrupt_status_gives_gap_and_keeps_good_packages(tmp_path: Path) -> None:
    good = (DEBIAN12 / "var/lib/dpkg/status").read_bytes()
    # truncate in the middle of the last paragraph's Package line, then add garbage
    corrupt = good[: good.rindex(b"Package: zlib1g") + 12] + b"\n\n\xff\xfe\x00gar: bage\x00\n"
    root = tmp_path / "root"
    result, _ = _catalog(root, tmp_path, **{"/var/lib/dpkg/status": corrupt})
    assert len(result.packages) == 31
    (gap,) = result.gaps
    assert (gap.kind, gap.subject) == ("unparsable-database", "/var/lib/dpkg/status")
    assert "2 paragraph(s)" in gap.detail


def test_uncaptured_status_is_a_gap() -> None:
    entry = FileEntry("/var/lib/dpkg/status", FileKind.FILE, 0o644, 10**9)
    result = DpkgCataloger().catalog(FileTree({entry.path: entry}, {}), None)
    assert result.packages == ()
    assert result.package_databases == ("/var/lib/dpkg/status",)
    assert [g.kind for g in result.gaps] == ["unparsable-database"]


def test_no_database_no_packages() -> None:
    result = DpkgCataloger().catalog(FileTree({}, {}), None)
    assert result == CatalogResult()


def test_selectors_are_precise() -> None:
    status, lists, copyright_ = DpkgCataloger.selectors

    def f(path: str) -> FileEntry:
        return FileEntry(path, FileKind.FILE, 0o644, 1)

    assert status.match(f("/var/lib/dpkg/status"))
    assert status.match(f("/var/lib/dpkg/status.d/libc6"))
    assert not status.match(f("/var/lib/dpkg/status-old"))
    assert lists.match(f("/var/lib/dpkg/info/libc6:amd64.list"))
    assert not lists.match(f("/var/lib/dpkg/info/libc6:amd64.md5sums"))
    assert copyright_.match(f("/usr/share/doc/bash/copyright"))
    assert not copyright_.match(f("/usr/share/doc/bash/examples/copyright"))
    assert not copyright_.match(f("/usr/share/doc/copyright"))
