"""What every scan-report format derives the same way: order, counts, paths, links, ages.

Each formatter (table, json, sarif, cyclonedx, spdx, html) reads a :class:`Report`
through these helpers so that the numbers and the order agree between formats.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

from hardhull.model import (
    DbInfo,
    Finding,
    FindingKind,
    Report,
    ResourceRef,
    Sbom,
    Severity,
    Status,
)
from hardhull.sbomfmt.cyclonedx_vuln import advisory_link

SEVERITIES_DESC: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: s.rank, reverse=True))
ACTIVE_STATUSES = frozenset({Status.FAIL, Status.WARN, Status.ERROR})

# Representative CVSS-like numbers for a severity with no computed score (SARIF needs one).
SEVERITY_SCORE = {
    Severity.CRITICAL: 9.5,
    Severity.HIGH: 8.0,
    Severity.MEDIUM: 5.5,
    Severity.LOW: 2.0,
    Severity.NEGLIGIBLE: 0.0,
    Severity.UNKNOWN: 0.0,
}


def finding_key(finding: Finding) -> tuple[object, ...]:
    """A total, deterministic order: the model's sort key, then package and location."""
    pkg = finding.package
    return (
        *finding.sort_key(),
        pkg.name if pkg else "",
        pkg.version if pkg else "",
        pkg.purl if pkg else "",
        tuple(loc.path for loc in finding.locations),
        finding.status.value,
    )


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """All findings in the stable report order (severity first, then id)."""
    return sorted(findings, key=finding_key)


def vuln_key(finding: Finding) -> tuple[object, ...]:
    """Vulnerabilities: severity, then fixable before unfixable, then the stable order."""
    return (-finding.severity.rank, 0 if finding.fixable else 1, *finding_key(finding))


def vulnerabilities(report: Report, *, suppressed: bool = False) -> list[Finding]:
    """Vulnerability findings (suppressed ones only when ``suppressed``), fixable first."""
    return sorted(
        (
            f
            for f in report.findings
            if f.kind is FindingKind.VULNERABILITY and (f.suppressed is not None) == suppressed
        ),
        key=vuln_key,
    )


_STATUS_ORDER = {Status.FAIL: 0, Status.ERROR: 1, Status.WARN: 2, Status.SKIP: 3, Status.PASS: 4}


def hardening_checks(report: Report) -> list[Finding]:
    """Hardening checks: failing first, then errors, warnings, skipped, passed."""
    return sorted(
        (f for f in report.findings if f.kind is FindingKind.HARDENING),
        key=lambda f: (_STATUS_ORDER[f.status], *finding_key(f)),
    )


def other_findings(report: Report) -> list[Finding]:
    """Findings that are neither vulnerabilities nor hardening checks (posture, policy...)."""
    skip = (FindingKind.VULNERABILITY, FindingKind.HARDENING)
    return ordered(f for f in report.findings if f.kind not in skip)


@dataclass(frozen=True, slots=True)
class Summary:
    """The numbers every format prints. Vulnerability counts exclude suppressed findings."""

    total: int
    by_kind: tuple[tuple[str, int], ...]
    by_status: tuple[tuple[str, int], ...]
    by_severity: tuple[tuple[str, int], ...]  # active vulnerabilities, every level listed
    vulnerabilities: int
    fixable: int
    kev: int
    suppressed: int
    packages: int
    hardening_score: int | None
    hardening_failed: int


def summarize(report: Report) -> Summary:
    """Count findings by kind, status and severity; fixable, KEV and suppressed totals."""
    kinds: dict[str, int] = {}
    statuses: dict[str, int] = {}
    for f in report.findings:
        kinds[f.kind.value] = kinds.get(f.kind.value, 0) + 1
        statuses[f.status.value] = statuses.get(f.status.value, 0) + 1
    active = vulnerabilities(report)
    severities = {s.value: 0 for s in SEVERITIES_DESC}
    for f in active:
        severities[f.severity.value] += 1
    hardening = report.hardening
    return Summary(
        total=len(report.findings),
        by_kind=tuple(sorted(kinds.items())),
        by_status=tuple(sorted(statuses.items())),
        by_severity=tuple(severities.items()),
        vulnerabilities=len(active),
        fixable=sum(1 for f in active if f.fixable),
        kev=sum(1 for f in active if f.kev),
        suppressed=sum(1 for f in report.findings if f.suppressed is not None),
        packages=len(report.sbom.packages),
        hardening_score=hardening.score if hardening else None,
        hardening_failed=len(hardening.failed) if hardening else 0,
    )


def report_sbom(report: Report) -> Sbom:
    """The report's SBOM carrying the report's coverage (matching may have added gaps)."""
    if report.sbom.coverage == report.coverage:
        return report.sbom
    return dataclasses.replace(report.sbom, coverage=report.coverage)


def finding_package_path(finding: Finding) -> str | None:
    """Where the finding lives in the image, as given (absolute), or None."""
    if finding.locations:
        return finding.locations[0].path
    pkg = finding.package
    if pkg is not None and pkg.locations:
        return pkg.locations[0].path
    return None


def finding_layer(finding: Finding) -> str | None:
    """The digest of the layer that brought the finding's package (or path), if known."""
    for loc in (*finding.locations, *(finding.package.locations if finding.package else ())):
        if loc.layer:
            return loc.layer
    return None


def layer_history(sbom: Sbom) -> dict[str, tuple[int, str | None]]:
    """Layer digest (blob digest and diff id) -> (index from the bottom, ``created_by``)."""
    out: dict[str, tuple[int, str | None]] = {}
    for index, layer in enumerate(sbom.source.layers):
        out[layer.digest] = (index, layer.created_by)
        if layer.diff_id:
            out.setdefault(layer.diff_id, (index, layer.created_by))
    return out


def resource_location(ref: ResourceRef) -> str | None:
    """``file:line`` (or ``file``) of the document a Kubernetes resource came from."""
    if not ref.file:
        return None
    return f"{ref.file}:{ref.line}" if ref.line else ref.file


def relative_uri(path: str) -> str:
    """An image path as a relative URI reference (``usr/lib/x``), percent-encoded."""
    return quote(path.lstrip("/"), safe="/-._~!$&'()*+,;=@") or "."


def advisory_url(advisory_id: str) -> str:
    """A public page for an advisory id: NVD for CVEs, GitHub for GHSAs, OSV otherwise."""
    return advisory_link(advisory_id)[1]


def best_score(finding: Finding) -> float | None:
    """The highest computed numeric score of a finding, or None."""
    values = [s.value for s in finding.scores if s.value is not None]
    return max(values) if values else None


def security_severity(finding: Finding) -> float:
    """A 0-10 number for the finding: its best CVSS score, else a value for its severity."""
    score = best_score(finding)
    return score if score is not None else SEVERITY_SCORE[finding.severity]


def installed(finding: Finding) -> str:
    """The installed version a finding is about ('-' if none)."""
    return finding.package.version if finding.package else "-"


def fixed_in(finding: Finding) -> str:
    """Fixed versions joined, or an empty string."""
    return ", ".join(finding.fixed_versions)


def _parse_time(text: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def db_age_days(db: DbInfo, reference: str) -> int | None:
    """Whole days between the database build and ``reference`` (the report time)."""
    built = _parse_time(db.built)
    now = _parse_time(reference)
    if built is None or now is None:
        return None
    return max(0, (now - built).days)


def db_line(db: DbInfo | None, reference: str) -> str:
    """One line about the vulnerability database: build time, age and staleness."""
    if db is None:
        return "none: vulnerabilities were NOT matched"
    age = db_age_days(db, reference)
    text = f"built {db.built or 'at an unknown time'}"
    if age is not None:
        text += f" ({age} day{'s' if age != 1 else ''} old)"
    if db.records:
        text += f", {db.records} records"
    if db.stale:
        text += " - STALE: run 'hardhull db update'"
    return text


def suppression_text(finding: Finding) -> str:
    """``ignore: reason (source, until 2026-01-01)`` for a suppressed finding, else ''."""
    sup = finding.suppressed
    if sup is None:
        return ""
    extra = ", ".join(x for x in (sup.source, f"until {sup.expires}" if sup.expires else "") if x)
    return f"{sup.kind}: {sup.reason}" + (f" ({extra})" if extra else "")


def marks(finding: Finding) -> str:
    """``KEV``, ``EPSS 93.1%`` markers for a vulnerability."""
    parts = []
    if finding.kev:
        parts.append("KEV")
    if finding.epss is not None:
        parts.append(f"EPSS {finding.epss * 100:.1f}%")
    return " ".join(parts)
