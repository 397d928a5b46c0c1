"""CargoLockCataloger on a cargo-generated v4 lockfile and v3/v1 lockfiles."""

from __future__ import annotations

from pathlib import Path

from tests.unit.catalog_lang.langkit import FIXTURES, catalog_dir, write_files

from hardhull.catalog.cargo import CargoLockCataloger
from hardhull.model import PackageType

REGISTRY = "registry+https://github.com/rust-lang/crates.io-index"


def test_v4_generated_by_cargo() -> None:
    res = catalog_dir(CargoLockCataloger(), FIXTURES / "cargo" / "v4")
    assert {(p.name, p.version, p.meta("source")) for p in res.packages} == {
        ("hhdemo", "0.1.0", "local"),
        ("hhutil", "0.1.0", "local"),
    }
    assert res.package_databases == ("/src/hhdemo/Cargo.lock",)


def test_v3_registry_git_and_local() -> None:
    res = catalog_dir(CargoLockCataloger(), FIXTURES / "cargo" / "v3")
    by = {p.name: p for p in res.packages}
    assert len(res.packages) == 11
    serde = by["serde"]
    assert (serde.version, serde.purl) == ("1.0.196", "pkg:cargo/serde@1.0.196")
    assert serde.type is PackageType.CARGO and serde.found_by == "cargo"
    assert serde.meta("source") == REGISTRY
    assert serde.meta("checksum") is not None and len(serde.meta("checksum") or "") == 64
    assert (by["tinyhttp"].meta("source") or "").startswith("git+https://")
    assert by["webapp"].meta("source") == "local" and by["webapp"].meta("checksum") is None
    assert [loc.path for loc in serde.locations] == ["/src/webapp/Cargo.lock"]


def test_v1_checksums_from_metadata_table() -> None:
    res = catalog_dir(CargoLockCataloger(), FIXTURES / "cargo" / "v1")
    by = {p.name: p for p in res.packages}
    assert set(by) == {"libc", "lazy_static", "oldtool"}
    assert len(by["libc"].meta("checksum") or "") == 64
    assert by["oldtool"].meta("checksum") is None


def test_bad_lockfiles(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "a/Cargo.lock": "[[package]\nname = ",
            "b/Cargo.lock": b"\xff\xfe\x00",
            "c/Cargo.lock": 'package = "nope"\n',
            "d/Cargo.lock": (
                '[[package]]\nname = "only-name"\n\n[[package]]\nname = "ok"\nversion = "1.0.0"\n'
            ),
        },
    )
    res = catalog_dir(CargoLockCataloger(), tmp_path)
    assert [(p.name, p.version) for p in res.packages] == [("ok", "1.0.0")]
    assert sorted(g.subject for g in res.gaps) == [
        "/a/Cargo.lock",
        "/b/Cargo.lock",
        "/c/Cargo.lock",
    ]
    assert {g.kind for g in res.gaps} == {"unparsable-database"}
