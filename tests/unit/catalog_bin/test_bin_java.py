"""JavaCataloger on real jars built with javac/jar, plus zip bombs built in the test."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from tests.unit.catalog_bin.binkit import make_tree
from tests.unit.catalog_bin.javakit import JavaBuilds

from hardhull.catalog.jar import JarLimits, parse_manifest, scan_archive
from hardhull.catalog.java import JavaCataloger, split_filename
from hardhull.model import Package, PackageType

LAYER = "sha256:" + "cd" * 32


def _catalog(files: dict[str, Path | bytes], workdir: Path, seekable: bool = False):  # type: ignore[no-untyped-def]
    cat = JavaCataloger()
    tree = make_tree(files, cat.selectors, workdir, mode=0o644, seekable=seekable, layer=LAYER)
    return cat.catalog(tree, None)


def _by_purl(pkgs: tuple[Package, ...]) -> dict[str, Package]:
    return {p.purl: p for p in pkgs}


@pytest.mark.parametrize("seekable", [True, False], ids=["seekable", "stream"])
def test_plain_jar_with_pom(java_builds: JavaBuilds, tmp_path: Path, seekable: bool) -> None:
    res = _catalog(
        {"/opt/lib/greeter-1.0.0.jar": java_builds.path("greeter-1.0.0.jar")}, tmp_path, seekable
    )
    (pkg,) = res.packages
    assert pkg.purl == "pkg:maven/com.example/greeter@1.0.0"
    assert (pkg.name, pkg.version, pkg.type) == ("greeter", "1.0.0", PackageType.JAVA)
    assert pkg.locations[0].path == "/opt/lib/greeter-1.0.0.jar" and pkg.locations[0].layer == LAYER
    assert pkg.meta("evidence") == "pom.properties"
    assert res.package_databases == ("/opt/lib/greeter-1.0.0.jar",) and res.gaps == ()


def test_manifest_only_jar(java_builds: JavaBuilds, tmp_path: Path) -> None:
    res = _catalog({"/opt/acme-widget.jar": java_builds.path("acme-widget.jar")}, tmp_path)
    (pkg,) = res.packages
    assert (pkg.name, pkg.version) == ("acme-widget", "2.1.0")
    assert pkg.purl == "pkg:maven/org.acme/acme-widget@2.1.0"
    assert pkg.meta("evidence") == "manifest" and pkg.meta("version_source") == "manifest"
    assert pkg.meta("name_source") == "filename" and pkg.meta("group_source") == "manifest"
    # jar wrapped this 100+ character line; continuation lines must be joined back
    assert pkg.meta("manifest.Implementation-Vendor") == (
        "Acme Corporation, makers of widgets, gadgets, gizmos and a great many other useful things"
    )


def test_fat_jar_nested(java_builds: JavaBuilds, tmp_path: Path) -> None:
    res = _catalog({"/app/app.jar": java_builds.path("app-0.1.0.jar")}, tmp_path)
    pkgs = _by_purl(res.packages)
    # greeter-shaded holds two poms, neither named like the file: the jar is reported by
    # its file name and both poms as embedded artifacts (Syft does the same)
    assert set(pkgs) == {
        "pkg:maven/com.example/app@0.1.0",
        "pkg:maven/com.example/greeter@1.0.0",
        "pkg:maven/greeter-shaded/greeter-shaded@1.0.0",
        "pkg:maven/org.acme/acme-widget@2.1.0",
        "pkg:maven/org.shaded/tiny-json@3.4.5",
    }
    assert all(p.locations[0].path == "/app/app.jar" for p in res.packages)
    assert pkgs["pkg:maven/com.example/app@0.1.0"].meta("virtual_path") is None
    greeter = pkgs["pkg:maven/com.example/greeter@1.0.0"]
    assert greeter.meta("virtual_path") == "/app/app.jar:BOOT-INF/lib/greeter-1.0.0.jar"
    shaded = pkgs["pkg:maven/org.shaded/tiny-json@3.4.5"]
    assert shaded.meta("embedded") == "true" and shaded.meta("evidence") == "pom.properties"
    assert shaded.meta("virtual_path") == "/app/app.jar:BOOT-INF/lib/greeter-shaded-1.0.0.jar"


def test_war_and_filename_fallback(java_builds: JavaBuilds, tmp_path: Path) -> None:
    res = _catalog({"/srv/shop.war": java_builds.path("shop.war")}, tmp_path)
    pkgs = _by_purl(res.packages)
    assert set(pkgs) == {
        "pkg:maven/shop/shop",
        "pkg:maven/com.example/greeter@1.0.0",
        "pkg:maven/commons-util/commons-util@3.2",
    }
    util = pkgs["pkg:maven/commons-util/commons-util@3.2"]
    assert util.meta("version_source") == "filename" and util.meta("group_source") == "name"
    assert util.meta("virtual_path") == "/srv/shop.war:WEB-INF/lib/commons-util_3.2.jar"


@pytest.mark.parametrize(
    ("filename", "name", "version"),
    [
        ("commons-io-2.11.0.jar", "commons-io", "2.11.0"),
        ("wagon-webdav-1.0.2-rc1-hudson.jar", "wagon-webdav", "1.0.2-rc1-hudson"),
        ("guava-rc0.jar", "guava", "rc0"),
        ("jackson.core_2.9.jar", "jackson.core", "2.9"),
        ("tomcat.jar", "tomcat", ""),
    ],
)
def test_split_filename(filename: str, name: str, version: str) -> None:
    got = split_filename(filename)
    assert (got.name, got.version) == (name, version)


def test_manifest_continuations_and_sections() -> None:
    text = (
        b"Manifest-Version: 1.0\r\nImplementation-Title: a very\r\n  long title\r\n"
        b"\r\nName: x\r\nImplementation-Title: other\r\n"
    )
    assert dict(parse_manifest(text))["Implementation-Title"] == "a very long title"


def _zip(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_deep_nested_bomb_is_a_gap_with_bounded_memory(tmp_path: Path) -> None:
    # two copies per level, nine levels, 64 MiB of zeros at the bottom: 32 GiB if unpacked
    level = _zip({"big.jar": bytes(64 * 1024 * 1024)})
    for i in range(9):
        level = _zip({f"lib/copy{n}-{i}.jar": level for n in range(2)}, zipfile.ZIP_STORED)
    assert len(level) < 64 * 1024 * 1024  # the bomb itself is small
    tracemalloc.start()
    res = _catalog({"/app/bomb.jar": level}, tmp_path)
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert {g.kind for g in res.gaps} == {"unsafe-archive"}
    assert all("nested deeper than 4" in g.detail for g in res.gaps)
    assert peak < 64 * 1024 * 1024
    assert list(tmp_path.iterdir()) == []  # spool files are gone


def test_wide_nested_bomb_stops_at_archive_limit(tmp_path: Path) -> None:
    level = _zip({"a.txt": b"x"})
    for i in range(3):
        level = _zip({f"lib/copy{n}-{i}.jar": level for n in range(16)}, zipfile.ZIP_STORED)
    res = _catalog({"/app/wide.jar": level}, tmp_path)  # 16 + 256 + 4096 nested archives
    assert [g.detail for g in res.gaps] == ["more than 2048 nested archives"]


def test_ratio_bomb_member(tmp_path: Path) -> None:
    bomb = _zip(
        {
            "META-INF/MANIFEST.MF": b" " * (32 * 1024 * 1024),
            "lib/zeros.jar": bytes(32 * 1024 * 1024),
        }
    )
    res = _catalog({"/x/evil.jar": bomb}, tmp_path)
    details = sorted(g.detail for g in res.gaps)
    assert len(details) == 2 and all(g.kind == "unsafe-archive" for g in res.gaps)
    assert any("MANIFEST" in d for d in details) and any("ratio" in d for d in details)


def test_corrupt_and_truncated_archives(java_builds: JavaBuilds, tmp_path: Path) -> None:
    data = java_builds.path("app-0.1.0.jar").read_bytes()
    res = _catalog(
        {
            "/a/truncated.jar": data[: len(data) // 2],
            "/a/garbage.war": b"PK\x03\x04" + b"\x00" * 500,
        },
        tmp_path,
    )
    assert res.packages == ()
    assert {(g.kind, g.subject) for g in res.gaps} == {
        ("unreadable-file", "/a/truncated.jar"),
        ("unreadable-file", "/a/garbage.war"),
    }


def test_entry_limit(tmp_path: Path) -> None:
    many = _zip({f"f{i}": b"" for i in range(300)}, zipfile.ZIP_STORED)
    scan = scan_archive(io.BytesIO(many), len(many), "/m.jar", tmp_path, JarLimits(max_entries=100))
    assert scan.archives == ()
    assert scan.problems[0][0] == "unsafe-archive" and "300 entries" in scan.problems[0][2]
    assert zlib  # stdlib used above for nothing else
