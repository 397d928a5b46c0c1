"""Enrichment feeds: CISA Known Exploited Vulnerabilities (JSON) and FIRST EPSS (CSV).

KEV: ``{"catalogVersion", "dateReleased", "count", "vulnerabilities": [{"cveID",
"dateAdded", "dueDate", "knownRansomwareCampaignUse", "vulnerabilityName", ...}]}``; the
``count`` must equal the number of entries and every ``cveID`` must look like a CVE id.

EPSS: gzip (or plain) CSV; an optional first line
``#model_version:<v>,score_date:<time>``, then ``cve,epss,percentile``, then one row per CVE
with probabilities in [0, 1].
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from dataclasses import dataclass
from typing import Any

import orjson

from hardhull.vulndb.errors import FeedError

_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")
#: Bounds for the decoded feeds (today: KEV ~1.5 MB, EPSS ~ 15 MB of CSV).
MAX_KEV_BYTES = 256 << 20
MAX_EPSS_BYTES = 1 << 30

KevRow = tuple[str, str, str | None, str | None, str | None]
EpssRow = tuple[str, float, float | None]


@dataclass(frozen=True, slots=True)
class KevCatalog:
    """A parsed KEV catalogue."""

    version: str
    released: str
    rows: tuple[KevRow, ...]


@dataclass(frozen=True, slots=True)
class EpssScores:
    """Parsed EPSS scores and the model that produced them."""

    model_version: str
    score_date: str
    rows: tuple[EpssRow, ...]


def _opt(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_kev(data: bytes, where: str) -> KevCatalog:
    """Validate and parse a KEV JSON document; :class:`FeedError` when it is not one."""
    if len(data) > MAX_KEV_BYTES:
        raise FeedError(f"{where}: KEV catalogue larger than {MAX_KEV_BYTES >> 20} MiB")
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise FeedError(f"{where}: KEV catalogue is not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("vulnerabilities"), list):
        raise FeedError(f"{where}: not a KEV catalogue (no 'vulnerabilities' list)")
    entries = doc["vulnerabilities"]
    count = doc.get("count")
    if isinstance(count, int) and count != len(entries):
        raise FeedError(f"{where}: KEV catalogue says {count} entries but holds {len(entries)}")
    rows: list[KevRow] = []
    for index, entry in enumerate(entries):
        cve = entry.get("cveID") if isinstance(entry, dict) else None
        if not isinstance(cve, str) or not _CVE.match(cve.strip().upper()):
            raise FeedError(f"{where}: KEV entry {index} has no valid 'cveID'")
        added = entry.get("dateAdded")
        rows.append(
            (
                cve.strip().upper(),
                added if isinstance(added, str) else "",
                _opt(entry.get("dueDate")),
                _opt(entry.get("knownRansomwareCampaignUse")),
                _opt(entry.get("vulnerabilityName")),
            )
        )
    return KevCatalog(
        version=str(doc.get("catalogVersion") or ""),
        released=str(doc.get("dateReleased") or ""),
        rows=tuple(rows),
    )


def _gunzip(data: bytes, where: str) -> bytes:
    if not data.startswith(b"\x1f\x8b"):
        return data
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            out = stream.read(MAX_EPSS_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise FeedError(f"{where}: damaged gzip data ({exc})") from None
    if len(out) > MAX_EPSS_BYTES:
        raise FeedError(f"{where}: EPSS data unpacks to more than {MAX_EPSS_BYTES >> 20} MiB")
    return out


def parse_epss(data: bytes, where: str) -> EpssScores:
    """Validate and parse an EPSS CSV (gzip or plain); :class:`FeedError` when it is not."""
    lines = _gunzip(data, where).decode("utf-8", "replace").splitlines()
    model = score_date = ""
    start = 0
    if lines and lines[0].startswith("#"):
        for item in lines[0][1:].split(","):
            key, _, value = item.partition(":")
            if key.strip() == "model_version":
                model = value.strip()
            elif key.strip() == "score_date":
                score_date = value.strip()
        start = 1
    if len(lines) <= start or lines[start].strip().lower() != "cve,epss,percentile":
        raise FeedError(f"{where}: not an EPSS CSV (expected a 'cve,epss,percentile' header)")
    rows: list[EpssRow] = []
    for lineno, line in enumerate(lines[start + 1 :], start + 2):
        if not line.strip():
            continue
        parts = line.split(",")
        try:
            cve, score = parts[0].strip().upper(), float(parts[1])
            percentile = float(parts[2]) if len(parts) > 2 and parts[2].strip() else None
        except (IndexError, ValueError):
            raise FeedError(f"{where}:{lineno}: not an EPSS row: {line[:80]!r}") from None
        if not _CVE.match(cve) or not 0.0 <= score <= 1.0:
            raise FeedError(f"{where}:{lineno}: not an EPSS row: {line[:80]!r}")
        rows.append((cve, score, percentile))
    if not rows:
        raise FeedError(f"{where}: EPSS CSV holds no scores")
    return EpssScores(model_version=model, score_date=score_date, rows=tuple(rows))
