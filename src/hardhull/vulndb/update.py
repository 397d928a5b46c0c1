"""``db update``: OSV per-ecosystem exports (full, then incremental), CISA KEV, FIRST EPSS.

- First time (or after a damaged/old database, or when more than
  :data:`INCREMENTAL_LIMIT` records changed): ``<osv>/<Ecosystem>/all.zip``, verified (HTTP
  status, ``Content-Length``, zip structure and every member's CRC), replaces the
  ecosystem's records.
- Afterwards: ``<osv>/<Ecosystem>/modified_id.csv`` (``<RFC 3339 time>,<id>`` per line);
  every record modified after the stored cursor is fetched as ``<osv>/<Ecosystem>/<id>.json``.
- KEV and EPSS are fetched with ``If-None-Match``/``If-Modified-Since`` and replaced.

Everything is written into a new database file that replaces the old one only when all
downloads succeeded and the file validates (:mod:`hardhull.vulndb.build`).
Feed locations: ``--mirror URL`` (layout ``URL/osv/<Ecosystem>/...``,
``URL/kev/known_exploited_vulnerabilities.json``, ``URL/epss/epss_scores-current.csv.gz``),
or ``HARDHULL_MIRROR``, or one by one ``HARDHULL_OSV_URL``/``HARDHULL_KEV_URL``/
``HARDHULL_EPSS_URL``.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import httpx

from hardhull.sources.base import NullProgress, Progress
from hardhull.vulndb.build import Builder
from hardhull.vulndb.download import fetch, make_client
from hardhull.vulndb.enrich import parse_epss, parse_kev
from hardhull.vulndb.errors import DownloadError, FeedError
from hardhull.vulndb.importers import DEFAULT_LIMITS, ImportLog, Limits, RecordError
from hardhull.vulndb.importers.osv import OsvImporter
from hardhull.vulndb.store import parse_time

#: The OSV ecosystems ``db update`` downloads by default (OSV bucket folder names).
OSV_ECOSYSTEMS: tuple[str, ...] = (
    "Debian",
    "Ubuntu",
    "Alpine",
    "Wolfi",
    "Chainguard",
    "Red Hat",
    "PyPI",
    "npm",
    "Go",
    "Maven",
    "crates.io",
    "RubyGems",
    "NuGet",
    "Packagist",
)
OSV_URL = "https://osv-vulnerabilities.storage.googleapis.com"
KEV_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
EPSS_URL = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
#: More changed records than this and a full ``all.zip`` is cheaper than one GET each.
INCREMENTAL_LIMIT = 2_000
MAX_ZIP_BYTES = 8 << 30
MAX_CSV_BYTES = 512 << 20
MAX_FEED_BYTES = 256 << 20


@dataclass(frozen=True, slots=True)
class Feeds:
    """Base URLs of the three feeds."""

    osv: str = OSV_URL
    kev: str = KEV_URL
    epss: str = EPSS_URL


def feeds_for(mirror: str | None = None) -> Feeds:
    """Feed URLs from ``--mirror``, else the environment, else the public sources."""
    mirror = (mirror or os.environ.get("HARDHULL_MIRROR") or "").rstrip("/")
    if mirror:
        return Feeds(
            osv=f"{mirror}/osv",
            kev=f"{mirror}/kev/known_exploited_vulnerabilities.json",
            epss=f"{mirror}/epss/epss_scores-current.csv.gz",
        )
    return Feeds(
        osv=os.environ.get("HARDHULL_OSV_URL", OSV_URL).rstrip("/"),
        kev=os.environ.get("HARDHULL_KEV_URL", KEV_URL),
        epss=os.environ.get("HARDHULL_EPSS_URL", EPSS_URL),
    )


def canonical_ecosystem(name: str) -> str:
    """The OSV spelling of ``name`` (case-insensitive), or ``name`` itself if unknown."""
    for known in OSV_ECOSYSTEMS:
        if known.lower() == name.lower():
            return known
    return name


@dataclass(frozen=True, slots=True)
class SourceResult:
    """What the update did to one source: ``full``, ``incremental``, ``unchanged``."""

    source: str
    mode: str
    records: int
    errors: int = 0


def _newest(current: datetime | None, stamp: str) -> datetime | None:
    parsed = parse_time(stamp)
    if parsed is None:
        return current
    return parsed if current is None or parsed > current else current


class _Updater:
    def __init__(
        self,
        builder: Builder,
        client: httpx.Client,
        feeds: Feeds,
        progress: Progress,
        limits: Limits,
        workdir: Path,
    ) -> None:
        self.builder, self.client, self.feeds = builder, client, feeds
        self.progress, self.limits, self.workdir = progress, limits, workdir
        self.osv = OsvImporter()

    def _eco_url(self, eco: str, leaf: str) -> str:
        return f"{self.feeds.osv}/{quote(eco)}/{quote(leaf)}"

    def ecosystem(self, eco: str, force_full: bool) -> SourceResult:
        source = f"osv/{eco}"
        state = self.builder.source_state(source) if self.builder.copied else None
        cursor = parse_time(state["cursor"] or "") if state else None
        if cursor is not None and not force_full:
            result = self._incremental(eco, source, cursor)
            if result is not None:
                return result
        return self._full(eco, source)

    def _full(self, eco: str, source: str) -> SourceResult:
        url = self._eco_url(eco, "all.zip")
        dest = self.workdir / f"{eco.replace(' ', '_')}.zip"
        got = fetch(
            self.client, url, max_bytes=MAX_ZIP_BYTES, dest=dest, progress=self.progress,
            label=f"{eco} all.zip",
        )  # fmt: skip
        try:
            with zipfile.ZipFile(dest) as archive:
                archive.infolist()
        except (zipfile.BadZipFile, OSError) as exc:
            raise DownloadError(f"{url}: not a zip archive ({exc})") from None
        key = f"import:{eco}"
        self.progress.start(key, f"importing {eco}", dest.stat().st_size)
        log = ImportLog(limits=self.limits, progress=self.progress, progress_key=key)
        self.builder.clear_source(source)
        newest: datetime | None = None
        try:
            for adv in self.osv.read_file(dest, log):
                self.builder.add(adv, source)
                newest = _newest(newest, adv.modified)
        finally:
            self.progress.finish(key)
            dest.unlink(missing_ok=True)
        if log.damaged:
            raise DownloadError(f"{url}: damaged archive ({log.samples[0]})")
        if log.records == 0:
            first = f"; first: {log.samples[0]}" if log.samples else ""
            raise DownloadError(f"{url}: no usable OSV record ({log.errors} unusable{first})")
        self.builder.set_source(
            source, "advisories", cursor=newest.isoformat() if newest else None, url=url,
            etag=got.etag, last_modified=got.last_modified,
        )  # fmt: skip
        return SourceResult(source, "full", log.records, log.errors)

    def _changed(self, url: str, data: bytes, cursor: datetime) -> tuple[list[str], datetime]:
        changed: list[str] = []
        newest = cursor
        for lineno, raw in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            if not raw.strip():
                continue
            stamp_text, _, ident = raw.partition(",")
            stamp = parse_time(stamp_text.strip())
            ident = ident.strip().rsplit("/", 1)[-1]
            if stamp is None or not ident or "/" in ident or ident.startswith("."):
                raise DownloadError(f"{url}:{lineno}: not a modified_id.csv line: {raw[:80]!r}")
            if stamp > cursor:
                changed.append(ident)
                newest = max(newest, stamp)
        return changed, newest

    def _incremental(self, eco: str, source: str, cursor: datetime) -> SourceResult | None:
        url = self._eco_url(eco, "modified_id.csv")
        got = fetch(self.client, url, max_bytes=MAX_CSV_BYTES, progress=self.progress)
        changed, newest = self._changed(url, got.body or b"", cursor)
        if len(changed) > INCREMENTAL_LIMIT:
            return None
        log = ImportLog(limits=self.limits)
        key = f"records:{eco}"
        self.progress.start(key, f"{eco}: {len(changed)} changed records", len(changed))
        try:
            for ident in changed:
                rec_url = self._eco_url(eco, f"{ident}.json")
                body = fetch(self.client, rec_url, max_bytes=self.limits.max_record_bytes).body
                try:
                    advs = list(self.osv.read_document(body or b"", rec_url, log))
                except RecordError as exc:
                    raise DownloadError(f"{rec_url}: {exc}") from None
                if not advs:
                    raise DownloadError(f"{rec_url}: not a usable OSV record ({log.samples[-1]})")
                for adv in advs:
                    self.builder.add(adv, source)
                self.progress.advance(key, 1)
        finally:
            self.progress.finish(key)
        self.builder.set_source(source, "advisories", cursor=newest.isoformat(), url=url)
        return SourceResult(source, "incremental", len(changed))

    def _conditional(self, name: str, url: str) -> tuple[bytes | None, str | None, str | None]:
        state = self.builder.source_state(name) if self.builder.copied else None
        got = fetch(
            self.client, url, max_bytes=MAX_FEED_BYTES, progress=self.progress,
            etag=state["etag"] if state else None,
            last_modified=state["last_modified"] if state else None,
        )  # fmt: skip
        return (None if got.not_modified else got.body), got.etag, got.last_modified

    def kev(self) -> SourceResult:
        body, etag, modified = self._conditional("kev", self.feeds.kev)
        if body is None:
            count = self._touch("kev", self.feeds.kev, etag, modified)
            return SourceResult("kev", "unchanged", count)
        try:
            catalog = parse_kev(body, self.feeds.kev)
        except FeedError as exc:
            raise DownloadError(str(exc)) from None
        count = self.builder.replace_kev(catalog.rows)
        self.builder.set_meta("kev_catalog_version", catalog.version)
        self.builder.set_source(
            "kev", "kev", url=self.feeds.kev, etag=etag, last_modified=modified, records=count
        )
        return SourceResult("kev", "full", count)

    def epss(self) -> SourceResult:
        body, etag, modified = self._conditional("epss", self.feeds.epss)
        if body is None:
            count = self._touch("epss", self.feeds.epss, etag, modified)
            return SourceResult("epss", "unchanged", count)
        try:
            scores = parse_epss(body, self.feeds.epss)
        except FeedError as exc:
            raise DownloadError(str(exc)) from None
        count = self.builder.replace_epss(scores.rows)
        self.builder.set_meta("epss_model_version", scores.model_version)
        self.builder.set_meta("epss_score_date", scores.score_date)
        self.builder.set_source(
            "epss", "epss", url=self.feeds.epss, etag=etag, last_modified=modified, records=count
        )
        return SourceResult("epss", "full", count)

    def _touch(self, name: str, url: str, etag: str | None, modified: str | None) -> int:
        count = int(self.builder.conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0])
        self.builder.set_source(
            name, name, url=url, etag=etag, last_modified=modified, records=count
        )
        return count


def update(
    target: Path,
    *,
    ecosystems: list[str] | None = None,
    mirror: str | None = None,
    enrich: bool = True,
    full: bool = False,
    progress: Progress | None = None,
    limits: Limits = DEFAULT_LIMITS,
    client: httpx.Client | None = None,
) -> list[SourceResult]:
    """Bring ``target`` up to date from the feeds; atomic, the old file kept on any error."""
    feeds = feeds_for(mirror)
    chosen = [canonical_ecosystem(e) for e in ecosystems] if ecosystems else list(OSV_ECOSYSTEMS)
    own_client = client is None
    http = client or make_client()
    results: list[SourceResult] = []
    try:
        with (
            Builder(target) as builder,
            tempfile.TemporaryDirectory(dir=target.parent, prefix=".hardhull-dl-") as work,
        ):
            updater = _Updater(builder, http, feeds, progress or NullProgress(), limits, Path(work))
            results.extend(updater.ecosystem(eco, full) for eco in dict.fromkeys(chosen))
            if enrich:
                results.append(updater.kev())
                results.append(updater.epss())
            builder.commit()
    finally:
        if own_client:
            http.close()
    return results
