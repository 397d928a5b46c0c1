"""The scan table: order, marks, stale database, coverage block, colour only on request."""

from __future__ import annotations

import dataclasses

from tests.unit.report.report_sample import check_golden, sample_report, scratch_report

from hardhull.report import write_report
from hardhull.sbomfmt.common import NO_DATABASE_MESSAGE


def _text(report: object, color: bool = False) -> str:
    return write_report(report, "table", color=color).decode()  # type: ignore[arg-type]


def test_matches_golden() -> None:
    check_golden("sample.table.txt", write_report(sample_report(), "table"))
    check_golden("scratch.table.txt", write_report(scratch_report(), "table"))


def test_severity_order_with_fixable_first() -> None:
    text = _text(sample_report())
    order = [
        text.index(x)
        for x in (
            "CVE-2024-0001",
            "CVE-2023-0004",
            "CVE-2023-0003",
            "GHSA-9wx4-h78v-vm56",
            "CVE-2010-0006",
        )
    ]
    assert order == sorted(order)  # critical, high fixable, high unfixable, medium, negligible
    assert text.index("Suppressed (2)") > text.index("CVE-2010-0006")


def test_header_marks_and_summary() -> None:
    text = _text(sample_report())
    assert "KEV EPSS 93.1%" in text
    assert "13 days old" in text and "STALE" in text
    assert "Vulnerabilities: 5 (critical 1, high 2, medium 1, negligible 1)" in text
    assert "Hardening score 60/100 (2 failing); Packages: 6" in text
    assert text.index("FAIL     HH-IMG-005") < text.index("PASS     HH-IMG-001")
    assert "Coverage                  INCOMPLETE" in text


def test_no_colour_unless_asked() -> None:
    assert "\x1b[" not in _text(sample_report())
    assert "\x1b[" in _text(sample_report(), color=True)


def test_missing_package_database_and_missing_vulnerability_db_are_loud() -> None:
    text = _text(scratch_report())
    assert text.count(NO_DATABASE_MESSAGE.split(":")[0]) == 2
    no_db = _text(dataclasses.replace(sample_report(), db=None))
    assert "Not matched: no vulnerability database was used." in no_db
