"""Compact JSON encoding of advisories for the SQLite store (orjson, short keys).

An advisory is split into one ``advisories`` row (scalar columns plus a ``body`` blob for
the nested parts) and one ``affected`` row per ``affected[]`` entry, so a lookup decodes
only the entries of the package it asked about.
"""

from __future__ import annotations

from typing import Any

import orjson

from hardhull.model import (
    Advisory,
    Affected,
    AffectedRange,
    EventKind,
    RangeEvent,
    SeverityScore,
)

# ``EventKind(text)`` goes through Enum.__new__ on every event of every looked-up record;
# a plain dict is the same mapping without that cost (this is on the scan hot path).
_KINDS: dict[str, EventKind] = {k.value: k for k in EventKind}


def encode_affected(entry: Affected) -> bytes:
    """One ``affected[]`` entry as compact JSON (ecosystem lives in its own column)."""
    doc: dict[str, Any] = {"n": entry.name}
    if entry.ranges:
        doc["r"] = [[r.type, [[e.kind.value, e.value] for e in r.events]] for r in entry.ranges]
    if entry.versions:
        doc["v"] = list(entry.versions)
    if entry.purl:
        doc["p"] = entry.purl
    if entry.severity:
        doc["s"] = [[s.type, s.score] for s in entry.severity]
    if entry.database_specific:
        doc["d"] = [list(kv) for kv in entry.database_specific]
    return orjson.dumps(doc)


def decode_affected(ecosystem: str, blob: bytes) -> Affected:
    """The inverse of :func:`encode_affected`."""
    doc = orjson.loads(blob)
    return Affected(
        ecosystem=ecosystem,
        name=doc["n"],
        ranges=tuple(
            AffectedRange(type=rtype, events=tuple(RangeEvent(_KINDS[k], v) for k, v in events))
            for rtype, events in doc.get("r", ())
        ),
        versions=tuple(doc.get("v", ())),
        purl=doc.get("p"),
        severity=tuple(SeverityScore(t, s) for t, s in doc.get("s", ())),
        database_specific=tuple((k, v) for k, v in doc.get("d", ())),
    )


def encode_body(adv: Advisory) -> bytes:
    """The nested, rarely filtered parts of an advisory."""
    doc: dict[str, Any] = {}
    if adv.aliases:
        doc["a"] = list(adv.aliases)
    if adv.related:
        doc["rel"] = list(adv.related)
    if adv.details:
        doc["d"] = adv.details
    if adv.severity:
        doc["s"] = [[s.type, s.score] for s in adv.severity]
    if adv.references:
        doc["ref"] = list(adv.references)
    return orjson.dumps(doc)


def decode_advisory(
    row: tuple[str, str, str, str | None, str | None, str, bytes],
    affected: tuple[Affected, ...],
) -> Advisory:
    """An :class:`Advisory` from ``(id, source, modified, published, withdrawn, summary,
    body)`` and the affected entries the caller selected."""
    adv_id, source, modified, published, withdrawn, summary, body = row
    doc = orjson.loads(body)
    return Advisory(
        id=adv_id,
        modified=modified,
        affected=affected,
        aliases=tuple(doc.get("a", ())),
        related=tuple(doc.get("rel", ())),
        summary=summary,
        details=doc.get("d", ""),
        published=published,
        withdrawn=withdrawn,
        severity=tuple(SeverityScore(t, s) for t, s in doc.get("s", ())),
        references=tuple(doc.get("ref", ())),
        source=source,
    )
