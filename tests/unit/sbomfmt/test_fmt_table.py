"""The SBOM summary table: header, packages by type, counts, coverage, loud warnings."""

from __future__ import annotations

import dataclasses
import re

from tests.unit.sbomfmt.sbomfmt_sample import sample_sbom, scratch_sbom

from hardhull.model import Coverage, Gap
from hardhull.report.sbom_table import render_sbom_table

ANSI = re.compile(r"\x1b\[")


def _lines(text: str) -> list[str]:
    return text.splitlines()


def test_header_names_target_digest_and_distro() -> None:
    text = render_sbom_table(sample_sbom(), color=False, width=160)
    assert "oci-archive:localhost/app:1.0 (/tmp/app.tar)" in text
    assert "sha256:" + "a" * 64 in text
    assert "Debian GNU/Linux 12 (bookworm)" in text
    assert "linux/amd64" in text


def test_packages_sorted_by_type_with_source_and_location() -> None:
    text = render_sbom_table(sample_sbom(), color=False, width=200)
    rows = [
        line.split()
        for line in _lines(text)
        if line.split()[:1] in (["deb"], ["python"], ["npm"], ["binary"], ["go-module"])
    ]
    assert [r[0] for r in rows] == ["binary", "deb", "go-module", "npm", "python", "python"]
    libc = next(r for r in rows if r[1] == "libc6")
    assert libc[2:] == ["2.36-9+deb12u4", "glibc", "/var/lib/dpkg/status"]
    requests = next(r for r in rows if r[1] == "requests")
    assert "(+1 more)" in " ".join(requests)
    assert "Packages: 6 (binary 1, deb 1, go-module 1, npm 1, python 2)" in text


def test_coverage_block() -> None:
    text = render_sbom_table(sample_sbom(), color=False, width=200)
    assert re.search(r"Layers read\s+2$", text, re.M)
    assert re.search(r"Files examined\s+1234$", text, re.M)
    assert re.search(r"Package databases\s+2: .*/var/lib/dpkg/status", text, re.M)
    assert "dpkg, python, npm, go-binary, binary" in text
    assert re.search(r"Unidentified executables\s+2: /opt/tool/run, /usr/local/bin/mystery", text)
    assert re.search(r"unreadable-file \(2\)\s+/etc/shadow-: permission", text)
    assert re.search(r"too-large \(1\)\s+/data/huge.bin", text)
    assert "INCOMPLETE" in text
    assert "NO PACKAGE DATABASE" not in text


def test_long_lists_are_cut_with_a_count() -> None:
    paths = tuple(f"/bin/x{i}" for i in range(12))
    gaps = tuple(Gap("unreadable-file", f"/f{i}", "bad") for i in range(8))
    sbom = dataclasses.replace(
        sample_sbom(),
        coverage=dataclasses.replace(
            sample_sbom().coverage, unidentified_executables=paths, gaps=gaps
        ),
    )
    text = render_sbom_table(sbom, color=False, width=200)
    assert "12: /bin/x0, /bin/x1, /bin/x2, /bin/x3, /bin/x4, ... and 7 more" in text
    assert "unreadable-file (8)" in text
    assert "... and 3 more" in text
    assert "/f5" not in text


def test_no_package_database_is_loud_not_empty_and_fine() -> None:
    text = render_sbom_table(scratch_sbom(), color=False, width=200)
    assert text.count("NO PACKAGE DATABASE FOUND") == 2
    assert "could NOT be inventoried" in text
    assert "0: NONE FOUND" in text
    assert "No packages were found." in text
    head = text.index("NO PACKAGE DATABASE FOUND")
    assert head < text.index("No packages were found.")


def test_complete_coverage_says_so() -> None:
    sbom = dataclasses.replace(
        sample_sbom(),
        coverage=Coverage(layers_read=("sha256:1",), files_examined=3, package_databases=("/db",)),
    )
    text = render_sbom_table(sbom, color=False)
    assert re.search(r"Coverage\s+complete$", text, re.M)
    assert re.search(r"Not examined\s+nothing reported", text)


def test_colour_only_when_asked() -> None:
    plain = render_sbom_table(scratch_sbom(), color=False)
    assert not ANSI.search(plain)
    coloured = render_sbom_table(scratch_sbom(), color=True)
    assert ANSI.search(coloured)
    # Not a terminal (pytest captures stdout): no colour by default.
    assert not ANSI.search(render_sbom_table(scratch_sbom()))


def test_no_trailing_whitespace() -> None:
    text = render_sbom_table(sample_sbom(), color=False)
    assert all(line == line.rstrip() for line in _lines(text))
    assert text.endswith("\n")
