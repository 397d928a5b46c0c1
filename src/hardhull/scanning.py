"""``scan_image``: TARGET -> SBOM (+ hardening selectors, one pass) -> match -> hardening ->
suppression -> :class:`Report`.

The report's coverage is the SBOM's plus what matching could not do: ecosystems the
database has no advisories for, GIT-only ranges, unparsable versions, a stale database.
Suppression and VEX input are read before the image, so bad input fails fast.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hardhull.errors import HardhullError
from hardhull.hardening.base import HardeningCheck
from hardhull.match.ignore import IgnoreRule, load_ignore_file
from hardhull.match.matcher import AdvisorySource, Matcher
from hardhull.match.suppress import apply_suppressions
from hardhull.match.vex import VexStatement, load_vex_file
from hardhull.model import (
    Coverage,
    DbInfo,
    Finding,
    FindingKind,
    Gap,
    HardeningSummary,
    Report,
    Sbom,
    Severity,
    Status,
)
from hardhull.scan import SbomOptions, inventory
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree
from hardhull.sources.target import Target
from hardhull.vulndb.paths import default_db_path
from hardhull.vulndb.store import DatabaseError, VulnStore

DB_HINT = (
    "run `hardhull db update`, or `hardhull db import ../shared/data/advisories/...` "
    "for offline use, or point --db at a database file"
)


@dataclass(frozen=True)
class ScanOptions:
    """How to scan: database, SBOM options, hardening, suppression and report filters.

    ``min_severity`` and ``only_fixed`` drop standing vulnerability findings below the level
    or without a fix (what is dropped neither shows nor counts for ``--fail-on``).
    ``today`` fixes the date ignore-file expiry is judged against (tests).
    """

    db: Path | None = None
    sbom: SbomOptions = field(default_factory=lambda: SbomOptions(include_files=False))
    hardening: bool = True
    checks: tuple[HardeningCheck, ...] | None = None
    ignore_file: Path | None = None
    vex_files: tuple[Path, ...] = ()
    min_severity: Severity | None = None
    only_fixed: bool = False
    today: dt.date | None = None


def open_store(path: Path | None) -> VulnStore:
    """Open the database read-only, with a message saying how to get one when missing."""
    db_path = path or default_db_path()
    if not db_path.is_file():
        raise DatabaseError(f"no vulnerability database at {db_path}", hint=DB_HINT)
    return VulnStore.open(db_path)


def _default_checks() -> tuple[HardeningCheck, ...]:
    from hardhull.hardening.registry import default_checks

    return tuple(default_checks())


def _keep(finding: Finding, opts: ScanOptions) -> bool:
    if finding.kind is not FindingKind.VULNERABILITY or finding.status is not Status.FAIL:
        return True
    if opts.only_fixed and not finding.fixable:
        return False
    return not (opts.min_severity is not None and finding.severity.rank < opts.min_severity.rank)


def _db_gaps(info: DbInfo) -> list[Gap]:
    if not info.stale:
        return []
    detail = "; ".join(info.warnings) or f"built {info.built}"
    return [Gap("database-stale", info.path, f"{detail} (run `hardhull db update`)")]


def merge_coverage(base: Coverage, extra: Sequence[Gap]) -> Coverage:
    """``base`` with ``extra`` gaps added (deduplicated, sorted)."""
    gaps = sorted({*base.gaps, *extra}, key=lambda g: (g.kind, g.subject, g.detail))
    return dataclasses.replace(base, gaps=tuple(gaps))


def load_suppressions(
    opts: ScanOptions,
) -> tuple[tuple[IgnoreRule, ...], tuple[VexStatement, ...]]:
    """Ignore rules and VEX statements named by the options (read and validated)."""
    rules = load_ignore_file(opts.ignore_file) if opts.ignore_file else ()
    statements: list[VexStatement] = []
    for path in opts.vex_files:
        statements.extend(load_vex_file(path))
    return rules, tuple(statements)


def assess(
    sbom: Sbom,
    tree: FileTree | None,
    store: AdvisorySource,
    info: DbInfo | None,
    opts: ScanOptions,
    checks: Sequence[HardeningCheck],
    suppressions: tuple[tuple[IgnoreRule, ...], tuple[VexStatement, ...]] = ((), ()),
    ecosystems: frozenset[str] | None = None,
) -> Report:
    """Everything after the inventory: match, hardening, suppression, coverage -> Report."""
    enriched = info is None or any(name in ("kev", "epss") for name, _ in info.sources)
    matcher = Matcher(store, ecosystems=ecosystems, exploitation=enriched)
    result = matcher.match(sbom.packages, sbom.distro)
    findings: list[Finding] = list(result.findings)
    gaps: list[Gap] = list(result.gaps)
    summary: HardeningSummary | None = None
    if opts.hardening:
        if tree is None:
            gaps.append(
                Gap(
                    "hardening-skipped",
                    sbom.source.target,
                    "an SBOM carries no image files or configuration to check",
                )
            )
        else:
            from hardhull.hardening.engine import run_hardening

            hardening, summary = run_hardening(sbom, tree, checks)
            findings.extend(hardening)
    if info is not None:
        gaps.extend(_db_gaps(info))
    rules, statements = suppressions
    judged = apply_suppressions(findings, rules, statements, opts.today)
    kept = sorted((f for f in judged if _keep(f, opts)), key=Finding.sort_key)
    created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return Report(
        sbom=sbom,
        findings=tuple(kept),
        coverage=merge_coverage(sbom.coverage, gaps),
        db=info,
        hardening=summary,
        created=created,
    )


def scan_image(target: str | Target, options: ScanOptions | None = None) -> Report:
    """Scan ``target`` for vulnerabilities and hardening problems into a :class:`Report`."""
    opts = options or ScanOptions()
    suppressions = load_suppressions(opts)
    store = open_store(opts.db)
    try:
        info = store.info()
        ecosystems = store.ecosystems()
        checks: Sequence[HardeningCheck] = ()
        selectors: list[Selector] = []
        if opts.hardening:
            checks = opts.checks if opts.checks is not None else _default_checks()
            for check in checks:
                selectors.extend(check.selectors)
        sbom, tree = inventory(target, opts.sbom, selectors)
        return assess(sbom, tree, store, info, opts, checks, suppressions, ecosystems)
    finally:
        store.close()


def failing(report: Report, threshold: Severity) -> list[Finding]:
    """Standing (unsuppressed, ``fail``) findings at or above ``threshold``."""
    return [
        f
        for f in report.findings
        if f.status is Status.FAIL and f.suppressed is None and f.severity.rank >= threshold.rank
    ]


__all__ = [
    "DB_HINT",
    "HardhullError",
    "ScanOptions",
    "assess",
    "default_db_path",
    "failing",
    "open_store",
    "scan_image",
]
