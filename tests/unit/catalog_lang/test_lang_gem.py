"""GemCataloger on real installed specifications (Debian's libruby3.1 and ruby-rack)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.catalog_lang.langkit import FIXTURES, catalog_dir, write_files

from hardhull.catalog.base import CatalogResult
from hardhull.catalog.gem import GemCataloger, GemspecError, parse_gemspec
from hardhull.model import FileEntry, FileKind, PackageType

HOME = "/usr/lib/ruby/gems/3.1.0"
INTEGRATION = "/usr/share/rubygems-integration/all/specifications"


@pytest.fixture(scope="module")
def result() -> CatalogResult:
    return catalog_dir(GemCataloger(), FIXTURES / "gem" / "rootfs")


def test_real_specifications(result: CatalogResult) -> None:
    got = {(p.name, p.version, p.purl, p.licenses, p.locations[0].path) for p in result.packages}
    assert got == {
        (
            "rake",
            "13.0.6",
            "pkg:gem/rake@13.0.6",
            ("MIT",),
            f"{HOME}/specifications/rake-13.0.6.gemspec",
        ),
        (
            "minitest",
            "5.15.0",
            "pkg:gem/minitest@5.15.0",
            ("MIT",),
            f"{HOME}/specifications/minitest-5.15.0.gemspec",
        ),
        (
            "openssl",
            "3.0.1",
            "pkg:gem/openssl@3.0.1",
            ("Ruby",),
            f"{HOME}/specifications/default/openssl-3.0.1.gemspec",
        ),
        (
            "bundler",
            "2.3.7",
            "pkg:gem/bundler@2.3.7",
            ("MIT",),
            f"{HOME}/specifications/default/bundler-2.3.7.gemspec",
        ),
        ("rack", "2.2.22", "pkg:gem/rack@2.2.22", ("MIT",), f"{INTEGRATION}/rack-2.2.22.gemspec"),
    }
    assert all(p.type is PackageType.GEM and p.found_by == "gem" for p in result.packages)
    assert result.gaps == ()


def test_databases_and_executables(result: CatalogResult) -> None:
    assert result.package_databases == (
        f"{HOME}/specifications",
        f"{HOME}/specifications/default",
        INTEGRATION,
    )
    # rake: bindir "exe"; bundler's libexec/bundle and rack's rackup are not in the tree
    assert result.identified_files == frozenset({f"{HOME}/gems/rake-13.0.6/exe/rake"})


def test_older_and_unusual_forms() -> None:
    spec = parse_gemspec(
        "Gem::Specification.new do |spec|\n"
        "  spec.name = %q{json_pure}\n"
        "  spec.version = Gem::Version.new('2.6.3')\n"
        "  spec.license = 'Ruby'\n"
        '  spec.licenses = [%q<BSD-2-Clause>, "Ruby"]\n'
        "  spec.required_rubygems_version = Gem::Requirement.new('>= 0')\n"
        '  spec.executables = ["a", "b"]\n'
        "end\n"
    )
    assert (spec.name, spec.version, spec.platform) == ("json_pure", "2.6.3", "ruby")
    assert spec.licenses == ("Ruby", "BSD-2-Clause")
    assert spec.executables == ("a", "b") and spec.bindir == "bin"


def test_platform_gem_gets_purl_qualifier(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "gems/specifications/nokogiri-1.15.4-x86_64-linux.gemspec": (
                "# stub: nokogiri 1.15.4 x86_64-linux lib\n"
                "Gem::Specification.new do |s|\n"
                '  s.name = "nokogiri".freeze\n'
                '  s.version = "1.15.4".freeze\n'
                '  s.platform = "x86_64-linux".freeze\n'
                '  s.executables = ["nokogiri".freeze]\n'
                "end\n"
            ),
            "gems/gems/nokogiri-1.15.4-x86_64-linux/bin/nokogiri": "#!/usr/bin/env ruby\n",
            "gems/bin/nokogiri": "#!/usr/bin/env ruby\n",
        },
    )
    res = catalog_dir(GemCataloger(), tmp_path)
    (pkg,) = res.packages
    assert pkg.purl == "pkg:gem/nokogiri@1.15.4?platform=x86_64-linux"
    assert pkg.meta("platform") == "x86_64-linux"
    assert res.identified_files == frozenset(
        {"/gems/gems/nokogiri-1.15.4-x86_64-linux/bin/nokogiri", "/gems/bin/nokogiri"}
    )


def test_stub_line_fills_in(tmp_path: Path) -> None:
    spec = parse_gemspec("# stub: tiny 0.1.0 ruby lib\nGem::Specification.new do |s|\nend\n")
    assert (spec.name, spec.version) == ("tiny", "0.1.0")


def test_garbage_becomes_gap(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "g/specifications/broken-1.0.gemspec": b"\x00\xff not ruby at all",
            "g/specifications/ok-1.0.gemspec": 's.name = "ok"\ns.version = "1.0"\n',
        },
    )
    res = catalog_dir(GemCataloger(), tmp_path)
    assert [p.name for p in res.packages] == ["ok"]
    assert [(g.kind, g.subject) for g in res.gaps] == [
        ("unparsable-database", "/g/specifications/broken-1.0.gemspec")
    ]
    with pytest.raises(GemspecError, match="name and version"):
        parse_gemspec("")


def test_selector() -> None:
    match = GemCataloger.selectors[0].match

    def m(path: str) -> bool:
        return match(FileEntry(path, FileKind.FILE, 0o644, 1))

    assert m("/usr/local/bundle/specifications/rails-7.1.0.gemspec")
    assert m("/usr/local/lib/ruby/gems/3.3.0/specifications/default/json-2.7.1.gemspec")
    assert not m("/src/app/myapp.gemspec")  # a project's own gemspec is not an installed gem
    assert not m("/usr/local/bundle/specifications/rails-7.1.0.gemspec.bak")
