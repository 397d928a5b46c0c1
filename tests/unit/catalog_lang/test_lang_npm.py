"""NpmCataloger on a real ``npm install`` tree and real v1/v2/v3 lockfiles."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.support.imagekit import require
from tests.unit.catalog_lang.langkit import FIXTURES, catalog_dir, write_files

from hardhull.catalog.base import CatalogResult
from hardhull.catalog.npm import Manifest, NpmCataloger, licenses_of, npm_purl, read_manifest
from hardhull.catalog.purl import make_purl
from hardhull.model import FileEntry, FileKind, PackageType
from hardhull.sources.base import ReadContext

NPM = FIXTURES / "npm"
APP = "/srv/app"
LOCK = f"{APP}/package-lock.json"

INSTALLED = {
    ("@types/ms", "0.7.34"),
    ("debug", "2.6.9"),
    ("ms", "2.0.0"),
    ("ms", "2.1.3"),
    ("function-bind", "1.1.2"),
    ("hasown", "2.0.4"),
    ("is-core-module", "2.18.0"),
    ("isarray", "1.0.0"),
    ("path-parse", "1.0.7"),
    ("resolve", "1.22.8"),
    ("supports-preserve-symlinks-flag", "1.0.0"),
}


@pytest.fixture(scope="module")
def installed() -> CatalogResult:
    return catalog_dir(NpmCataloger(), NPM / "installed")


@pytest.fixture(scope="session")
def npm_ls(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, str]]:
    """``npm ls --all --json`` on a copy of the fixture app (offline: reads node_modules)."""
    require("npm")
    work = tmp_path_factory.mktemp("npmls") / "app"
    shutil.copytree(NPM / "installed" / APP.lstrip("/"), work, symlinks=True)
    out = subprocess.run(
        ["npm", "ls", "--all", "--json", "--offline"], cwd=work, capture_output=True, check=True
    )
    found: set[tuple[str, str]] = set()
    stack = [json.loads(out.stdout)]
    while stack:
        node = stack.pop()
        for name, dep in node.get("dependencies", {}).items():
            found.add((name, dep["version"]))
            stack.append(dep)
    return found


def test_installed_packages_match_npm_ls(
    installed: CatalogResult, npm_ls: set[tuple[str, str]]
) -> None:
    ours = {(p.name, p.version) for p in installed.packages}
    assert ours == npm_ls == INSTALLED
    assert len(installed.packages) == len(INSTALLED)  # lockfile entries not reported twice


def test_nested_test_fixtures_inside_packages_are_not_packages(installed: CatalogResult) -> None:
    paths = {loc.path for p in installed.packages for loc in p.locations}
    assert not any("/resolve/test/" in p for p in paths)


def test_installed_and_locked_package_has_both_locations(installed: CatalogResult) -> None:
    by = {(p.name, p.version): p for p in installed.packages}
    nested = by[("ms", "2.0.0")]
    assert [loc.path for loc in nested.locations] == [
        f"{APP}/node_modules/debug/node_modules/ms/package.json",
        LOCK,
    ]
    scoped = by[("@types/ms", "0.7.34")]
    assert scoped.purl == "pkg:npm/%40types/ms@0.7.34"
    assert scoped.licenses == ("MIT",)
    assert scoped.type is PackageType.NPM and scoped.found_by == "npm"
    # dev dependency: installed, so reported, but the lockfile entry (dev) adds nothing
    assert [loc.path for loc in by[("isarray", "1.0.0")].locations] == [
        f"{APP}/node_modules/isarray/package.json"
    ]


def test_databases_and_bin_scripts(installed: CatalogResult) -> None:
    assert installed.package_databases == (f"{APP}/node_modules", LOCK)
    assert installed.identified_files == frozenset({f"{APP}/node_modules/resolve/bin/resolve"})
    assert installed.gaps == ()


@pytest.mark.parametrize("version", [1, 2])
def test_lockfile_only(version: int) -> None:
    res = catalog_dir(NpmCataloger(), NPM / f"lock-v{version}")
    got = {(p.name, p.version) for p in res.packages}
    assert got == INSTALLED - {("isarray", "1.0.0")}  # the dev dependency is left out
    assert all([loc.path for loc in p.locations] == [LOCK] for p in res.packages)
    assert res.package_databases == (LOCK,)
    purls = {p.purl for p in res.packages}
    assert "pkg:npm/ms@2.0.0" in purls and "pkg:npm/%40types/ms@0.7.34" in purls


def test_v3_lockfile_alone_matches_v1_and_v2(tmp_path: Path) -> None:
    src = NPM / "installed" / APP.lstrip("/") / "package-lock.json"
    write_files(tmp_path, {"srv/app/package-lock.json": src.read_bytes()})
    v3 = {(p.name, p.version, p.licenses) for p in catalog_dir(NpmCataloger(), tmp_path).packages}
    v2 = {(p.name, p.version) for p in catalog_dir(NpmCataloger(), NPM / "lock-v2").packages}
    assert {(n, v) for n, v, _ in v3} == v2
    assert ("hasown", "2.0.4", ("MIT",)) in v3  # v2/v3 entries carry the licence


def test_lockfile_quirks(tmp_path: Path) -> None:
    lock = {
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "root", "version": "9.9.9"},
            "packages/ws-member": {"name": "ws-member", "version": "0.0.1"},
            "node_modules/ws-member": {"resolved": "packages/ws-member", "link": True},
            "node_modules/alias": {"name": "real-pkg", "version": "1.2.3"},
            "node_modules/nover": {"resolved": "x"},
            "node_modules/devonly": {"version": "1.0.0", "dev": True},
            "node_modules/a/node_modules/dup": {"version": "2.0.0"},
            "node_modules/b/node_modules/dup": {"version": "2.0.0"},
            "node_modules/stale": {"version": "1.0.0"},
        },
    }
    v1 = {
        "lockfileVersion": 1,
        "dependencies": {
            "aliased": {"version": "npm:real-one@4.5.6"},
            "local": {"version": "file:../local"},
            "top": {"version": "1.0.0", "dependencies": {"inner": {"version": "0.1.0"}}},
        },
    }
    write_files(
        tmp_path,
        {
            "app/package-lock.json": json.dumps(lock),
            "app/node_modules/stale/package.json": '{"name": "stale", "version": "1.1.0"}',
            "old/package-lock.json": json.dumps(v1),
        },
    )
    res = catalog_dir(NpmCataloger(), tmp_path)
    got = sorted((p.name, p.version, tuple(loc.path for loc in p.locations)) for p in res.packages)
    assert got == [
        ("dup", "2.0.0", ("/app/package-lock.json",)),
        ("inner", "0.1.0", ("/old/package-lock.json",)),
        ("real-one", "4.5.6", ("/old/package-lock.json",)),
        ("real-pkg", "1.2.3", ("/app/package-lock.json",)),
        # installed and locked versions differ: both are reported, each where it was seen
        ("stale", "1.0.0", ("/app/package-lock.json",)),
        ("stale", "1.1.0", ("/app/node_modules/stale/package.json",)),
        ("top", "1.0.0", ("/old/package-lock.json",)),
    ]


def test_bad_json_is_a_gap_and_scan_goes_on(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "app/package-lock.json": "{ not json",
            "app/node_modules/broken/package.json": '{"name": "broken", ',
            "app/node_modules/array/package.json": "[1, 2]",
            "app/node_modules/noversion/package.json": '{"name": "noversion"}',
            "app/node_modules/good/package.json": '\ufeff{"name": "good", "version": "1.0.0"}',
            "app/node_modules/good/package-lock.json": "[]",
        },
    )
    res = catalog_dir(NpmCataloger(), tmp_path)
    assert [(p.name, p.version) for p in res.packages] == [("good", "1.0.0")]
    assert sorted(g.subject for g in res.gaps) == [
        "/app/node_modules/array/package.json",
        "/app/node_modules/broken/package.json",
        "/app/package-lock.json",
    ]
    assert {g.kind for g in res.gaps} == {"unparsable-database"}


def test_selector_matches_only_package_roots() -> None:
    match = next(s for s in NpmCataloger.selectors if s.name == "npm-package").match

    def m(path: str) -> bool:
        return match(FileEntry(path, FileKind.FILE, 0o644, 10))

    assert m("/node_modules/a/package.json")
    assert m("/usr/lib/node_modules/npm/node_modules/@npmcli/arborist/package.json")
    assert m("/app/node_modules/.pnpm/a@1.0.0/node_modules/a/package.json")
    assert not m("/app/package.json")
    assert not m("/app/node_modules/a/test/fixture/package.json")
    assert not m("/app/node_modules/@scope/a/lib/package.json")
    assert not m("/app/node_modules/package.json")
    assert not m("/app/node_modules/a/package.json.orig")
    lock = next(s for s in NpmCataloger.selectors if s.name == "npm-lock").match
    assert lock(FileEntry("/app/package-lock.json", FileKind.FILE, 0o644, 10))
    # a lockfile published inside a package describes its author's machine
    assert not lock(FileEntry("/app/node_modules/a/package-lock.json", FileKind.FILE, 0o644, 10))


def test_legacy_license_forms() -> None:
    assert licenses_of({"license": {"type": "MIT", "url": "x"}}) == ("MIT",)
    assert licenses_of({"licenses": [{"type": "MIT"}, {"type": "Apache-2.0"}, "MIT"]}) == (
        "MIT",
        "Apache-2.0",
    )
    assert licenses_of({"license": "(MIT OR Apache-2.0)"}) == ("(MIT OR Apache-2.0)",)
    assert licenses_of({"license": 3}) == ()


def test_reader_keeps_summary_and_refuses_huge() -> None:
    entry = FileEntry("/n/node_modules/x/package.json", FileKind.FILE, 0o644, 10)
    doc = b'{"name": "x", "version": "1.0.0", "bin": "cli.js", "readme": "' + b"r" * 500 + b'"}'
    got = read_manifest(entry, io.BytesIO(doc), ReadContext(Path("/tmp"), 1 << 20))
    assert got == Manifest("x", "1.0.0", (), ("cli.js",))
    small = read_manifest(entry, io.BytesIO(doc), ReadContext(Path("/tmp"), 100))
    assert small.error is not None and "larger" in small.error


def test_purl_unscoped_and_scoped() -> None:
    assert npm_purl("lodash", "4.17.21") == "pkg:npm/lodash@4.17.21"
    assert npm_purl("@babel/core", "7.0.0") == "pkg:npm/%40babel/core@7.0.0"


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("lodash", "4.17.21"),
        ("@babel/core", "7.24.0-rc.1"),
        ("JSONStream", "1.3.5"),  # legacy upper-case name: packageurl lowercases it
        ("@Scope/Pkg", "1.0.0"),
        ("lodash.merge", "4.6.2"),
        ("a_b", "1.0.0+build.5"),  # "+" is percent-encoded
        ("x", "1.0.0-beta_2"),
        ("@types/node", "20.11.5"),
        ("weird name", "1.0.0"),
        ("ok", "git+https://github.com/a/b.git#abc"),
        ("-lead", "1"),
    ],
)
def test_fast_purl_agrees_with_packageurl(name: str, version: str) -> None:
    scope, sep, bare = name.rpartition("/")
    slow = make_purl("npm", bare if sep else name, version, namespace=scope or None)
    assert npm_purl(name, version) == slow
