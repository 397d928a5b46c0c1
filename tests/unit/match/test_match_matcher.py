"""Matching real records (imported by the real importer) against packages."""

from __future__ import annotations

from hardhull.match.matcher import Matcher, title_of
from hardhull.model import Advisory, Distro, PackageType, Severity, Status
from hardhull.vulndb.store import VulnStore

from .conftest import make_pkg

DEBIAN = Distro(id="debian", version_id="12")


def _libssl(version: str) -> object:
    return make_pkg(
        "libssl3",
        version,
        PackageType.DEB,
        f"pkg:deb/debian/libssl3@{version}?arch=amd64&distro=debian-12",
        source=("openssl", version),
        distro="debian-12",
    )


def _matcher(store: VulnStore) -> Matcher:
    return Matcher(store, ecosystems=store.ecosystems())


def test_debian_binary_matches_on_source_package_and_links_dsa_and_cve(store: VulnStore) -> None:
    pkg = _libssl("3.0.11-1~deb12u1")
    result = _matcher(store).match([pkg], DEBIAN)  # type: ignore[list-item]
    by_id = {f.rule_id: f for f in result.findings}
    assert set(by_id) == {"CVE-2023-5363", "DSA-5532-1"}
    dsa, cve = by_id["DSA-5532-1"], by_id["CVE-2023-5363"]
    assert "CVE-2023-5363" in dsa.aliases and "DSA-5532-1" in cve.aliases
    assert dsa.fixed_versions == ("3.0.11-1~deb12u2",)
    assert dsa.fix == "upgrade libssl3 to 3.0.11-1~deb12u2"
    evidence = dict(dsa.evidence)
    assert evidence["ecosystem"] == "Debian:12"
    assert evidence["searched_name"] == "openssl"
    assert evidence["source_package"] == "openssl"
    assert evidence["installed"] == "3.0.11-1~deb12u1"
    assert evidence["path"] == "/var/lib/dpkg/status"
    assert evidence["layer"].startswith("sha256:")
    assert evidence["range"] == "listed in versions[]"
    # CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N is 7.5 -> high
    assert cve.severity is Severity.HIGH
    assert [s.value for s in cve.scores] == [7.5]
    assert cve.status is Status.FAIL and cve.subject == pkg.id  # type: ignore[attr-defined]
    assert result.gaps == ()


def test_fixed_debian_version_does_not_match(store: VulnStore) -> None:
    assert _matcher(store).match([_libssl("3.0.11-1~deb12u2")], DEBIAN).findings == ()  # type: ignore[list-item]


def test_binnmu_compares_the_source_version(store: VulnStore) -> None:
    pkg = make_pkg(
        "libssl3",
        "3.0.11-1~deb12u2+b1",
        PackageType.DEB,
        "pkg:deb/debian/libssl3@3.0.11-1~deb12u2%2Bb1?distro=debian-12",
        source=("openssl", "3.0.11-1~deb12u1"),
        distro="debian-12",
    )
    findings = _matcher(store).match([pkg], DEBIAN).findings
    assert {f.rule_id for f in findings} == {"CVE-2023-5363", "DSA-5532-1"}
    evidence = dict(findings[0].evidence)
    assert evidence["installed"] == "3.0.11-1~deb12u2+b1"
    assert evidence["compared_version"] == "3.0.11-1~deb12u1"


def test_pypi_name_is_normalised_and_ranges_evaluated(store: VulnStore) -> None:
    pkg = make_pkg("Requests", "2.19.1", PackageType.PYTHON, "pkg:pypi/requests@2.19.1")
    findings = _matcher(store).match([pkg], None).findings
    assert {f.rule_id for f in findings} == {"PYSEC-2018-28", "PYSEC-2023-74"}
    f74 = next(f for f in findings if f.rule_id == "PYSEC-2023-74")
    assert set(f74.aliases) == {"CVE-2023-32681", "GHSA-j8r2-6x86-q33q"}
    assert f74.fixed_versions == ("2.31.0",)
    assert dict(f74.evidence)["searched_name"] == "requests"
    assert f74.severity is Severity.UNKNOWN  # the record carries no severity at all


def test_withdrawn_records_never_match(store: VulnStore) -> None:
    pkg = make_pkg("aiohttp", "0.10.0", PackageType.PYTHON, "pkg:pypi/aiohttp@0.10.0")
    assert _matcher(store).match([pkg], None).findings == ()


def test_npm_records_and_severity_from_vector(store: VulnStore) -> None:
    pkg = make_pkg("lodash", "4.17.4", PackageType.NPM, "pkg:npm/lodash@4.17.4")
    findings = _matcher(store).match([pkg], None).findings
    assert {f.rule_id for f in findings} == {"NSWG-ECO-368", "NSWG-ECO-493"}
    f493 = next(f for f in findings if f.rule_id == "NSWG-ECO-493")
    # CVSS:3.0/AV:L/AC:L/PR:N/UI:N/S:C/C:L/I:L/A:N = 5.7 (medium; worked by hand from the spec)
    assert f493.scores[0].value == 5.7 and f493.severity is Severity.MEDIUM
    assert f493.fix == "upgrade lodash to 4.17.11"
    later = make_pkg("lodash", "4.17.16", PackageType.NPM, "pkg:npm/lodash@4.17.16")
    assert [f.rule_id for f in _matcher(store).match([later], None).findings] == ["NSWG-ECO-516"]


def test_one_finding_per_advisory_and_package(store: VulnStore) -> None:
    pkg = make_pkg("lodash", "4.17.4", PackageType.NPM, "pkg:npm/lodash@4.17.4")
    findings = _matcher(store).match([pkg, pkg], None).findings
    assert len(findings) == 2


def test_missing_ecosystems_and_unmatchable_types_are_gaps(store: VulnStore) -> None:
    alpine = Distro(id="alpine", version_id="3.20.1")
    apk = make_pkg(
        "busybox",
        "1.36.1-r29",
        PackageType.APK,
        "pkg:apk/alpine/busybox@1.36.1-r29",
        source=("busybox", "1.36.1-r29"),
        distro="alpine-3.20.1",
    )
    gem = make_pkg("rack", "2.0.0", PackageType.GEM, "pkg:gem/rack@2.0.0")
    binary = make_pkg("busybox", "1.36", PackageType.BINARY, "pkg:generic/busybox@1.36")
    result = _matcher(store).match([apk, gem, binary], alpine)
    assert result.findings == ()
    kinds = {(g.kind, g.subject) for g in result.gaps}
    assert kinds == {
        ("no-advisories", "Alpine:v3.20"),
        ("no-advisories", "RubyGems"),
        ("unmatchable-type", "binary"),
    }
    assert result.packages_checked == 0 and result.packages_skipped == 3


def test_git_only_ranges_are_a_gap_not_a_clean(store: VulnStore) -> None:
    pkg = make_pkg("gitonly-demo", "1.0", PackageType.PYTHON, "pkg:pypi/gitonly-demo@1.0")
    result = _matcher(store).match([pkg], None)
    assert result.findings == ()
    assert [(g.kind, g.subject) for g in result.gaps] == [
        ("unevaluable-range", "PyPI gitonly-demo")
    ]
    assert "HHTEST-GIT-1" in result.gaps[0].detail


def test_unparsable_installed_version_is_a_gap(store: VulnStore) -> None:
    pkg = _libssl("not a version!")
    result = _matcher(store).match([pkg], DEBIAN)  # type: ignore[list-item]
    assert result.findings == ()
    assert [g.kind for g in result.gaps] == ["unparsable-version"]


def test_title_falls_back_to_details() -> None:
    adv = Advisory(id="X-1", modified="", affected=(), details="First part. Second part.")
    assert title_of(adv) == "First part"
    assert title_of(Advisory(id="X-2", modified="", affected=())) == "X-2"
