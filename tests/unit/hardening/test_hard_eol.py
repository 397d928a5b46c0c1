"""HH-IMG-007: base distribution identified, end-of-life table and thresholds."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.unit.hardening.hardkit import sbom, tree

from hardhull.hardening.baseimage import BaseImageEolCheck
from hardhull.hardening.eol import Lifecycle, lookup, release_key
from hardhull.model import Distro, Severity, Status

TODAY = dt.date(2026, 11, 27)


@pytest.mark.parametrize(
    ("distro_id", "version", "key"),
    [
        ("alpine", "3.20.3", "3.20"),
        ("debian", "12", "12"),
        ("rhel", "9.4", "9"),
        ("rocky", "8.10", "8"),
        ("ubuntu", "22.04", "22.04"),
        ("amzn", "2023", "2023"),
    ],
)
def test_release_key(distro_id: str, version: str, key: str) -> None:
    assert release_key(distro_id, version) == key


def test_known_dates() -> None:
    assert lookup(Distro("debian", "12")).eol == dt.date(2028, 6, 30)
    assert lookup(Distro("alpine", "3.18.4")).eol == dt.date(2025, 5, 9)
    assert lookup(Distro("rhel", "8.9")).eol == dt.date(2029, 5, 31)
    assert lookup(Distro("wolfi", "20230201")).lifecycle is Lifecycle.ROLLING
    assert lookup(Distro("plan9", "4")).lifecycle is Lifecycle.UNKNOWN
    assert lookup(Distro("debian", "99")).lifecycle is Lifecycle.UNKNOWN


def _eval(distro: Distro | None, databases: tuple[str, ...] = ()) -> tuple[Status, str]:
    (finding,) = BaseImageEolCheck(today=TODAY).evaluate(
        sbom(distro=distro, databases=databases), tree([])
    )
    assert finding.rule_id == "HH-IMG-007"
    return finding.status, finding.message


def test_past_eol_fails() -> None:
    status, message = _eval(Distro("debian", "10", pretty_name="Debian GNU/Linux 10 (buster)"))
    assert status is Status.FAIL
    assert "2024-06-30" in message


def test_eol_within_six_months_warns() -> None:
    status, message = _eval(Distro("alpine", "3.22.1"))  # 2027-05-01: 155 days away
    assert status is Status.WARN
    assert "days left" in message


def test_supported_passes() -> None:
    assert _eval(Distro("ubuntu", "24.04"))[0] is Status.PASS
    assert _eval(Distro("wolfi"))[0] is Status.PASS


def test_unknown_distro_warns() -> None:
    status, message = _eval(Distro("gentoo", "2.15"))
    assert status is Status.WARN
    assert "could not identify" in message


def test_no_distro_fails_with_coverage_note() -> None:
    check = BaseImageEolCheck(today=TODAY)
    (finding,) = check.evaluate(sbom(distro=None), tree([]))
    assert finding.status is Status.FAIL
    assert finding.severity is Severity.MEDIUM
    assert "no package database" in finding.message
