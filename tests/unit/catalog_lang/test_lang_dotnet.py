"""DotnetCataloger on a deps.json shaped like the .NET 8 SDK writes them."""

from __future__ import annotations

from pathlib import Path

from tests.unit.catalog_lang.langkit import FIXTURES, catalog_dir, write_files

from hardhull.catalog.dotnet import DotnetCataloger
from hardhull.model import FileEntry, FileKind, PackageType

DEPS = "/app/MyWebApp.deps.json"


def test_packages_not_projects() -> None:
    res = catalog_dir(DotnetCataloger(), FIXTURES / "dotnet" / "rootfs")
    got = {(p.name, p.version, p.purl) for p in res.packages}
    assert got == {
        ("Microsoft.Data.Sqlite", "8.0.0", "pkg:nuget/Microsoft.Data.Sqlite@8.0.0"),
        ("Microsoft.Data.Sqlite.Core", "8.0.0", "pkg:nuget/Microsoft.Data.Sqlite.Core@8.0.0"),
        ("Newtonsoft.Json", "13.0.3", "pkg:nuget/Newtonsoft.Json@13.0.3"),
        ("SQLitePCLRaw.bundle_e_sqlite3", "2.1.6", "pkg:nuget/SQLitePCLRaw.bundle_e_sqlite3@2.1.6"),
        ("SQLitePCLRaw.core", "2.1.6", "pkg:nuget/SQLitePCLRaw.core@2.1.6"),
        ("SQLitePCLRaw.lib.e_sqlite3", "2.1.6", "pkg:nuget/SQLitePCLRaw.lib.e_sqlite3@2.1.6"),
        (
            "SQLitePCLRaw.provider.e_sqlite3",
            "2.1.6",
            "pkg:nuget/SQLitePCLRaw.provider.e_sqlite3@2.1.6",
        ),
        ("System.Memory", "4.5.3", "pkg:nuget/System.Memory@4.5.3"),
    }
    assert all(p.type is PackageType.NUGET and p.found_by == "dotnet" for p in res.packages)
    assert all([loc.path for loc in p.locations] == [DEPS] for p in res.packages)
    newtonsoft = next(p for p in res.packages if p.name == "Newtonsoft.Json")
    assert newtonsoft.meta("path") == "newtonsoft.json/13.0.3"
    assert res.package_databases == (DEPS,)
    assert res.gaps == ()


def test_assets_are_identified_by_relative_path_or_file_name() -> None:
    res = catalog_dir(DotnetCataloger(), FIXTURES / "dotnet" / "rootfs")
    # runtimeTargets native asset kept under runtimes/, runtime assembly flattened into /app;
    # the project's own MyWebApp.dll is no package's
    assert res.identified_files == frozenset(
        {"/app/runtimes/linux-x64/native/libe_sqlite3.so", "/app/Newtonsoft.Json.dll"}
    )


def test_bad_documents(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "a/Broken.deps.json": '{"libraries": ',
            "b/NoLibs.deps.json": '{"targets": {}}',
            "c/Odd.deps.json": (
                '{"libraries": {"NoSlash": {"type": "package"}, "Ok/1.0.0": {"type": "package"},'
                ' "Skip/2.0.0": {"type": "reference"}, "Weird/1.0": 3}}'
            ),
        },
    )
    res = catalog_dir(DotnetCataloger(), tmp_path)
    assert [(p.name, p.version) for p in res.packages] == [("Ok", "1.0.0")]
    assert sorted((g.kind, g.subject) for g in res.gaps) == [
        ("unparsable-database", "/a/Broken.deps.json"),
        ("unparsable-database", "/b/NoLibs.deps.json"),
        ("unparsable-database", "/c/Odd.deps.json"),
    ]


def test_selector() -> None:
    match = DotnetCataloger.selectors[0].match
    assert match(FileEntry("/app/x.deps.json", FileKind.FILE, 0o644, 1))
    assert not match(FileEntry("/app/x.runtimeconfig.json", FileKind.FILE, 0o644, 1))
