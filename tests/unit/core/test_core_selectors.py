"""Selector path hints may skip ``match`` calls but must never change what is selected."""

from __future__ import annotations

from pathlib import Path

from hardhull.catalog.distro import DISTRO_SELECTORS
from hardhull.catalog.registry import default_catalogers
from hardhull.model import FileEntry, FileKind
from hardhull.sources.base import Selector
from hardhull.sources.selecting import SelectorIndex

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

EXTRA_PATHS = [
    "/var/lib/dpkg/status",
    "/var/lib/dpkg/status.d/base",
    "/var/lib/dpkg/info/bash.list",
    "/var/lib/dpkg/info/libc6:amd64.list",
    "/usr/share/doc/bash/copyright",
    "/lib/apk/db/installed",
    "/var/lib/rpm/rpmdb.sqlite",
    "/var/lib/rpm/Packages",
    "/usr/lib/sysimage/rpm/Packages.db",
    "/etc/os-release",
    "/usr/lib/os-release",
    "/etc/alpine-release",
    "/opt/venv/lib/python3.11/site-packages/six-1.16.0.dist-info/METADATA",
    "/opt/venv/lib/python3.11/site-packages/six-1.16.0.dist-info/RECORD",
    "/usr/lib/python3/dist-packages/PyJWT-2.6.0.egg-info",
    "/srv/app/node_modules/@scope/name/package.json",
    "/srv/app/package-lock.json",
    "/usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec",
    "/app/api.deps.json",
    "/srv/vendor/composer/installed.json",
    "/src/Cargo.lock",
    "/opt/app/lib/app.JAR",
    "/usr/bin/env",
]


def _selectors() -> list[Selector]:
    out = list(DISTRO_SELECTORS)
    for cataloger in default_catalogers():
        out.extend(cataloger.selectors)
    return out


def _entries() -> list[FileEntry]:
    paths = set(EXTRA_PATHS)
    for f in FIXTURES.rglob("*"):
        parts = f.relative_to(FIXTURES).parts
        for i in range(len(parts)):  # every fixture file seen from any plausible root
            paths.add("/" + "/".join(parts[i:]))
    return [FileEntry(p, FileKind.FILE, 0o755, 1024) for p in sorted(paths)]


def test_hints_never_change_the_selection() -> None:
    selectors = _selectors()
    assert any(s.suffixes or s.prefixes for s in selectors)
    index = SelectorIndex(selectors)
    selected = 0
    for entry in _entries():
        expected = {s.name for s in selectors if s.match(entry)}
        assert {s.name for s in index.matching(entry)} == expected, entry.path
        selected += bool(expected)
    assert selected > 50  # the corpus really exercises the selectors


def test_index_skips_match_for_paths_outside_the_hints() -> None:
    calls: list[str] = []

    def spy(entry: FileEntry) -> bool:
        calls.append(entry.path)
        return True

    hinted = Selector("hinted", spy, suffixes=(".lock",), prefixes=("/var/lib/",))
    always = Selector("always", lambda e: e.path.endswith("x"))
    index = SelectorIndex([hinted, always])
    names = [
        [s.name for s in index.matching(FileEntry(p, FileKind.FILE, 0o644, 1))]
        for p in ("/a/Cargo.lock", "/var/lib/x", "/usr/bin/x", "/etc/passwd")
    ]
    assert names == [["hinted"], ["always", "hinted"], ["always"], []]
    assert calls == ["/a/Cargo.lock", "/var/lib/x"]
