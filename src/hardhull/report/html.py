"""The scan report as one self-contained HTML file (``--format html``).

Summary cards and an inline SVG bar chart by severity; the vulnerability table
(severity, fixable first) with small inline filters; suppressed findings apart; a
per-layer view (which layer brought the vulnerable packages, with the layer's
``created_by`` history line); hardening checks; the coverage with every gap. Every piece
of text from the report is escaped with :func:`html.escape`; links are only written for
http(s) advisory pages. A Content-Security-Policy forbids loading anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from hardhull.model import Finding, Report, Severity
from hardhull.report.facts import (
    SEVERITIES_DESC,
    advisory_url,
    db_line,
    finding_layer,
    fixed_in,
    hardening_checks,
    installed,
    layer_history,
    other_findings,
    summarize,
    suppression_text,
    vulnerabilities,
)
from hardhull.report.html_assets import COLORS, CSP, SCRIPT, STYLE, severity_chart
from hardhull.sbomfmt.common import NO_DATABASE_MESSAGE, coverage_lines, target_digest
from hardhull.sbomfmt.cyclonedx_vuln import web_links

MAX_LIST = 200


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _link(url: str, text: str) -> str:
    if not web_links([url]):
        return _e(text)
    return f'<a href="{_e(url)}" rel="noopener noreferrer">{_e(text)}</a>'


def _sev(sev: Severity) -> str:
    return f'<span class="sev" style="background:{COLORS[sev]}">{_e(sev.value)}</span>'


def _table(headers: Iterable[str], rows: Iterable[str], ident: str = "") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    attr = f' id="{ident}"' if ident else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _header(report: Report) -> str:
    sbom = report.sbom
    src = sbom.source
    distro = sbom.distro
    label = "not identified"
    if distro is not None:
        label = distro.pretty_name or " ".join(x for x in (distro.id, distro.version_id) if x)
    created = report.created or sbom.created
    stale = report.db is None or report.db.stale
    db_cls = ' class="warn"' if stale else ""
    rows = [
        ("Target", f"{src.scheme}:{src.name or src.target}" if src.scheme else src.target),
        ("Digest", target_digest(sbom) or "-"),
        ("Platform", src.platform or "-"),
        ("Distro", label),
        ("Produced by", f"{sbom.tool} {sbom.tool_version}".strip() + f", {created}"),
    ]
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows)
    items += f"<dt>Vulnerability DB</dt><dd{db_cls}>{_e(db_line(report.db, created))}</dd>"
    for warning in report.db.warnings if report.db else ():
        items += f'<dt></dt><dd class="warn">{_e(warning)}</dd>'
    return f'<dl class="meta">{items}</dl>'


def _cards(report: Report) -> str:
    s = summarize(report)
    counts = dict(s.by_severity)
    cards = []
    for sev in SEVERITIES_DESC:
        color = COLORS[sev]
        cards.append(
            f'<div class="card" style="border-top-color:{color}" data-severity="{sev.value}">'
            f'<div class="n">{counts[sev.value]}</div><div class="l">{_e(sev.value)}</div></div>'
        )
    extra: list[tuple[str, object]] = [
        ("vulnerabilities", s.vulnerabilities),
        ("fixable", s.fixable),
        ("known exploited (KEV)", s.kev),
        ("suppressed", s.suppressed),
        ("packages", s.packages),
    ]
    if s.hardening_score is not None:
        extra.append(("hardening score", f"{s.hardening_score}/100"))
    for label, value in extra:
        key = label.split(" ")[0]
        cards.append(
            f'<div class="card" data-card="{_e(key)}"><div class="n">{_e(value)}</div>'
            f'<div class="l">{_e(label)}</div></div>'
        )
    chart = severity_chart([(sev, counts[sev.value]) for sev in SEVERITIES_DESC])
    return f'<div class="cards">{"".join(cards)}</div>{chart}'


def _marks(f: Finding) -> str:
    out = []
    if f.fixable:
        out.append('<span class="tag fix">FIX</span>')
    if f.kev:
        out.append('<span class="tag kev">KEV</span>')
    if f.epss is not None:
        out.append(f'<span class="tag epss">EPSS {f.epss * 100:.1f}%</span>')
    return "".join(out)


def _vuln_row(f: Finding, layers: dict[str, tuple[int, str | None]]) -> str:
    pkg = f.package
    name = f"{pkg.name}" if pkg else f.subject
    kind = pkg.type.value if pkg else "-"
    layer = finding_layer(f)
    where = "-"
    if layer:
        index = layers.get(layer, (None, None))[0]
        where = f"#{index + 1}" if index is not None else layer[:19]
    ident = _link(advisory_url(f.rule_id), f.rule_id)
    if f.aliases:
        ident += f'<div class="muted">{_e(", ".join(f.aliases))}</div>'
    title = _e(f.title) if f.title else ""
    if f.message:
        title += f'<div class="muted">{_e(f.message)}</div>'
    refs = web_links(f.references)[:3]
    if refs:
        title += "<div>" + " ".join(_link(r, f"[{i + 1}]") for i, r in enumerate(refs)) + "</div>"
    cells = [
        _sev(f.severity),
        f'<span class="wrap">{_e(name)}</span>',
        _e(kind),
        _e(installed(f)),
        _e(fixed_in(f)) or '<span class="muted">not fixed</span>',
        ident,
        _marks(f),
        _e(where),
        title,
    ]
    if f.suppressed is not None:
        cells.append(_e(suppression_text(f)))
    body = "".join(f'<td class="wrap">{c}</td>' for c in cells)
    fix = "1" if f.fixable else "0"
    return f'<tr data-sev="{f.severity.rank}" data-fix="{fix}">{body}</tr>'


VULN_HEADERS = (
    "Severity",
    "Package",
    "Type",
    "Installed",
    "Fixed in",
    "ID",
    "Marks",
    "Layer",
    "Title",
)


def _vulns(report: Report) -> str:
    layers = layer_history(report.sbom)
    active = vulnerabilities(report)
    muted = vulnerabilities(report, suppressed=True)
    out = [f"<h2>Vulnerabilities ({len(active)})</h2>"]
    if report.db is None:
        out.append('<p class="warn">Not matched: no vulnerability database was used.</p>')
    options = "".join(
        f'<option value="{sev.rank}">{_e(sev.value)} and above</option>'
        for sev in SEVERITIES_DESC
        if sev.rank > 0
    )
    out.append(
        '<div class="filters"><label>Show <select id="sev-filter">'
        f'<option value="0" selected>all severities</option>{options}</select></label>'
        '<label><input type="checkbox" id="fixable-only"> only fixable</label></div>'
    )
    rows = [_vuln_row(f, layers) for f in active]
    if not rows:
        rows = [f'<tr><td colspan="{len(VULN_HEADERS)}">No unsuppressed vulnerabilities.</td></tr>']
    out.append(_table(VULN_HEADERS, rows, "vuln-table"))
    if muted:
        table = _table((*VULN_HEADERS, "Suppressed"), [_vuln_row(f, layers) for f in muted])
        out.append(f"<details><summary>Suppressed ({len(muted)})</summary>{table}</details>")
    return "".join(out)


def _by_layer(report: Report) -> str:
    layers = layer_history(report.sbom)
    groups: dict[str, list[Finding]] = {}
    for f in vulnerabilities(report):
        groups.setdefault(finding_layer(f) or "", []).append(f)
    out = ["<h2>Vulnerabilities by layer</h2>"]
    if not groups:
        out.append('<p class="muted">No unsuppressed vulnerabilities to attribute.</p>')

    def order(key: str) -> tuple[int, str]:
        return (layers.get(key, (10**6, None))[0], key)

    for key in sorted(groups, key=order):
        found = groups[key]
        index, created_by = layers.get(key, (None, None))
        name = f"Layer {index + 1}" if index is not None else "Unknown layer"
        counts = ", ".join(
            f"{sev.value} {n}"
            for sev in SEVERITIES_DESC
            if (n := sum(1 for f in found if f.severity is sev))
        )
        pkgs = sorted({f"{f.package.name} {f.package.version}" for f in found if f.package})
        summary = f"{name}: {len(found)} vulnerabilities ({counts}) in {len(pkgs)} packages"
        body = f"<p><code>{_e(key or 'layer not recorded')}</code></p>"
        body += f"<p>Created by: <code>{_e(created_by or 'unknown')}</code></p>"
        items = "".join(
            f"<li>{_sev(f.severity)} {_e(f.rule_id)} in {_e(f.package.name if f.package else '')}"
            f" {_e(installed(f))}</li>"
            for f in found[:MAX_LIST]
        )
        more = f"<li>... and {len(found) - MAX_LIST} more</li>" if len(found) > MAX_LIST else ""
        body += f"<ul>{items}{more}</ul>"
        out.append(f"<details><summary>{_e(summary)}</summary>{body}</details>")
    return "".join(out)


def _checks(title: str, findings: list[Finding], report: Report) -> str:
    out = [f"<h2>{_e(title)}</h2>"]
    h = report.hardening
    if h is not None and title.startswith("Hardening"):
        out.append(f"<p>Score <b>{h.score}/100</b>: {h.passed} passed, {len(h.failed)} failed.</p>")
    if not findings:
        out.append('<p class="muted">No checks were run.</p>')
        return "".join(out)
    rows = []
    for f in findings:
        text = _e(f.title) + (f"<div>{_e(f.message)}</div>" if f.message else "")
        if f.fix:
            text += f"<div><b>Fix:</b> {_e(f.fix)}</div>"
        if f.suppressed is not None:
            text += f'<div class="muted">suppressed: {_e(suppression_text(f))}</div>'
        rows.append(
            f'<tr><td class="st-{_e(f.status.value)}">{_e(f.status.value.upper())}</td>'
            f"<td>{_e(f.rule_id)}</td><td>{_sev(f.severity)}</td>"
            f'<td class="wrap">{text}</td></tr>'
        )
    out.append(_table(("Status", "Check", "Severity", "Finding"), rows))
    return "".join(out)


def _coverage(report: Report) -> str:
    cov = report.coverage
    out = ['<h2 id="coverage">Coverage</h2>']
    if not cov.has_package_database:
        out.append(f'<div class="loud">{_e(NO_DATABASE_MESSAGE)}</div>')
    out.append("<ul>" + "".join(f"<li>{_e(line)}</li>" for line in coverage_lines(cov)) + "</ul>")
    if cov.gaps:
        rows = [
            f'<tr><td>{_e(g.kind)}</td><td class="wrap">{_e(g.subject)}</td>'
            f'<td class="wrap">{_e(g.detail)}</td></tr>'
            for g in cov.gaps
        ]
        table = _table(("Kind", "Subject", "Why"), rows)
        out.append(
            f"<details open><summary>Not examined ({len(cov.gaps)})</summary>{table}</details>"
        )
    if cov.unidentified_executables:
        items = "".join(f"<li><code>{_e(p)}</code></li>" for p in cov.unidentified_executables)
        out.append(
            f"<details><summary>Executables no cataloger identified "
            f"({len(cov.unidentified_executables)})</summary><ul>{items}</ul></details>"
        )
    if cov.package_databases:
        items = "".join(f"<li><code>{_e(p)}</code></li>" for p in cov.package_databases)
        out.append(
            f"<details><summary>Package databases read ({len(cov.package_databases)})"
            f"</summary><ul>{items}</ul></details>"
        )
    return "".join(out)


def render_html(report: Report) -> str:
    """The whole report as an HTML document (a string)."""
    sbom = report.sbom
    title = f"hardhull scan: {sbom.source.name or sbom.source.target}"
    loud = ""
    if not report.coverage.has_package_database:
        loud = f'<div class="loud" id="no-package-database">{_e(NO_DATABASE_MESSAGE)}</div>'
    others = other_findings(report)
    body = [
        f"<h1>{_e(title)}</h1>",
        _header(report),
        loud,
        '<h2 id="summary">Summary</h2>',
        _cards(report),
        _vulns(report),
        _by_layer(report),
        _checks("Hardening checks", hardening_checks(report), report),
        _checks("Other findings", others, report) if others else "",
        _coverage(report),
        f"<footer>Generated by {_e(sbom.tool)} {_e(sbom.tool_version)}. "
        "This file loads nothing from the network.</footer>",
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head>\n"
        f"<body><main>{''.join(body)}</main><script>{SCRIPT}</script></body></html>\n"
    )
