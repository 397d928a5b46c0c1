"""The vulnerability gate's scan-results cache: a directory of scan reports, indexed.

``*.json`` documents written by ``hardhull scan image --format json`` (or by the gate's
own on-demand scans, :mod:`hardhull.policy.vulngate_scan`) are indexed by the image
reference they name (``source.name``, ``source.target`` and ``source.tags``, normalised
the way container engines read them) and by their manifest digest
(``source.manifest_digest``); when several reports name the same image, the newest
``created`` wins. :class:`ReportCache` keeps the index up to date incrementally: when
the directory's modification time changes it parses only the files that are new or
changed (by size, mtime and inode) and drops those that vanished; a report the gate's own
scanner wrote is added directly (:meth:`ReportCache.add`).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable, Mapping
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


def lookup_key(image: str) -> str:
    """The index key of ``image``: ``@digest`` when pinned, else :func:`image_key`."""
    digest = parse_image(image).digest
    return f"@{digest}" if digest else image_key(image)


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


Reader = Callable[[Path], ScanRecord | None]
"""How a report file is parsed (:func:`read_report`; tests count calls through it)."""


@dataclass(frozen=True, slots=True)
class _Seen:
    """A file as last read: its ``(size, mtime_ns, inode)`` and its record (None when it
    is not a scan report: such files are skipped, and read again only once they change)."""

    stamp: tuple[int, int, int]
    record: ScanRecord | None


def _file_stamp(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _newer(record: ScanRecord, than: ScanRecord | None) -> bool:
    return than is None or _created_key(record.created) > _created_key(than.created)


class _Index:
    """Records by file name and which files name each key (mutable; the cache guards it).

    Per key the newest ``created`` wins; on a tie the file whose name sorts first."""

    __slots__ = ("files", "holders")

    def __init__(self) -> None:
        self.files: dict[str, _Seen] = {}
        self.holders: dict[str, set[str]] = {}  # key -> names of the files naming it

    def put(self, name: str, seen: _Seen | None) -> set[str]:
        """Set (None: drop) file ``name``'s entry; the keys whose winner may have changed."""
        old = self.files.pop(name, None)
        touched: set[str] = set()
        if old is not None and old.record is not None:
            for key in old.record.keys:
                self.holders.get(key, set()).discard(name)
                touched.add(key)
        if seen is not None:
            self.files[name] = seen
            if seen.record is not None:
                for key in seen.record.keys:
                    self.holders.setdefault(key, set()).add(name)
                    touched.add(key)
        return touched

    def rank(self, keys: set[str], winners: dict[str, ScanRecord]) -> None:
        """Recompute ``keys``' winners into ``winners``."""
        for key in keys:
            best: ScanRecord | None = None
            for name in sorted(self.holders.get(key, ())):
                record = self.files[name].record
                if record is not None and _newer(record, best):
                    best = record
            if best is None:
                winners.pop(key, None)
                self.holders.pop(key, None)
            else:
                winners[key] = best


def _listing(directory: Path) -> dict[str, tuple[int, int, int]]:
    """``*.json`` file names in ``directory`` with their stamps (vanished ones left out)."""
    try:
        with os.scandir(directory) as listing:
            entries = list(listing)
    except OSError as exc:
        raise VulnGateError(f"cannot read scan reports in {directory}: {exc.strerror}") from None
    found: dict[str, tuple[int, int, int]] = {}
    for entry in entries:
        if not entry.name.endswith(".json"):
            continue
        try:
            found[entry.name] = _file_stamp(entry.stat())
        except OSError:  # removed since the listing
            continue
    return found


def index_reports(directory: Path) -> dict[str, ScanRecord]:
    """Every scan report in ``directory`` by image key and ``@digest``; newest wins."""
    return dict(ReportCache(directory).index)


class ReportCache:
    """The indexed reports directory, kept up to date incrementally.

    When the directory's mtime changes (or on :meth:`refresh`), its ``*.json`` files are
    listed and stat'ed, and only files that are new or whose size, mtime or inode changed
    are parsed (through ``reader``); entries of vanished files are dropped. :meth:`add`
    indexes one report the caller just wrote. Lookups read an immutable snapshot.
    """

    def __init__(self, directory: Path, reader: Reader = read_report) -> None:
        self.directory = directory
        self._reader = reader
        self._lock = threading.Lock()
        self._state = _Index()
        self._winners: dict[str, ScanRecord] = {}
        self._stamp = self._mtime()
        self._sync()

    def _mtime(self) -> int:
        try:
            return os.stat(self.directory).st_mtime_ns
        except OSError as exc:
            raise VulnGateError(
                f"scan reports directory {self.directory}: {exc.strerror}"
            ) from None

    def _sync(self) -> None:
        """Bring the index in line with the directory (call with the lock held, or from
        ``__init__``): parse new and changed files, drop vanished ones."""
        listing = _listing(self.directory)
        state = self._state
        touched: set[str] = set()
        for name in [n for n in state.files if n not in listing]:
            touched |= state.put(name, None)
        for name, stamp in listing.items():
            seen = state.files.get(name)
            if seen is None or seen.stamp != stamp:
                record = self._reader(self.directory / name)
                touched |= state.put(name, _Seen(stamp, record))
        if touched:
            winners = dict(self._winners)  # copy-on-write: lookups hold the old snapshot
            state.rank(touched, winners)
            self._winners = winners

    def refresh(self) -> None:
        """Bring the index up to date now, whatever the directory's mtime says (two
        changes within one tick of the file system's clock leave it unchanged)."""
        with self._lock:
            self._stamp = self._mtime()
            self._sync()

    def add(self, path: Path) -> None:
        """Index the report at ``path`` (a file in the directory that the caller just
        wrote, such as an on-demand scan's report) without waiting for a lookup to notice
        it; the next directory check finds it unchanged and does not parse it again."""
        if path.parent.resolve() != self.directory.resolve():
            raise VulnGateError(f"{path} is not in the scan reports directory {self.directory}")
        try:
            stamp = _file_stamp(path.stat())
        except OSError as exc:
            raise VulnGateError(f"scan report {path}: {exc.strerror}") from None
        with self._lock:
            seen = self._state.files.get(path.name)
            if seen is not None and seen.stamp == stamp:
                return
            touched = self._state.put(path.name, _Seen(stamp, self._reader(path)))
            winners = dict(self._winners)
            self._state.rank(touched, winners)
            self._winners = winners

    @property
    def index(self) -> Mapping[str, ScanRecord]:
        """The current index (a snapshot: later changes replace it, never alter it)."""
        return self._winners

    def lookup(self, image: str) -> ScanRecord | None:
        """The latest report for ``image``: by digest when pinned, else by reference."""
        stamp = self._mtime()
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    self._sync()
                    self._stamp = stamp
        return self._winners.get(lookup_key(image))
