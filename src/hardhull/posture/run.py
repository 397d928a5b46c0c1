"""``hardhull k8s scan`` orchestration: resources -> checks -> exceptions -> report.

Used by the CLI (manifests and live clusters) and, later, the hub. Pure apart from
reading the exceptions file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hardhull import __version__
from hardhull.errors import UsageError
from hardhull.model import Finding, Gap, Resource
from hardhull.posture.base import ClusterCheck, PostureContext, ResourceCheck
from hardhull.posture.controls import controls_by_framework
from hardhull.posture.engine import PassCount, run_posture
from hardhull.posture.exceptions import apply_exceptions, load_exceptions
from hardhull.posture.gcpause import gc_paused
from hardhull.posture.report import FrameworkScore, PostureReport
from hardhull.posture.tally import ControlTally, tally


@dataclass(frozen=True)
class PostureOptions:
    """What to check and how."""

    pss_level: str = "restricted"
    pss_version: str = "latest"
    framework: str | None = None
    exceptions: Path | None = None
    allowed_registries: tuple[str, ...] = ()
    today: dt.date | None = None
    created: str = ""
    show_passed: bool = False
    options: dict[str, str] = field(default_factory=dict)


def _framework(
    name: str,
    findings: list[Finding],
    passes: tuple[PassCount, ...],
    tallies: tuple[ControlTally, ...],
) -> tuple[list[Finding], tuple[PassCount, ...], tuple[ControlTally, ...], FrameworkScore]:
    """Keep what concerns framework ``name``; its pass rate counts (control, resource)
    outcomes: passed against failed, warned or errored (exempted ones are neither)."""
    groups = controls_by_framework()
    match = next((k for k in groups if k.lower() == name.lower()), None)
    if match is None:
        raise UsageError(
            f"unknown framework {name!r}", hint=f"use one of: {', '.join(sorted(groups))}"
        )
    ids = {control.id for _, control in groups[match]}
    kept = [t for t in tallies if t.control_id in ids]
    score = FrameworkScore(
        match,
        len(ids),
        sum(t.passed for t in kept),
        sum(t.failed + t.warned + t.errors for t in kept),
        sum(t.exempted for t in kept),
    )
    return (
        [f for f in findings if f.rule_id in ids],
        tuple(p for p in passes if p[0] in ids),
        tuple(kept),
        score,
    )


def build_report(
    resources: Sequence[Resource],
    gaps: Sequence[Gap],
    inputs: Sequence[str],
    opts: PostureOptions,
    checks: Sequence[ResourceCheck],
    cluster_checks: Sequence[ClusterCheck],
    *,
    files: int = 0,
    documents: int = 0,
) -> PostureReport:
    """Run the checks over ``resources`` and assemble the report."""
    ctx = PostureContext(
        resources=resources,
        pss_level=opts.pss_level,
        pss_version=opts.pss_version,
        allowed_registries=opts.allowed_registries,
        options=dict(opts.options),
    )
    rules = load_exceptions(opts.exceptions) if opts.exceptions is not None else None
    with gc_paused():
        run = run_posture(resources, ctx, checks, cluster_checks, show_passed=opts.show_passed)
        findings, passes = list(run.findings), run.passes
        if rules is not None:
            findings = apply_exceptions(findings, rules, resources, today=opts.today)
        tallies = tally(findings, passes)
    score = None
    if opts.framework:
        findings, passes, tallies, score = _framework(opts.framework, findings, passes, tallies)
    return PostureReport(
        findings=tuple(findings),
        gaps=(*gaps, *run.gaps),
        inputs=tuple(inputs),
        pss_level=opts.pss_level,
        pss_version=opts.pss_version,
        files=files,
        documents=documents,
        resources=len(resources),
        framework=score,
        passes=passes,
        tallies=tallies,
        show_passed=opts.show_passed,
        tool_version=__version__,
        created=opts.created,
    )


__all__ = ["PostureOptions", "build_report"]
