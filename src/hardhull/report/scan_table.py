"""The scan report as readable text (``--format table``), rendered with rich.

Header (target, digest, distro, vulnerability database age with a stale warning), the
vulnerabilities by severity with fixable ones first, suppressed ones apart, hardening
checks with their status, other findings, a summary line and, always, the coverage block
shared with the SBOM table. A missing package database is said loudly at the top and in
the coverage block. Colour only when asked for.
"""

from __future__ import annotations

import io

from rich import box
from rich.table import Table
from rich.text import Text

from hardhull.model import Finding, Report, Severity, Status
from hardhull.report.facts import (
    db_line,
    fixed_in,
    hardening_checks,
    installed,
    marks,
    other_findings,
    resource_location,
    summarize,
    suppression_text,
    vulnerabilities,
)
from hardhull.report.sbom_table import (
    DEFAULT_WIDTH,
    NO_DATABASE_LINE,
    console_text,
    coverage_table,
    distro_label,
    target_rows,
    text_console,
)

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.NEGLIGIBLE: "dim",
    Severity.UNKNOWN: "dim",
}
STATUS_STYLE = {
    Status.FAIL: "bold red",
    Status.WARN: "yellow",
    Status.PASS: "green",
    Status.ERROR: "bold magenta",
    Status.SKIP: "dim",
}


def _header(report: Report) -> Table:
    sbom = report.sbom
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    target_rows(grid, sbom)
    grid.add_row("Distro", distro_label(sbom))
    created = report.created or sbom.created
    line = db_line(report.db, created)
    stale = report.db is None or report.db.stale
    grid.add_row("Vulnerability DB", Text(line, style="bold yellow" if stale else ""))
    for warning in report.db.warnings if report.db else ():
        grid.add_row("", Text(warning, style="yellow"))
    tool = f"{sbom.tool} {sbom.tool_version}".strip()
    grid.add_row("Produced by", f"{tool}, {created}" if created else tool)
    return grid


def _severity(finding: Finding) -> Text:
    return Text(finding.severity.value.upper(), style=SEVERITY_STYLE[finding.severity])


def _vuln_table(findings: list[Finding], *, suppressed: bool = False) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("SEVERITY", no_wrap=True)
    table.add_column("PACKAGE", overflow="fold")
    table.add_column("INSTALLED", overflow="fold")
    table.add_column("FIXED IN", overflow="fold")
    table.add_column("ID", overflow="fold")
    table.add_column("SUPPRESSED" if suppressed else "MARKS", overflow="fold")
    for f in findings:
        pkg = f.package
        name = f"{pkg.name} ({pkg.type.value})" if pkg else f.subject
        last = suppression_text(f) if suppressed else marks(f)
        table.add_row(
            _severity(f),
            name,
            installed(f),
            Text(fixed_in(f) or "not fixed", style="" if f.fixable else "dim"),
            f.rule_id,
            Text(last, style="bold red" if f.kev and not suppressed else ""),
        )
    return table


def _resource_cell(finding: Finding) -> str:
    ref = finding.resource
    if ref is None:
        return "-"
    where = resource_location(ref)
    return f"{ref.label()} ({where})" if where else ref.label()


def _checks_table(findings: list[Finding]) -> Table:
    """Checks and other findings; a RESOURCE column (kind namespace/name and file:line)
    when some of them are about a Kubernetes resource (posture findings)."""
    with_resource = any(f.resource is not None for f in findings)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("STATUS", no_wrap=True)
    table.add_column("CHECK", no_wrap=True)
    table.add_column("SEVERITY", no_wrap=True)
    if with_resource:
        table.add_column("RESOURCE", overflow="fold")
    table.add_column("FINDING", overflow="fold")
    for f in findings:
        text = f.title + (f": {f.message}" if f.message else "")
        if f.suppressed is not None:
            text += f" [suppressed: {suppression_text(f)}]"
        cells: list[str | Text] = [
            Text(f.status.value.upper(), style=STATUS_STYLE[f.status]),
            f.rule_id,
            _severity(f),
        ]
        if with_resource:
            cells.append(_resource_cell(f))
        table.add_row(*cells, text)
    return table


def summary_lines(report: Report) -> list[str]:
    """The totals in two short lines: vulnerabilities, then hardening and packages."""
    s = summarize(report)
    levels = ", ".join(f"{sev} {n}" for sev, n in s.by_severity if n)
    first = f"Vulnerabilities: {s.vulnerabilities}" + (f" ({levels})" if levels else "")
    first += f"; fixable {s.fixable}; KEV {s.kev}; suppressed {s.suppressed}"
    second = f"Packages: {s.packages}"
    if s.hardening_score is not None:
        second = (
            f"Hardening score {s.hardening_score}/100 ({s.hardening_failed} failing); " + second
        )
    return [first, second]


def render_scan_table(report: Report, *, color: bool = False, width: int | None = None) -> str:
    """The scan report as text; ANSI colour only if ``color``."""
    buf = io.StringIO()
    console = text_console(buf, width or DEFAULT_WIDTH, color)
    cov = report.coverage
    console.print(Text("Scan report", style="bold underline"))
    console.print(_header(report))
    if not cov.has_package_database:
        console.print()
        console.print(NO_DATABASE_LINE)
    console.print()
    console.print(Text("Vulnerabilities", style="bold underline"))
    active = vulnerabilities(report)
    if report.db is None:
        console.print(Text("Not matched: no vulnerability database was used.", style="bold"))
    elif active:
        console.print(_vuln_table(active))
    else:
        console.print(Text("No unsuppressed vulnerabilities found in the packages listed."))
    muted = vulnerabilities(report, suppressed=True)
    if muted:
        console.print(Text(f"Suppressed ({len(muted)})", style="bold"))
        console.print(_vuln_table(muted, suppressed=True))
    console.print()
    console.print(Text("Hardening checks", style="bold underline"))
    checks = hardening_checks(report)
    if checks:
        console.print(_checks_table(checks))
    else:
        console.print("No hardening checks were run.")
    others = other_findings(report)
    if others:
        console.print()
        console.print(Text("Other findings", style="bold underline"))
        console.print(_checks_table(others))
    console.print()
    for line in summary_lines(report):
        console.print(Text(line, style="bold"))
    console.print()
    console.print(Text("Coverage", style="bold underline"))
    if not cov.has_package_database:
        console.print(NO_DATABASE_LINE)
    console.print(coverage_table(cov))
    return console_text(buf)
