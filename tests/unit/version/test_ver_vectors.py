"""Ordering vectors per scheme (documentation examples and edge cases), and the facade."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardhull.version import ECOSYSTEMS, VersionError, compare, scheme_for, sort_key
from hardhull.version._common import cmp_keys
from hardhull.version.ecosystems import SCHEMES

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "version"
_OP = {"<": -1, "=": 0, ">": 1}


def _vectors() -> list[tuple[str, str, str, str]]:
    out = []
    for line in (FIXTURES / "vectors.txt").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        scheme, a, op, b = (x.strip() for x in line.split("|"))
        out.append((scheme, a, op, b))
    for line in (FIXTURES / "apk_vectors.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            a, op, b = line.split()
            out.append(("apk", a, op, b))
    return out


VECTORS = _vectors()


@pytest.mark.parametrize(("scheme", "a", "op", "b"), VECTORS)
def test_vector(scheme: str, a: str, op: str, b: str) -> None:
    parse = SCHEMES[scheme].parse
    assert cmp_keys(parse(a), parse(b)) == _OP[op], f"{scheme}: {a} {op} {b}"
    assert cmp_keys(parse(b), parse(a)) == -_OP[op], f"{scheme}: {b} vs {a} not antisymmetric"


def test_every_scheme_has_vectors() -> None:
    assert {v[0] for v in VECTORS} == set(SCHEMES)


@pytest.mark.parametrize(
    ("ecosystem", "scheme"),
    [
        ("Debian", "dpkg"),
        ("Debian:12", "dpkg"),
        ("Ubuntu:22.04:LTS", "dpkg"),
        ("Alpine:v3.20", "apk"),
        ("Wolfi", "apk"),
        ("Chainguard", "apk"),
        ("Red Hat:enterprise_linux:9::appstream", "rpm"),
        ("Rocky Linux:9", "rpm"),
        ("AlmaLinux:8", "rpm"),
        ("openSUSE:Leap 15.5", "rpm"),
        ("SUSE:Linux Enterprise Server 15 SP5", "rpm"),
        ("Mageia:9", "rpm"),
        ("PyPI", "pep440"),
        ("npm", "semver"),
        ("crates.io", "semver"),
        ("Hex", "semver"),
        ("Pub", "semver"),
        ("SwiftURL", "semver"),
        ("Go", "go"),
        ("Maven", "maven"),
        ("RubyGems", "rubygems"),
        ("NuGet", "nuget"),
        ("Packagist", "composer"),
    ],
)
def test_ecosystem_map(ecosystem: str, scheme: str) -> None:
    assert scheme_for(ecosystem).name == scheme


def test_every_mapped_ecosystem_has_a_scheme() -> None:
    assert set(ECOSYSTEMS.values()) <= set(SCHEMES)


def test_compare_signs() -> None:
    assert compare("Debian:12", "2.36-9+deb12u3", "2.36-9+deb12u4") < 0
    assert compare("Debian:12", "2.36-9+deb12u4", "2.36-9+deb12u4") == 0
    assert compare("PyPI", "2.0", "1.9") > 0
    assert compare("Go", "v1.2.3", "1.2.3") == 0


def test_sort_key_sorts_in_ecosystem_order() -> None:
    got = sorted(["1.0", "1.0~rc1", "1.0+b1", "0:0.9", "1:0.1"], key=sort_key("Debian"))
    assert got == ["0:0.9", "1.0~rc1", "1.0", "1.0+b1", "1:0.1"]


def test_unknown_ecosystem_is_a_version_error() -> None:
    with pytest.raises(VersionError, match="'Haskell'"):
        compare("Haskell", "1", "2")


@pytest.mark.parametrize(
    ("ecosystem", "text"),
    [
        ("Debian", ""),
        ("Debian", "1.0 x"),
        ("Debian", "a:1.0"),
        ("Debian", "1:"),
        ("Red Hat", "x:1.0"),
        ("Alpine", "abc"),
        ("npm", "not-a-version"),
        ("npm", "1.2.3.4"),
        ("Go", "latest"),
        ("NuGet", "1.2.3.4.5"),
        ("Packagist", "what?"),
        ("RubyGems", "1..2"),
        ("PyPI", "   "),
        ("Maven", ""),
    ],
)
def test_bad_versions_raise_one_line_errors(ecosystem: str, text: str) -> None:
    with pytest.raises(VersionError) as info:
        compare(ecosystem, text, text)
    msg = str(info.value)
    assert repr(text) in msg
    assert "\n" not in msg


def test_pep440_fallback_is_deterministic_and_below_valid() -> None:
    legacy = ["2.0b1-dev-r5", "0.9.0dev-r1234", "1.0-SNAPSHOT", "foo"]
    for old in legacy:
        assert compare("PyPI", old, "0.0.0") < 0
        assert compare("PyPI", old, old) == 0
    assert sorted(legacy, key=sort_key("PyPI")) == sorted(
        sorted(legacy, reverse=True), key=sort_key("PyPI")
    )


def test_go_pseudo_versions_sort_by_time_below_release() -> None:
    versions = [
        "v1.2.4",
        "v1.2.4-0.20210101000000-aaaaaaaaaaaa",
        "v1.2.3",
        "v1.2.4-0.20200101000000-bbbbbbbbbbbb",
        "v1.2.4-rc.1",
    ]
    assert sorted(versions, key=sort_key("Go")) == [
        "v1.2.3",
        "v1.2.4-0.20200101000000-bbbbbbbbbbbb",
        "v1.2.4-0.20210101000000-aaaaaaaaaaaa",
        "v1.2.4-rc.1",
        "v1.2.4",
    ]
