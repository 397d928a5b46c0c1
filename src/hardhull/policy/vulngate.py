"""Vulnerability gating: deny (or warn) images whose latest scan has serious findings.

The gate reads a **scan-results cache directory** of ``hardhull scan image --format json``
reports (:mod:`hardhull.policy.vulngate_reports`: indexed by image reference and manifest
digest, newest ``created`` wins, new and changed files read when the directory changes).

For every container image of a Pod or pod template (init and ephemeral containers
included), the gate counts the report's unsuppressed ``vulnerability`` findings at or
above ``severity`` (only those with ``fixed_versions`` when ``fixable_only``), minus the
active exemptions. Images never scanned get the configured answer: ``deny``,
``allow-audit`` (a ``warn`` result, which the webhook records as an audit annotation), or
``scan``: the gate scans the image on demand in the background
(:mod:`hardhull.policy.vulngate_scan`), writing the report into the directory, waits for
it at most ``scan.wait_ms`` (until it finishes when None), and until then answers
``scan.while_scanning`` (``deny`` or ``allow-audit``) with a message saying a scan was
started. A failed scan is a ``scan-failed`` failure naming the reason and when it will be
retried; it never lets the image through.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from hardhull.model import Severity
from hardhull.policy.base import (
    Action,
    AdmissionInput,
    Result,
    RuleResult,
    SourcePos,
    container_images,
)
from hardhull.policy.vulngate_reports import (
    ReportCache,
    ScanRecord,
    ScanVuln,
    VulnGateError,
    image_key,
    index_reports,
    read_report,
)
from hardhull.policy.vulngate_scan import (
    OnDemandScanner,
    ScanSettings,
    ScanState,
    ScanTicket,
    WhileScanning,
)
from hardhull.posture.pss import pod_spec_of

NAME = "vulnerability-gate"
_POS = SourcePos("<builtin>")
_OPERATIONS = frozenset({"CREATE", "UPDATE"})
_WORST = 3  # advisory ids named per image


class Unscanned(StrEnum):
    """The answer for an image with no report in the cache."""

    DENY = "deny"
    ALLOW_AUDIT = "allow-audit"
    SCAN = "scan"


@dataclass(frozen=True, slots=True)
class VulnExemption:
    """Findings exempt from the gate: for images matching ``images`` (globs over the
    reference as written and as normalised; every image when empty) and advisories in
    ``advisories`` (ids or aliases; every advisory when empty), until ``expires``
    (inclusive; never when None)."""

    reason: str
    images: tuple[str, ...] = ()
    advisories: frozenset[str] = frozenset()
    expires: dt.date | None = None

    def active(self, today: dt.date) -> bool:
        """Whether the exemption still applies on ``today``."""
        return self.expires is None or today <= self.expires

    def covers_image(self, names: Sequence[str]) -> bool:
        """Whether the image scope matches any of ``names``."""
        return not self.images or any(
            fnmatch.fnmatchcase(n, pattern) for n in names for pattern in self.images
        )

    def covers_advisory(self, ids: Sequence[str]) -> bool:
        """Whether the advisory scope matches any of ``ids``."""
        return not self.advisories or any(i in self.advisories for i in ids)

    def describe(self) -> str:
        """A short label for messages."""
        scope = ", ".join([*self.images, *sorted(self.advisories)]) or "everything"
        return f"{scope} ({self.reason})"


@dataclass(frozen=True)
class VulnGateOptions:
    """What the gate checks: ``reports`` (the cache directory), the ``severity``
    threshold, ``fixable_only``, the answer for ``unscanned`` images, the ``action`` of a
    failure, the ``exemptions``, and how on-demand scans run (``scan``, used when
    ``unscanned`` is ``scan``)."""

    reports: Path
    severity: Severity = Severity.HIGH
    fixable_only: bool = True
    unscanned: Unscanned = Unscanned.DENY
    action: Action = Action.DENY
    exemptions: tuple[VulnExemption, ...] = ()
    scan: ScanSettings = field(default_factory=ScanSettings)


def _clock(stamp: float) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class _Pending:
    """What on-demand scanning left for the ``unscanned`` and ``scan-failed`` rules."""

    waiting: tuple[str, ...] = ()  # "image (scan started)" and the like
    failed: tuple[str, ...] = ()


class VulnGatePolicy:
    """The vulnerability gate as a built-in policy (``vulnerability-gate``). Building it
    reads the reports directory (:class:`VulnGateError` when it cannot)."""

    __slots__ = ("cache", "options", "scanner")

    def __init__(self, options: VulnGateOptions) -> None:
        self.options = options
        self.cache = ReportCache(options.reports)
        self.scanner: OnDemandScanner | None = None
        if options.unscanned is Unscanned.SCAN:
            self.scanner = OnDemandScanner(options.reports, options.scan, self.cache.add)

    @property
    def name(self) -> str:
        """``vulnerability-gate``."""
        return NAME

    @property
    def kind(self) -> str:
        """Always ``Builtin``."""
        return "Builtin"

    @property
    def pos(self) -> SourcePos:
        """Built-ins come from no file."""
        return _POS

    def close(self) -> None:
        """Stop on-demand scans (running ones are killed)."""
        if self.scanner is not None:
            self.scanner.close()

    def _parts(self, inp: AdmissionInput) -> Mapping[str, Any] | None:
        if inp.operation not in _OPERATIONS or inp.obj is None:
            return None
        parts = pod_spec_of(inp.obj)
        return None if parts is None else parts[1]

    def applies_to(self, inp: AdmissionInput) -> bool:
        """Objects with a pod spec, on CREATE and UPDATE."""
        return self._parts(inp) is not None

    def _counted(self, image: str, record: ScanRecord, today: dt.date) -> tuple[str, str]:
        """(failure text or "", expired-exemption note) for one scanned image."""
        names = [image, image_key(image)]
        # the image scope is the same for every finding: matched once per image
        scoped = [e for e in self.options.exemptions if e.covers_image(names)]
        rank = self.options.severity.rank
        bad: list[ScanVuln] = []
        expired: set[str] = set()
        for v in record.vulns:
            if (
                v.suppressed
                or v.severity.rank < rank
                or (self.options.fixable_only and not v.fixable)
            ):
                continue
            ids = (v.id, *v.aliases)
            hits = [e for e in scoped if e.covers_advisory(ids)]
            if any(e.active(today) for e in hits):
                continue
            expired.update(f"{e.describe()} expired {e.expires}" for e in hits)
            bad.append(v)
        if not bad:
            return "", ""
        bad.sort(key=lambda v: (-v.severity.rank, v.id))
        counts: dict[str, int] = {}
        for v in bad:
            counts[v.severity.value] = counts.get(v.severity.value, 0) + 1
        worst = list(dict.fromkeys(v.id for v in bad))
        more = f" (+{len(worst) - _WORST} more)" if len(worst) > _WORST else ""
        count_text = ", ".join(f"{n} {sev}" for sev, n in counts.items())
        text = f"{image}: {count_text} ({', '.join(worst[:_WORST])}{more})"
        note = f"exemption {'; '.join(sorted(expired))}" if expired else ""
        return text, note

    def _scan_missing(self, missing: list[str], records: dict[str, ScanRecord]) -> _Pending:
        """Start (or join) on-demand scans of ``missing`` images, wait as configured,
        and put the reports that exist by then into ``records``."""
        scanner = self.scanner
        assert scanner is not None
        wait_ms = self.options.scan.wait_ms
        tickets = {image: scanner.request(image, block=wait_ms is None) for image in missing}
        deadline = None if wait_ms is None else time.monotonic() + wait_ms / 1000.0
        for ticket in tickets.values():
            if ticket.state in (ScanState.QUEUED, ScanState.RUNNING):
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is None or remaining > 0:
                    ticket.finished.wait(remaining)
        waiting: list[str] = []
        failed: list[str] = []
        for image, first in tickets.items():
            now = scanner.status(image) or first
            record = self.cache.lookup(image)
            if record is None and now.state is ScanState.DONE and now.report is not None:
                record = read_report(now.report)
            if record is not None:
                records[image] = record
            elif now.state is ScanState.FAILED:
                failed.append(
                    f"{image}: {now.error} (attempt {now.attempts}; "
                    f"next attempt after {_clock(now.retry_at)})"
                )
            else:
                waiting.append(f"{image} ({_progress(first, now)})")
        return _Pending(tuple(waiting), tuple(failed))

    def evaluate(self, inp: AdmissionInput) -> Sequence[RuleResult]:
        """Rule ``vulnerabilities`` (scanned images), and when some image has no report,
        rule ``unscanned`` (and ``scan-failed`` when an on-demand scan failed)."""
        spec = self._parts(inp)
        if spec is None:
            return ()
        today = dt.date.today()
        images = list(dict.fromkeys(img for _, img in container_images(spec) if img))
        records: dict[str, ScanRecord] = {}
        missing: list[str] = []
        for image in images:
            record = self.cache.lookup(image)
            if record is not None:
                records[image] = record
                continue
            names = [image, image_key(image)]
            if not any(
                e.active(today) and not e.advisories and e.covers_image(names)
                for e in self.options.exemptions
            ):
                missing.append(image)
        pending = _Pending(waiting=tuple(missing))
        if missing and self.scanner is not None:
            pending = self._scan_missing(missing, records)
        failures: list[str] = []
        notes: list[str] = []
        for image in images:
            record = records.get(image)
            if record is None:
                continue
            text, note = self._counted(image, record, today)
            if text:
                failures.append(text)
            if note:
                notes.append(note)
        fixable = "fixable " if self.options.fixable_only else ""
        out: list[RuleResult] = []
        if failures:
            msg = (
                f"images with unsuppressed {fixable}vulnerabilities at or above "
                f"{self.options.severity.value}: {'; '.join(failures)}"
            )
            if notes:
                msg += f"; {'; '.join(dict.fromkeys(notes))}"
            out.append(self._result("vulnerabilities", Result.FAIL, msg, inp))
        else:
            out.append(
                RuleResult(self.name, "vulnerabilities", Result.PASS, action=self.options.action)
            )
        out.extend(self._unscanned(pending, inp))
        return out

    def _unscanned(self, pending: _Pending, inp: AdmissionInput) -> list[RuleResult]:
        out: list[RuleResult] = []
        where = f"no report in {self.options.reports}"
        if pending.waiting:
            if self.scanner is None:
                msg = f"images never scanned ({where}): {', '.join(pending.waiting)}"
                audit = self.options.unscanned is Unscanned.ALLOW_AUDIT
            else:
                msg = (
                    f"images not scanned yet ({where}): {'; '.join(pending.waiting)}; "
                    "they are judged on their reports once the scans finish"
                )
                audit = self.options.scan.while_scanning is WhileScanning.ALLOW_AUDIT
            if audit:
                out.append(self._result("unscanned", Result.WARN, msg, inp, audit=True))
            else:
                out.append(self._result("unscanned", Result.FAIL, msg, inp))
        if pending.failed:
            msg = f"on-demand scans failed: {'; '.join(pending.failed)}"
            out.append(self._result("scan-failed", Result.FAIL, msg, inp))
        return out

    def _result(
        self, rule: str, result: Result, msg: str, inp: AdmissionInput, *, audit: bool = False
    ) -> RuleResult:
        return RuleResult(
            self.name,
            rule,
            result,
            message=msg,
            action=self.options.action,
            resource=inp.ref,
            category="Images",
            audit_annotations=((f"{NAME}-{rule}", msg),) if audit else (),
        )


def _progress(first: ScanTicket, now: ScanTicket) -> str:
    """How a still-missing image's scan stands, for the ``unscanned`` message."""
    if first.state is ScanState.QUEUE_FULL:
        return "scan not started: too many scans waiting; try again later"
    if first.started:
        return "scan started"
    return f"scan {now.state.value}"


__all__ = [
    "NAME",
    "ReportCache",
    "ScanRecord",
    "ScanSettings",
    "ScanVuln",
    "Unscanned",
    "VulnExemption",
    "VulnGateError",
    "VulnGateOptions",
    "VulnGatePolicy",
    "WhileScanning",
    "image_key",
    "index_reports",
    "read_report",
]
