"""The HTML report: one well-formed, self-contained file that escapes what it shows."""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from tests.support.imagekit import require
from tests.unit.report.report_sample import (
    HOSTILE,
    hostile_report,
    sample_report,
    scratch_report,
)

from hardhull.model import Report
from hardhull.report import write_report
from hardhull.sbomfmt.common import NO_DATABASE_MESSAGE

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


class Checker(HTMLParser):
    """Checks nesting and collects tags, attributes and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(tag, k, v or "") for k, v in attrs]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "script":
            self.scripts.append(data)
        else:
            self.text.append(data)


def _parse(report: Report) -> tuple[str, Checker]:
    html = write_report(report, "html").decode()
    checker = Checker()
    checker.feed(html)
    checker.close()
    return html, checker


@pytest.mark.parametrize("make", [sample_report, scratch_report, hostile_report])
def test_well_formed(make: object) -> None:
    html, parsed = _parse(make())  # type: ignore[operator]
    assert html.startswith("<!DOCTYPE html>")
    assert parsed.errors == []
    assert parsed.stack == []


@pytest.mark.parametrize("make", [sample_report, scratch_report, hostile_report])
def test_self_contained(make: object) -> None:
    html, parsed = _parse(make())  # type: ignore[operator]
    assert "link" not in parsed.tags and "img" not in parsed.tags and "iframe" not in parsed.tags
    assert parsed.tags.count("script") == 1
    for tag, name, value in parsed.attrs:
        assert name != "src", (tag, value)
        if name == "href":
            assert tag == "a" and re.fullmatch(r"https://[^\s<>\"']+", value), value
    assert "@import" not in html and "url(" not in html
    csp = [v for t, k, v in parsed.attrs if k == "content" and "default-src" in v]
    assert csp and "default-src 'none'" in csp[0]


def test_hostile_strings_are_escaped() -> None:
    html, parsed = _parse(hostile_report())
    assert HOSTILE not in html
    assert "<img" not in html
    assert "javascript:" not in html.replace("&", "")  # neither as link nor as text
    text = "".join(parsed.text)
    assert HOSTILE in text  # shown to the reader, as text
    assert "<b>/etc/evil</b>" in text
    assert "</td></tr></table><script>alert(3)</script>" in text
    assert all("alert" not in script for script in parsed.scripts)


def test_summary_numbers() -> None:
    html, _ = _parse(sample_report())
    cards = dict(
        re.findall(r'data-severity="(\w+)"><div class="n">(\d+)</div>', html)
        + re.findall(r'data-card="(\w+)"><div class="n">([^<]+)</div>', html)
    )
    assert cards["critical"] == "1" and cards["high"] == "2" and cards["medium"] == "1"
    assert cards["low"] == "0" and cards["negligible"] == "1"
    assert cards["vulnerabilities"] == "5" and cards["fixable"] == "3"
    assert cards["known"] == "1" and cards["suppressed"] == "2"
    assert cards["hardening"] == "60/100"
    assert "<svg" in html and 'aria-label="Vulnerabilities by severity"' in html


def test_findings_fixable_first_and_filters() -> None:
    html, _ = _parse(sample_report())
    table = html[html.index('id="vuln-table"') : html.index("</table>", html.index("vuln-table"))]
    rows = re.findall(r'<tr data-sev="(\d)" data-fix="(\d)">', table)
    assert rows == [("5", "1"), ("4", "1"), ("4", "0"), ("3", "1"), ("1", "0")]
    assert 'id="sev-filter"' in html and 'id="fixable-only"' in html
    assert "Suppressed (2)" in html


def test_per_layer_view_names_the_layer_history() -> None:
    html, parsed = _parse(sample_report())
    text = " ".join(parsed.text)
    layers = html[html.index("Vulnerabilities by layer") : html.index("Hardening checks")]
    assert "Layer 1: 2 vulnerabilities (critical 1, negligible 1) in 1 packages" in layers
    assert "Layer 2: 3 vulnerabilities" in layers  # the Go module, urllib3, requests
    assert "ADD rootfs.tar.xz / # buildkit" in text
    assert "RUN pip install requests==2.31.0" in text


def test_hardening_and_coverage_sections() -> None:
    _, parsed = _parse(sample_report())
    text = "".join(parsed.text)
    assert "Score 60/100" in text
    assert "Build on a distroless base image." in text
    assert "Not examined (3)" in text and "/data/huge.bin" in text
    assert "Coverage INCOMPLETE." in text
    assert "STALE" in text
    _, scratch = _parse(scratch_report())
    assert " ".join(scratch.text).count(NO_DATABASE_MESSAGE) >= 2


def test_renders_in_headless_chromium(tmp_path: Path) -> None:
    require("chromium")  # installed by scripts/setup-host.sh; fails loudly under CI=true
    page = tmp_path / "report.html"
    page.write_bytes(write_report(sample_report(), "html"))
    shot = tmp_path / "shot.png"
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
         "--window-size=1280,2000", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert shot.stat().st_size > 10_000
