"""Running hardening checks and scoring the result.

Score: a severity-weighted pass ratio. Every check that could look (not ``skip``) weighs
by its nominal severity (critical 8, high 4, medium 2, low 1, other 1) and earns its full
weight when its worst finding is ``pass``, half when ``warn``, nothing when ``fail`` or
``error``. ``score = round(100 * earned / total)``; 0 when no check could look at
all (an SBOM-only target is never "hardened" by default).
"""

from __future__ import annotations

from collections.abc import Sequence

from hardhull.hardening.base import HardeningCheck
from hardhull.hardening.common import CheckInfo, make_finding
from hardhull.model import Finding, HardeningSummary, Sbom, Severity, Status
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree

WEIGHTS = {
    Severity.CRITICAL: 8,
    Severity.HIGH: 4,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
}
_EARNED = {Status.PASS: 1.0, Status.WARN: 0.5, Status.FAIL: 0.0, Status.ERROR: 0.0}
_WORST = (Status.ERROR, Status.FAIL, Status.WARN, Status.PASS, Status.SKIP)


def check_selectors(checks: Sequence[HardeningCheck]) -> tuple[Selector, ...]:
    """Every selector the checks need, each name once, for ``inventory(extra_selectors=)``."""
    seen: dict[str, Selector] = {}
    for check in checks:
        for selector in check.selectors:
            seen.setdefault(selector.name, selector)
    return tuple(seen.values())


def _severity(check: HardeningCheck) -> Severity:
    value = getattr(check, "severity", Severity.MEDIUM)
    return value if isinstance(value, Severity) else Severity.MEDIUM


def _error(check: HardeningCheck, exc: Exception) -> Finding:
    info = CheckInfo(check.id, check.title, _severity(check), "Report this as a hardhull bug.")
    return make_finding(
        info,
        Status.ERROR,
        check.id,
        f"the check failed and did not evaluate: {type(exc).__name__}: {exc}",
    )


def worst_status(findings: Sequence[Finding]) -> Status:
    """The status that stands for a check: error > fail > warn > pass > skip."""
    statuses = {f.status for f in findings}
    for status in _WORST:
        if status in statuses:
            return status
    return Status.SKIP


def summarize(outcomes: Sequence[tuple[HardeningCheck, Status]]) -> HardeningSummary:
    """The score (see module doc), the checks passed, and those failed or in error."""
    total = 0.0
    earned = 0.0
    passed = 0
    failed: list[str] = []
    for check, status in outcomes:
        if status is Status.SKIP:
            continue
        weight = WEIGHTS.get(_severity(check), 1)
        total += weight
        earned += weight * _EARNED[status]
        if status is Status.PASS:
            passed += 1
        elif status in (Status.FAIL, Status.ERROR):
            failed.append(check.id)
    score = round(100 * earned / total) if total else 0
    return HardeningSummary(score=score, passed=passed, failed=tuple(sorted(failed)))


def run_hardening(
    sbom: Sbom,
    tree: FileTree | None,
    checks: Sequence[HardeningCheck],
    *,
    strict: bool = False,
) -> tuple[list[Finding], HardeningSummary]:
    """Evaluate ``checks``; a check that raises becomes an ``error`` finding (or re-raises
    with ``strict=True``). ``tree`` is ``None`` for ``sbom:`` targets: file checks skip."""
    view = tree if tree is not None else FileTree({}, {})
    findings: list[Finding] = []
    outcomes: list[tuple[HardeningCheck, Status]] = []
    for check in checks:
        try:
            result = check.evaluate(sbom, view)
        except Exception as exc:  # a check's bug must not end the scan
            if strict:
                raise
            result = [_error(check, exc)]
        if not result:
            result = [_error(check, RuntimeError("returned no finding"))]
        findings.extend(result)
        outcomes.append((check, worst_status(result)))
    findings.sort(key=Finding.sort_key)
    return findings, summarize(outcomes)
