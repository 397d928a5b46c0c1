"""write_report across every format: determinism, coverage everywhere, bad format names."""

from __future__ import annotations

import dataclasses

import pytest
from tests.unit.report.report_sample import sample_report, scratch_report

from hardhull.errors import UsageError
from hardhull.model import Gap
from hardhull.report import FORMATS, write_report


def test_formats_are_the_documented_ones() -> None:
    assert FORMATS == ("table", "json", "sarif", "cyclonedx", "spdx", "html")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_deterministic(fmt: str) -> None:
    assert write_report(sample_report(), fmt) == write_report(sample_report(), fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_says_no_package_database_was_found(fmt: str) -> None:
    assert b"NO PACKAGE DATABASE FOUND" in write_report(scratch_report(), fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_carries_a_gap_added_after_cataloging(fmt: str) -> None:
    report = sample_report()
    gap = Gap("unmatched-ecosystem", "/opt/app/Gemfile.lock", "no advisories for RubyGems")
    report = dataclasses.replace(report, coverage=dataclasses.replace(
        report.coverage, gaps=(*report.coverage.gaps, gap)))  # fmt: skip
    assert b"/opt/app/Gemfile.lock" in write_report(report, fmt)
    assert b"/opt/app/Gemfile.lock" not in write_report(sample_report(), fmt)


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown report format 'xml'"):
        write_report(sample_report(), "xml")
