"""Vulnerability gating: deny (or warn) images whose latest scan has serious findings.

The gate reads a **scan-results cache directory**: ``*.json`` documents written by
``hardhull scan image --format json``. Each report is indexed by the image reference it
names (``source.name``, ``source.target`` and ``source.tags``, normalised the way
container engines read them) and by its manifest digest (``source.manifest_digest``);
when several reports name the same image, the newest ``created`` wins. The directory is
re-read whenever its modification time changes (a report added, replaced or removed).

For every container image of a Pod or pod template (init and ephemeral containers
included), the gate counts the report's unsuppressed ``vulnerability`` findings at or
above ``severity`` (only those with ``fixed_versions`` when ``fixable_only``), minus the
active exemptions. Images never scanned get the configured answer: ``deny`` or
``allow-audit`` (a ``warn`` result, which the webhook records as an audit annotation).
Scanning on demand (``scan``) is refused at load time: the webhook never runs scans.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson

from hardhull.errors import HardhullError
from hardhull.model import Severity
from hardhull.policy.base import Action, AdmissionInput, Result, RuleResult, SourcePos
from hardhull.posture.checks.images import parse_image
from hardhull.posture.pss import pod_spec_of

NAME = "vulnerability-gate"
_POS = SourcePos("<builtin>")
_OPERATIONS = frozenset({"CREATE", "UPDATE"})
_SECTIONS = ("containers", "initContainers", "ephemeralContainers")
_WORST = 3  # advisory ids named per image


class VulnGateError(HardhullError):
    """The vulnerability gate is misconfigured (bad option, unreadable cache directory)."""


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


@dataclass(frozen=True, slots=True)
class ScanVuln:
    """One vulnerability finding of a report."""

    id: str
    aliases: tuple[str, ...]
    severity: Severity
    fixable: bool
    suppressed: bool


@dataclass(frozen=True, slots=True)
class ScanRecord:
    """The essentials of one scan report."""

    created: str
    digest: str
    vulns: tuple[ScanVuln, ...]
    keys: tuple[str, ...] = ()


def image_key(image: str) -> str:
    """``registry/repository:tag`` (``latest`` when untagged), digest dropped."""
    ref = parse_image(image)
    return f"{ref.registry}/{ref.repository}:{ref.tag or 'latest'}"


def _created_key(created: str) -> tuple[float, str]:
    try:
        stamp = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return (float("-inf"), created)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return (stamp.timestamp(), created)


def _severity(text: object) -> Severity:
    try:
        return Severity.parse(str(text))
    except ValueError:
        return Severity.UNKNOWN


def read_report(path: Path) -> ScanRecord | None:
    """A scan document's essentials; None when ``path`` is not a hardhull scan report."""
    try:
        doc = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("findings"), list):
        return None
    source = doc.get("source")
    if not isinstance(source, Mapping):
        return None
    vulns: list[ScanVuln] = []
    for f in doc["findings"]:
        if not isinstance(f, Mapping) or f.get("kind") != "vulnerability":
            continue
        aliases = f.get("aliases")
        vulns.append(
            ScanVuln(
                id=str(f.get("id", "")),
                aliases=tuple(str(a) for a in aliases) if isinstance(aliases, list) else (),
                severity=_severity(f.get("severity")),
                fixable=bool(f.get("fixed_versions")),
                suppressed=f.get("suppressed") is not None,
            )
        )
    digest = str(source.get("manifest_digest") or "")
    return ScanRecord(
        created=str(doc.get("created") or ""),
        digest=digest,
        vulns=tuple(vulns),
        keys=tuple(dict.fromkeys(_source_keys(source, digest))),
    )


def _source_keys(source: Mapping[str, Any], digest: str) -> list[str]:
    keys = [f"@{digest}"] if digest else []
    scheme = source.get("scheme")
    if scheme in ("dir", "sbom"):
        return keys
    names = (source.get("name"), source.get("target") if scheme == "registry" else None)
    keys.extend(image_key(v) for v in names if isinstance(v, str) and v)
    tags = source.get("tags")
    name = source.get("name")
    if isinstance(tags, list) and isinstance(name, str) and name:
        ref = parse_image(name)
        keys.extend(f"{ref.registry}/{ref.repository}:{t}" for t in tags if isinstance(t, str))
    return keys


def index_reports(directory: Path) -> dict[str, ScanRecord]:
    """Every scan report in ``directory`` by image key and ``@digest``; newest wins."""
    try:
        paths = sorted(p for p in directory.iterdir() if p.suffix == ".json")
    except OSError as exc:
        raise VulnGateError(f"cannot read scan reports in {directory}: {exc.strerror}") from None
    index: dict[str, ScanRecord] = {}
    for path in paths:
        record = read_report(path)
        if record is None:
            continue
        for key in record.keys:
            old = index.get(key)
            if old is None or _created_key(record.created) > _created_key(old.created):
                index[key] = record
    return index


class ReportCache:
    """The indexed cache directory, re-read when the directory's mtime changes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._stamp = self._mtime()
        self._index = index_reports(directory)

    def _mtime(self) -> int:
        try:
            return os.stat(self.directory).st_mtime_ns
        except OSError as exc:
            raise VulnGateError(
                f"scan reports directory {self.directory}: {exc.strerror}"
            ) from None

    def lookup(self, image: str) -> ScanRecord | None:
        """The latest report for ``image``: by digest when pinned, else by reference."""
        stamp = self._mtime()
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    self._index = index_reports(self.directory)
                    self._stamp = stamp
        index = self._index
        digest = parse_image(image).digest
        if digest:
            return index.get(f"@{digest}")
        return index.get(image_key(image))


def _images(spec: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for section in _SECTIONS:
        items = spec.get(section)
        if isinstance(items, list):
            for item in items:
                image = item.get("image") if isinstance(item, Mapping) else None
                if isinstance(image, str) and image and image not in out:
                    out.append(image)
    return out


@dataclass(frozen=True)
class VulnGateOptions:
    """What the gate checks: ``reports`` (the cache directory), the ``severity``
    threshold, ``fixable_only``, the answer for ``unscanned`` images, the ``action`` of a
    failure and the ``exemptions``."""

    reports: Path
    severity: Severity = Severity.HIGH
    fixable_only: bool = True
    unscanned: Unscanned = Unscanned.DENY
    action: Action = Action.DENY
    exemptions: tuple[VulnExemption, ...] = ()

    def __post_init__(self) -> None:
        if self.unscanned is Unscanned.SCAN:
            raise VulnGateError(
                "unscanned: scan (scan on demand) is not implemented; the webhook never "
                "runs scans - use deny or allow-audit and fill the reports directory with "
                "`hardhull scan image --format json`"
            )


class VulnGatePolicy:
    """The vulnerability gate as a built-in policy (``vulnerability-gate``). Building it
    reads the reports directory (:class:`VulnGateError` when it cannot)."""

    __slots__ = ("cache", "options")

    def __init__(self, options: VulnGateOptions) -> None:
        self.options = options
        self.cache = ReportCache(options.reports)

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
            hits = [
                e
                for e in self.options.exemptions
                if e.covers_image(names) and e.covers_advisory(ids)
            ]
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

    def evaluate(self, inp: AdmissionInput) -> Sequence[RuleResult]:
        """Rule ``vulnerabilities`` (scanned images) and, when any image has no report,
        rule ``unscanned``."""
        spec = self._parts(inp)
        if spec is None:
            return ()
        today = dt.date.today()
        failures: list[str] = []
        notes: list[str] = []
        missing: list[str] = []
        for image in _images(spec):
            record = self.cache.lookup(image)
            if record is None:
                names = [image, image_key(image)]
                if not any(
                    e.active(today) and not e.advisories and e.covers_image(names)
                    for e in self.options.exemptions
                ):
                    missing.append(image)
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
        if missing:
            msg = (
                f"images never scanned (no report in {self.options.reports}): {', '.join(missing)}"
            )
            if self.options.unscanned is Unscanned.ALLOW_AUDIT:
                out.append(self._result("unscanned", Result.WARN, msg, inp, audit=True))
            else:
                out.append(self._result("unscanned", Result.FAIL, msg, inp))
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
