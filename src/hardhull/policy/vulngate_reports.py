"""The vulnerability gate's scan-results cache: a directory of scan reports, indexed.

``*.json`` documents written by ``hardhull scan image --format json`` (or by the gate's
own on-demand scans, :mod:`hardhull.policy.vulngate_scan`) are indexed by the image
reference they name (``source.name``, ``source.target`` and ``source.tags``, normalised
the way container engines read them) and by their manifest digest
(``source.manifest_digest``); when several reports name the same image, the newest
``created`` wins. :class:`ReportCache` re-reads the directory whenever its modification
time changes, and when told to (:meth:`ReportCache.refresh`, after a scan of its own).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from hardhull.errors import HardhullError
from hardhull.model import Severity
from hardhull.posture.checks.images import parse_image


class VulnGateError(HardhullError):
    """The vulnerability gate is misconfigured (bad option, unreadable cache directory)."""


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

    def refresh(self) -> None:
        """Re-read the directory now (after a report of the gate's own scans landed: two
        changes within one tick of the file system's clock leave its mtime unchanged, and
        re-reading here spares the next request the work)."""
        stamp = self._mtime()
        index = index_reports(self.directory)
        with self._lock:
            self._index, self._stamp = index, stamp

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
