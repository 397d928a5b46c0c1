"""PythonCataloger on a real venv's metadata, Debian egg-info files and broken input."""

from __future__ import annotations

import importlib.metadata
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.unit.catalog_lang.langkit import FIXTURES, catalog_dir, tree_from, write_files

from hardhull.catalog.python import (
    PythonCataloger,
    licenses_of,
    parse_metadata,
    pep503,
    read_header_block,
)
from hardhull.model import FileEntry, FileKind, PackageType
from hardhull.sources.base import ReadContext

ROOT = FIXTURES / "python" / "rootfs"
SITE = "/opt/venv/lib/python3.11/site-packages"
DIST = "/usr/lib/python3/dist-packages"


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return catalog_dir(PythonCataloger(), ROOT)


def test_finds_every_distribution_with_purl_and_location(result) -> None:  # type: ignore[no-untyped-def]
    got = {(p.name, p.version, p.purl, p.locations[0].path) for p in result.packages}
    assert got == {
        ("attrs", "24.2.0", "pkg:pypi/attrs@24.2.0", f"{SITE}/attrs-24.2.0.dist-info/METADATA"),
        ("idna", "3.10", "pkg:pypi/idna@3.10", f"{SITE}/idna-3.10.dist-info/METADATA"),
        ("six", "1.16.0", "pkg:pypi/six@1.16.0", f"{SITE}/six-1.16.0.dist-info/METADATA"),
        (
            "pyflakes",
            "3.2.0",
            "pkg:pypi/pyflakes@3.2.0",
            f"{SITE}/pyflakes-3.2.0.dist-info/METADATA",
        ),
        ("PyJWT", "2.6.0", "pkg:pypi/pyjwt@2.6.0", f"{DIST}/PyJWT-2.6.0.egg-info/PKG-INFO"),
        ("crit", "3.17.1", "pkg:pypi/crit@3.17.1", f"{DIST}/crit-3.17.1-py3.11.egg-info"),
    }
    assert all(p.type is PackageType.PYTHON and p.found_by == "python" for p in result.packages)
    assert all(p.locations[0].layer == "sha256:fixture" for p in result.packages)
    assert not result.gaps


def test_licenses_follow_expression_then_field_then_classifiers(result) -> None:  # type: ignore[no-untyped-def]
    lic = {p.name: p.licenses for p in result.packages}
    assert lic["attrs"] == ("MIT",)  # License-Expression
    assert lic["six"] == ("MIT",)  # License field
    assert lic["idna"] == ("BSD License",)  # classifier only
    assert lic["crit"] == ("GPLv2",)


def test_site_dirs_are_package_databases(result) -> None:  # type: ignore[no-untyped-def]
    assert result.package_databases == (SITE, DIST)


def test_record_files_identify_console_scripts(result) -> None:  # type: ignore[no-untyped-def]
    # pyflakes' RECORD lists ../../../bin/pyflakes; only files present in the tree count.
    assert result.identified_files == frozenset({"/opt/venv/bin/pyflakes"})


def test_agrees_with_importlib_metadata_and_pip() -> None:
    site = ROOT / SITE.lstrip("/")
    oracle = {
        (d.metadata["Name"], d.version) for d in importlib.metadata.distributions(path=[str(site)])
    }
    pip_list = subprocess.run(
        [sys.executable, "-m", "pip", "list", "--path", str(site), "--format", "json"],
        capture_output=True,
        check=True,
    )
    from_pip = {(pep503(d["name"]), d["version"]) for d in json.loads(pip_list.stdout)}
    found = catalog_dir(PythonCataloger(), ROOT).packages
    ours = {(p.name, p.version) for p in found if p.locations[0].path.startswith(SITE)}
    assert ours == oracle
    assert {(pep503(n), v) for n, v in ours} == from_pip


def test_running_venv_matches_importlib() -> None:
    """The venv running the tests, cataloged as a tree: every dist, and pip's scripts."""
    prefix = Path(sys.prefix)
    if prefix == Path(sys.base_prefix):
        pytest.skip("tests are not running in a venv")
    site = next(prefix.glob("lib/python3*/site-packages"))
    oracle = {
        (d.metadata["Name"], d.version) for d in importlib.metadata.distributions(path=[str(site)])
    }
    res = catalog_dir(PythonCataloger(), prefix)
    assert {(p.name, p.version) for p in res.packages} == oracle
    assert {"pip", "pytest", "orjson"} <= {name for name, _ in oracle}
    assert {"/bin/pip", "/bin/pytest"} <= res.identified_files
    assert not any(path.endswith(".py") for path in res.identified_files)
    assert not res.gaps


def test_pep503_normalization() -> None:
    assert pep503("Foo_Bar.baz--Qux") == "foo-bar-baz-qux"


def test_parse_metadata_continuations_and_stops_at_body() -> None:
    fields = parse_metadata(
        b"Metadata-Version: 2.1\r\nName: demo\r\nVersion: 1.0\r\nLicense: Apache\r\n"
        b"        License 2.0\r\nClassifier: License :: OSI Approved\r\n\r\nName: body\r\n"
    )
    assert fields["name"] == ["demo"]
    assert fields["license"] == ["Apache\nLicense 2.0"]
    # a multi-line License field is license text, not a name: classifiers win, and the bare
    # "OSI Approved" category is no licence
    assert licenses_of(fields) == ()


def test_header_reader_stops_at_blank_line() -> None:
    body = b"x" * 200_000
    data = b"Name: demo\nVersion: 2\n\n" + body
    entry = FileEntry("/s/demo-2.dist-info/METADATA", FileKind.FILE, 0o644, len(data))
    got = read_header_block(entry, io.BytesIO(data), ReadContext(Path("/tmp"), 1 << 20))
    assert got == b"Name: demo\nVersion: 2\n"


def test_bad_metadata_becomes_gap_and_others_survive(tmp_path: Path) -> None:
    site = "usr/local/lib/python3.12/site-packages"
    write_files(
        tmp_path,
        {
            f"{site}/good-1.0.dist-info/METADATA": "Name: good\nVersion: 1.0\n",
            f"{site}/noversion-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: noversion\n",
            f"{site}/garbage-1.0.dist-info/METADATA": b"\x00\xff\xfe binary \x00\n",
            f"{site}/empty.egg-info/PKG-INFO": b"",
            f"{site}/good-1.0.dist-info/RECORD": b'"odd,name",,\n\x00\xff,,\n',
        },
    )
    res = catalog_dir(PythonCataloger(), tmp_path)
    assert [p.name for p in res.packages] == ["good"]
    assert sorted((g.kind, g.subject.rsplit("/", 2)[-2]) for g in res.gaps) == [
        ("unparsable-database", "empty.egg-info"),
        ("unparsable-database", "garbage-1.0.dist-info"),
        ("unparsable-database", "noversion-1.0.dist-info"),
    ]
    assert any("Version" in g.detail for g in res.gaps)


def test_selectors_ignore_lookalikes() -> None:
    sel = {s.name: s for s in PythonCataloger.selectors}
    meta = sel["python-metadata"].match

    def e(p: str) -> FileEntry:
        return FileEntry(p, FileKind.FILE, 0o644, 1)

    assert meta(e("/x/site-packages/a-1.dist-info/METADATA"))
    assert meta(e("/x/dist-packages/a-1.egg-info"))
    assert meta(e("/x/site-packages/a.egg/EGG-INFO/PKG-INFO"))
    assert not meta(e("/x/docs/METADATA"))
    assert not meta(e("/x/a-1.dist-info/METADATA.bak"))
    assert sel["python-files"].match(e("/x/a-1.dist-info/RECORD"))
    assert not sel["python-files"].match(e("/x/RECORD"))


def test_record_without_metadata_is_not_attributed(tmp_path: Path) -> None:
    write_files(tmp_path, {"s/orphan-1.dist-info/RECORD": "../bin/tool,,\n", "bin/tool": "x"})
    res = catalog_dir(PythonCataloger(), tmp_path)
    assert res.packages == () and res.identified_files == frozenset()


def test_tree_with_nothing_python() -> None:
    res = PythonCataloger().catalog(tree_from(FIXTURES / "npm" / "lock-v1", []), None)
    assert res.packages == () and res.package_databases == () and res.gaps == ()
