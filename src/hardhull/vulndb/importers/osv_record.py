"""One OSV record (a parsed JSON/YAML mapping) -> :class:`Advisory`, validated and bounded.

Unknown fields are ignored with a note (the OSV schema asks consumers to be forward
compatible); missing or mistyped required fields make the record unusable.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from hardhull.model import (
    Advisory,
    Affected,
    AffectedRange,
    EventKind,
    RangeEvent,
    SeverityScore,
)
from hardhull.vulndb.importers.base import ImportLog, RecordError
from hardhull.vulndb.names import base_ecosystem

_TOP_FIELDS = frozenset(
    {
        "schema_version",
        "id",
        "modified",
        "published",
        "withdrawn",
        "aliases",
        "upstream",
        "related",
        "summary",
        "details",
        "severity",
        "affected",
        "references",
        "credits",
        "database_specific",
    }
)
_AFFECTED_FIELDS = frozenset(
    {"package", "severity", "ranges", "versions", "ecosystem_specific", "database_specific"}
)
_EVENT_KINDS = {k.value: k for k in EventKind}
#: Debian urgencies that say nothing (kept out of the per-package severity).
_NO_URGENCY = frozenset({"", "not yet assigned"})


def _text(value: Any, what: str, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise RecordError(f"missing '{what}'")
        return None
    if isinstance(value, datetime):  # YAML timestamps
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise RecordError(f"'{what}' is {type(value).__name__}, not a string")


def _list(value: Any, what: str, limit: int) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(f"'{what}' is {type(value).__name__}, not a list")
    if len(value) > limit:
        raise RecordError(f"'{what}' has {len(value)} items (limit {limit})")
    return value


def _strings(value: Any, what: str, limit: int) -> tuple[str, ...]:
    out = []
    for item in _list(value, what, limit):
        text = _text(item, what)
        if text is not None:
            out.append(text)
    return tuple(out)


def _severity(value: Any, what: str) -> tuple[SeverityScore, ...]:
    out = []
    for item in _list(value, what, 100):
        if not isinstance(item, dict):
            raise RecordError(f"'{what}' item is not a mapping")
        kind = _text(item.get("type"), f"{what}.type", required=True)
        score = _text(item.get("score"), f"{what}.score", required=True)
        out.append(SeverityScore(str(kind), str(score)))
    return tuple(out)


def _range(value: Any, log: ImportLog) -> AffectedRange:
    if not isinstance(value, dict):
        raise RecordError("a range is not a mapping")
    rtype = _text(value.get("type"), "ranges.type", required=True)
    events = []
    for event in _list(value.get("events"), "ranges.events", log.limits.max_events):
        if not isinstance(event, dict) or len(event) != 1:
            raise RecordError("a range event must hold exactly one of introduced/fixed/...")
        ((key, raw),) = event.items()
        kind = _EVENT_KINDS.get(key)
        if kind is None:
            raise RecordError(f"unknown range event '{key}'")
        events.append(RangeEvent(kind, str(_text(raw, f"events.{key}", required=True))))
    if not events:
        raise RecordError("a range has no events")
    return AffectedRange(str(rtype), tuple(events))


def _affected(value: Any, log: ImportLog) -> Affected | None:
    if not isinstance(value, dict):
        raise RecordError("an affected[] entry is not a mapping")
    for key in value.keys() - _AFFECTED_FIELDS:
        log.note(f"unknown field 'affected[].{key}' ignored")
    package = value.get("package")
    if package is None:
        log.note("affected[] entry without a package skipped")
        return None
    if not isinstance(package, dict):
        raise RecordError("'affected[].package' is not a mapping")
    ecosystem = str(_text(package.get("ecosystem"), "package.ecosystem", required=True))
    name = str(_text(package.get("name"), "package.name", required=True))
    if not ecosystem or not name:
        raise RecordError("empty package ecosystem or name")
    limits = log.limits
    ranges = tuple(_range(r, log) for r in _list(value.get("ranges"), "ranges", limits.max_ranges))
    severity = _severity(value.get("severity"), "affected[].severity")
    specific = value.get("ecosystem_specific")
    if isinstance(specific, dict):
        urgency = specific.get("urgency")
        if isinstance(urgency, str) and urgency not in _NO_URGENCY:
            severity += (SeverityScore(base_ecosystem(ecosystem), urgency),)
    return Affected(
        ecosystem=ecosystem,
        name=name,
        ranges=ranges,
        versions=_strings(value.get("versions"), "versions", limits.max_versions),
        purl=_text(package.get("purl"), "package.purl"),
        severity=severity,
    )


def _references(value: Any) -> tuple[str, ...]:
    return tuple(
        item["url"]
        for item in _list(value, "references", 10_000)
        if isinstance(item, dict) and isinstance(item.get("url"), str)
    )


def parse_osv(doc: Any, log: ImportLog, source: str) -> Advisory:
    """Validate one OSV mapping; :class:`RecordError` when it cannot be used."""
    if not isinstance(doc, dict):
        raise RecordError(f"an OSV record must be a mapping, not {type(doc).__name__}")
    adv_id = str(_text(doc.get("id"), "id", required=True))
    if not adv_id or len(adv_id) > 200:
        raise RecordError("empty or absurd 'id'")
    for key in doc.keys() - _TOP_FIELDS:
        log.note(f"unknown field '{key}' ignored")
    affected = []
    for entry in _list(doc.get("affected"), "affected", log.limits.max_affected):
        parsed = _affected(entry, log)
        if parsed is not None:
            affected.append(parsed)
    return Advisory(
        id=adv_id,
        modified=str(_text(doc.get("modified"), "modified", required=True)),
        affected=tuple(affected),
        aliases=_strings(doc.get("aliases"), "aliases", 10_000),
        related=_strings(doc.get("related"), "related", 10_000),
        summary=_text(doc.get("summary"), "summary") or "",
        details=_text(doc.get("details"), "details") or "",
        published=_text(doc.get("published"), "published"),
        withdrawn=_text(doc.get("withdrawn"), "withdrawn"),
        severity=_severity(doc.get("severity"), "severity"),
        references=_references(doc.get("references")),
        source=source,
    )
