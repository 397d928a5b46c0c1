"""BinaryCataloger on trees of real executables: packages, purls, coverage, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.catalog_bin.binkit import GoBuilds, RustBuilds, make_tree

from hardhull.catalog.binary import BinaryCataloger
from hardhull.model import PackageType

LAYER = "sha256:" + "ab" * 32


@pytest.fixture(scope="module")
def result(go_builds: GoBuilds, rust_builds: RustBuilds, tmp_path_factory: pytest.TempPathFactory):
    amd64 = go_builds.path("hello-amd64").read_bytes()
    files: dict[str, Path | bytes] = {
        "/app/hello": go_builds.path("hello-amd64"),
        "/app/hello-ldflags": go_builds.path("hello-ldflags"),
        "/usr/bin/rusty": rust_builds.auditable,
        "/usr/bin/plain-rust": rust_builds.plain,
        "/usr/bin/true": Path("/bin/true"),
        "/usr/bin/script.sh": b"#!/bin/sh\necho hi\n" * 10,
        "/app/truncated": amd64[: len(amd64) // 2],
        "/app/garbage": b"\x7fELF\x02\x01\x01" + b"\xff" * 200,
    }
    tree = make_tree(files, BinaryCataloger().selectors, tmp_path_factory.mktemp("wd"), layer=LAYER)
    return BinaryCataloger().catalog(tree, None)


def _pkgs(result, path: str):  # type: ignore[no-untyped-def]
    return {p.name: p for p in result.packages if p.locations[0].path == path}


def test_go_packages(result) -> None:  # type: ignore[no-untyped-def]
    pkgs = _pkgs(result, "/app/hello")
    assert set(pkgs) == {
        "example.com/hello", "example.com/greet", "example.org/colors", "example.org/shapesfork",
        "stdlib",
    }  # fmt: skip
    main = pkgs["example.com/hello"]
    assert main.type is PackageType.GO
    # (devel) + vcs stamping -> pseudo-version from vcs.time and the first 12 hex of the revision
    assert main.version.startswith("v0.0.0-20240102150405-") and len(main.version) == 34
    assert main.meta("version_source") == "vcs" and main.meta("main") == "true"
    assert main.meta("build.GOARCH") == "amd64" and main.arch == "amd64"
    assert main.locations[0].layer == LAYER
    colors = pkgs["example.org/colors"]
    assert colors.purl == "pkg:golang/example.org/colors@v1.4.0"
    assert (colors.meta("h1_digest") or "").startswith("h1:")
    fork = pkgs["example.org/shapesfork"]
    assert fork.version == "v0.2.1" and fork.meta("replaces") == "example.org/shapes@v0.2.0"
    greet = pkgs["example.com/greet"]
    assert greet.meta("replaced_by_directory") == "../greet"
    std = pkgs["stdlib"]
    gov = std.meta("go_version") or ""
    assert std.version == gov and std.purl == f"pkg:golang/stdlib@{gov[2:]}"
    assert std.cpes == (f"cpe:2.3:a:golang:go:{gov[2:]}:-:*:*:*:*:*:*",)


def test_devel_version_from_ldflags(result) -> None:  # type: ignore[no-untyped-def]
    main = _pkgs(result, "/app/hello-ldflags")["example.com/hello"]
    assert main.version == "v2.3.4" and main.meta("version_source") == "ldflags"
    assert main.purl == "pkg:golang/example.com/hello@v2.3.4"


def test_rust_auditable(result) -> None:  # type: ignore[no-untyped-def]
    pkgs = _pkgs(result, "/usr/bin/rusty")
    assert {(p.name, p.version, p.type) for p in pkgs.values()} == {
        ("hello", "0.1.0", PackageType.CARGO),
        ("serde", "1.0.197", PackageType.CARGO),
        ("itoa", "1.0.10", PackageType.CARGO),
    }
    assert pkgs["serde"].purl == "pkg:cargo/serde@1.0.197"
    assert pkgs["hello"].meta("root") == "true" and pkgs["hello"].meta("source") == "local"
    assert pkgs["hello"].meta("dependencies") == "itoa,serde"
    assert pkgs["itoa"].meta("kind") == "build"


def test_coverage(result) -> None:  # type: ignore[no-untyped-def]
    assert result.executables == {
        "/app/hello", "/app/hello-ldflags", "/usr/bin/rusty", "/usr/bin/plain-rust",
        "/usr/bin/true", "/app/truncated", "/app/garbage",
    }  # fmt: skip
    assert result.identified_files == {"/app/hello", "/app/hello-ldflags", "/usr/bin/rusty"}
    unreadable = {g.subject for g in result.gaps if g.kind == "unreadable-file"}
    assert unreadable == {"/app/truncated", "/app/garbage"}


def test_non_elf_is_not_captured(tmp_path: Path) -> None:
    tree = make_tree({"/bin/x": b"#!/bin/sh\n" + b"x" * 100}, BinaryCataloger().selectors, tmp_path)
    assert list(tree.captured("elf")) == []


def test_corrupt_dep_section_is_a_gap(rust_builds: RustBuilds, tmp_path: Path) -> None:
    data = bytearray(rust_builds.auditable.read_bytes())
    blob = (rust_builds.auditable.parent / "dep-v0.bin").read_bytes()
    at = data.find(blob)
    data[at + 2 : at + 12] = b"\x00" * 10
    tree = make_tree({"/bin/r": bytes(data)}, BinaryCataloger().selectors, tmp_path)
    res = BinaryCataloger().catalog(tree, None)
    assert res.packages == () and res.executables == {"/bin/r"}
    assert [g.kind for g in res.gaps] == ["unreadable-file"]
    assert "cargo-auditable" in res.gaps[0].detail
