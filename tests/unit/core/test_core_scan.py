"""The orchestration around catalogers: ownership filter, coverage, plug-in failures."""

from __future__ import annotations

import pytest

from hardhull.catalog.base import CatalogResult
from hardhull.model import (
    Distro,
    FileEntry,
    FileKind,
    Location,
    Package,
    PackageType,
    SourceInfo,
)
from hardhull.scan import SbomOptions, catalog_tree, drop_os_owned
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree


def _pkg(name: str, type_: PackageType, path: str) -> Package:
    return Package(
        name=name,
        version="1.0",
        type=type_,
        purl=f"pkg:generic/{name}@1.0",
        locations=(Location(path, "sha256:l1"),),
        found_by="test",
    )


class _Fixed:
    """A cataloger plug-in that reports a fixed result."""

    version = "1"
    selectors: tuple[Selector, ...] = ()

    def __init__(self, name: str, result: CatalogResult) -> None:
        self.name = name
        self._result = result

    def catalog(self, tree: FileTree, distro: Distro | None) -> CatalogResult:
        return self._result


class _Broken:
    name = "broken"
    version = "1"
    selectors: tuple[Selector, ...] = ()

    def catalog(self, tree: FileTree, distro: Distro | None) -> CatalogResult:
        raise ValueError("boom")


def _tree() -> FileTree:
    entries = {
        p: FileEntry(p, FileKind.FILE, 0o755, 10, "sha256:l1")
        for p in ("/usr/bin/python3", "/opt/app/server", "/usr/bin/tool")
    }
    return FileTree(entries, {})


def test_language_packages_owned_by_os_packages_are_dropped() -> None:
    deb = _pkg("python3-yaml", PackageType.DEB, "/var/lib/dpkg/status")
    owned_py = _pkg("PyYAML", PackageType.PYTHON, "/usr/lib/python3/dist-packages/x/METADATA")
    own_py = _pkg("requests", PackageType.PYTHON, "/opt/venv/lib/r/METADATA")
    kept = drop_os_owned(
        [deb, owned_py, own_py], frozenset({"/usr/lib/python3/dist-packages/x/METADATA"})
    )
    assert [p.name for p in kept] == ["python3-yaml", "requests"]


def test_coverage_counts_unidentified_executables_and_databases() -> None:
    os_result = CatalogResult(
        packages=(_pkg("python3", PackageType.DEB, "/var/lib/dpkg/status"),),
        owned_files=frozenset({"/usr/bin/python3"}),
        package_databases=("/var/lib/dpkg/status",),
    )
    bin_result = CatalogResult(
        packages=(_pkg("example.com/app", PackageType.GO, "/opt/app/server"),),
        executables=frozenset({"/usr/bin/python3", "/opt/app/server", "/usr/bin/tool"}),
    )
    sbom = catalog_tree(
        SourceInfo("dir", "/x"),
        _tree(),
        [_Fixed("os", os_result), _Fixed("bin", bin_result)],
        SbomOptions(strict=True),
    )
    assert sbom.coverage.unidentified_executables == ("/usr/bin/tool",)
    assert sbom.coverage.package_databases == ("/var/lib/dpkg/status",)
    assert sbom.coverage.has_package_database
    assert sbom.coverage.files_examined == 3
    assert [p.name for p in sbom.packages] == ["python3", "example.com/app"]


def test_no_package_database_is_never_complete() -> None:
    sbom = catalog_tree(SourceInfo("dir", "/x"), _tree(), [], SbomOptions())
    assert not sbom.coverage.has_package_database
    assert not sbom.coverage.complete
    assert sbom.packages == ()


def test_failing_cataloger_becomes_a_gap_or_raises_in_strict_mode() -> None:
    sbom = catalog_tree(SourceInfo("dir", "/x"), _tree(), [_Broken()], SbomOptions())
    assert [(g.kind, g.subject) for g in sbom.coverage.gaps] == [("cataloger-error", "broken")]
    assert "boom" in sbom.coverage.gaps[0].detail
    with pytest.raises(ValueError, match="boom"):
        catalog_tree(SourceInfo("dir", "/x"), _tree(), [_Broken()], SbomOptions(strict=True))
