"""Golden files for the three SBOM documents and the table (HARDHULL_UPDATE_GOLDEN=1)."""

from __future__ import annotations

import pytest
from tests.unit.sbomfmt.sbomfmt_sample import check_golden, sample_sbom, scratch_sbom

from hardhull.report.sbom_table import render_sbom_table
from hardhull.sbomfmt import write_sbom


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("cyclonedx", "sample.cdx.json"), ("spdx", "sample.spdx.json"), ("json", "sample.json")],
)
def test_sample_documents_match_golden(fmt: str, name: str) -> None:
    check_golden(name, write_sbom(sample_sbom(), fmt))


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("cyclonedx", "scratch.cdx.json"), ("spdx", "scratch.spdx.json")],
)
def test_uninventoried_documents_match_golden(fmt: str, name: str) -> None:
    check_golden(name, write_sbom(scratch_sbom(), fmt))


def test_tables_match_golden() -> None:
    check_golden("sample.table.txt", render_sbom_table(sample_sbom(), color=False).encode())
    check_golden("scratch.table.txt", render_sbom_table(scratch_sbom(), color=False).encode())
