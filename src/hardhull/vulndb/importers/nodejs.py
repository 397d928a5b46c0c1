"""The Node.js security WG format (``vuln/npm/*.json``, ``vuln/core/*.json``) -> advisories.

- ``npm/<n>.json`` -> id ``NSWG-ECO-<n>``, ecosystem ``npm``, the ``module_name`` package;
  ``core/<n>.json`` -> id ``NSWG-COR-<n>``, ecosystem ``npm``, package ``node`` (the
  Node.js runtime; the ``node`` npm package follows the same version numbers).
- ``vulnerable_versions`` minus ``patched_versions`` (npm range texts) become OSV
  ``SEMVER`` ranges where exactly expressible (see :mod:`.npmrange`). The original texts are
  always kept in ``Affected.database_specific`` (``npm_vulnerable_versions``,
  ``npm_patched_versions``); when the translation is impossible the entry has no range
  and an ``untranslated`` note saying why, for the matcher to report as a coverage note.
- ``cves`` -> aliases; ``cvss_vector`` -> ``CVSS_V3``/``CVSS_V4`` severity; a core record's
  ``severity`` label -> severity ``Node.js``; ``index.json`` (an aggregate) is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from hardhull.model import Advisory, Affected, AffectedRange, SeverityScore
from hardhull.vulndb.importers.base import ImportLog, RecordError, read_bounded
from hardhull.vulndb.importers.npmrange import RangeSyntaxError, translate


def _root(path: Path) -> Path | None:
    """The ``vuln`` directory of a WG tree at or under ``path``."""
    for candidate in (path / "vuln", path):
        if any((candidate / kind / "1.json").is_file() for kind in ("npm", "core")):
            return candidate
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def _cvss(vector: str) -> SeverityScore | None:
    if vector.startswith("CVSS:3"):
        return SeverityScore("CVSS_V3", vector)
    if vector.startswith("CVSS:4"):
        return SeverityScore("CVSS_V4", vector)
    return None


def parse_wg(doc: Any, kind: str, number: str) -> Advisory:
    """One WG record (``kind`` ``npm`` or ``core``, ``number`` from its file name)."""
    if not isinstance(doc, dict):
        raise RecordError("a Node.js WG record must be a JSON object")
    if kind == "npm":
        name = _text(doc.get("module_name"))
        vulnerable, patched = doc.get("vulnerable_versions"), doc.get("patched_versions")
        adv_id = f"NSWG-ECO-{number}"
        summary = _text(doc.get("title"))
    else:
        name = "node"
        vulnerable, patched = doc.get("vulnerable"), doc.get("patched")
        adv_id = f"NSWG-COR-{number}"
        summary = _text(doc.get("description")) or _text(doc.get("overview")).strip()
        summary = summary.splitlines()[0] if summary else ""
    if not name:
        raise RecordError("no module name")
    notes: dict[str, str] = {}
    ranges: tuple[AffectedRange, ...] = ()
    if isinstance(vulnerable, str):
        notes["npm_vulnerable_versions"] = vulnerable
        if isinstance(patched, str):
            notes["npm_patched_versions"] = patched
        try:
            ranges = translate(vulnerable, patched if isinstance(patched, str) else None)
        except RangeSyntaxError as exc:
            notes["untranslated"] = str(exc)
    else:
        notes["untranslated"] = "the record gives no vulnerable versions"
    severity: list[SeverityScore] = []
    scored = _cvss(_text(doc.get("cvss_vector")) or _text(doc.get("cvss")))
    if scored:
        severity.append(scored)
    if kind == "core" and _text(doc.get("severity")):
        severity.append(SeverityScore("Node.js", _text(doc.get("severity"))))
    details = "\n\n".join(
        t for t in (_text(doc.get("overview")), _text(doc.get("recommendation"))) if t
    )
    published = _text(doc.get("publish_date")) or _text(doc.get("created_at")) or None
    return Advisory(
        id=adv_id,
        modified=_text(doc.get("updated_at")) or published or "",
        affected=(
            Affected(
                ecosystem="npm",
                name=name,
                ranges=ranges,
                database_specific=tuple(sorted(notes.items())),
            ),
        ),
        aliases=tuple(sorted(set(_strings(doc.get("cves")) + _strings(doc.get("cve"))))),
        summary=summary,
        details=details.strip(),
        published=published,
        references=_strings(doc.get("references")) + _strings(doc.get("ref")),
        severity=tuple(severity),
    )


class NodejsWgImporter:
    """A Node.js security WG checkout (or its ``vuln`` directory)."""

    name = "nodejs-security-wg"
    version = "1"

    def accepts(self, path: Path) -> bool:
        """A directory holding ``vuln/npm`` or ``vuln/core`` (or being ``vuln``)."""
        return path.is_dir() and _root(path) is not None

    def read(self, path: Path, log: ImportLog) -> Iterator[Advisory]:
        """Every record of the tree."""
        root = _root(path)
        if root is None:
            raise RecordError(f"{path}: no vuln/npm or vuln/core directory")
        for kind in ("core", "npm"):
            folder = root / kind
            if not folder.is_dir():
                continue
            files = [p for p in folder.glob("*.json") if p.stem.isdigit()]
            for file in sorted(files, key=lambda p: int(p.stem)):
                try:
                    with file.open("rb") as stream:
                        data = read_bounded(stream, log.limits.max_record_bytes)
                    log.advance(len(data))
                    adv = parse_wg(orjson.loads(data), kind, file.stem)
                except orjson.JSONDecodeError as exc:
                    log.error(str(file), f"not valid JSON: {exc}")
                    continue
                except (RecordError, OSError) as exc:
                    log.error(str(file), str(exc))
                    continue
                if any(k == "untranslated" for k, _ in adv.affected[0].database_specific):
                    log.note("npm range not translatable exactly; kept as text (coverage note)")
                log.records += 1
                yield adv
