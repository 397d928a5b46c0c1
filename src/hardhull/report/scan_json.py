"""hardhull's scan document (``--format json``): findings, summary, hardening, coverage.

Shape (``schema`` 1)::

    {"schema", "tool", "created", "source", "distro", "db", "summary", "findings",
     "hardening", "coverage"}

``source``, ``distro`` and ``coverage`` have the same shape as in the SBOM document.
Each finding has ``kind``, ``id`` (advisory or check id), ``aliases``, ``severity``,
``status``, ``title``, ``message``, ``subject``, ``package`` (``type``, ``name``,
``version``, ``purl``, ``id``, ``locations``) or null, ``locations``, ``fixed_versions``,
``fixable``, ``scores``, ``kev``, ``epss``, ``references``, ``evidence`` (an object),
``fix``, ``suppressed`` (``kind``, ``reason``, ``source``, ``expires``) or null, and
``layer`` (the digest of the layer that brought it, when known), and for findings about a
Kubernetes resource or a Dockerfile instruction ``rule_id`` (= ``id``) and ``resource``
(``kind``, ``name``, ``namespace``, ``api_version``, ``file``, ``line``). Findings are in the
stable report order; keys are sorted.
"""

from __future__ import annotations

from typing import Any

import orjson

from hardhull.model import (
    DbInfo,
    Finding,
    FindingKind,
    Location,
    Report,
    ResourceRef,
    Severity,
    Status,
)
from hardhull.report.facts import finding_layer, ordered, summarize
from hardhull.sbomfmt.common import NO_DATABASE_MESSAGE
from hardhull.sbomfmt.native import native_coverage, native_distro, native_source

SCHEMA_VERSION = 1


# enum member -> value by a dict lookup: ``member.value`` costs more, and posture
# reports serialise 100,000s of findings (issue 4)
_VALUES: dict[object, str] = {
    member: member.value for enum in (FindingKind, Status, Severity) for member in enum
}


def _locations(locations: tuple[Location, ...]) -> list[dict[str, Any]]:
    return [{"path": loc.path, "layer": loc.layer} for loc in locations]


def json_resource(ref: ResourceRef) -> dict[str, Any]:
    """A finding's ``resource``: the same keys for every kind of resource (a Kubernetes
    object, a Dockerfile instruction), ``None`` for what does not apply."""
    return {
        "kind": ref.kind,
        "name": ref.name,
        "namespace": ref.namespace,
        "api_version": ref.api_version,
        "file": ref.file,
        "line": ref.line,
    }


def json_finding(finding: Finding) -> dict[str, Any]:
    """One entry of ``findings``."""
    pkg = finding.package
    locations = finding.locations
    scores = finding.scores
    package = None
    if pkg is not None:
        package = {
            "type": pkg.type.value,
            "name": pkg.name,
            "version": pkg.version,
            "purl": pkg.purl,
            "id": pkg.id,
            "locations": _locations(pkg.locations),
        }
    sup = finding.suppressed
    values = _VALUES
    entry: dict[str, Any] = {
        "kind": values[finding.kind],
        "id": finding.rule_id,
        "aliases": list(finding.aliases),
        "severity": values[finding.severity],
        "status": values[finding.status],
        "title": finding.title,
        "message": finding.message,
        "subject": finding.subject,
        "package": package,
        "locations": _locations(locations) if locations else [],
        # no package and no locations (every posture finding): no layer to look for
        "layer": finding_layer(finding) if pkg is not None or locations else None,
        "fixed_versions": list(finding.fixed_versions),
        "fixable": bool(finding.fixed_versions),
        "scores": [{"source": s.source, "vector": s.vector, "value": s.value} for s in scores]
        if scores
        else [],
        "kev": finding.kev,
        "epss": finding.epss,
        "references": list(finding.references),
        "evidence": dict(finding.evidence),
        "fix": finding.fix,
        "suppressed": None
        if sup is None
        else {"kind": sup.kind, "reason": sup.reason, "source": sup.source, "expires": sup.expires},
    }
    ref = finding.resource
    if ref is not None:
        entry["rule_id"] = finding.rule_id
        entry["resource"] = json_resource(ref)
    return entry


def json_db(db: DbInfo | None) -> dict[str, Any] | None:
    """The ``db`` section, or None when no vulnerability database was used."""
    if db is None:
        return None
    return {
        "path": db.path,
        "schema": db.schema_version,
        "built": db.built,
        "records": db.records,
        "sources": [{"name": name, "updated": updated} for name, updated in db.sources],
        "stale": db.stale,
        "warnings": list(db.warnings),
    }


def json_summary(report: Report) -> dict[str, Any]:
    """The ``summary`` section: counts by kind, status and severity, and the totals."""
    s = summarize(report)
    return {
        "findings": s.total,
        "by_kind": dict(s.by_kind),
        "by_status": dict(s.by_status),
        "vulnerabilities": s.vulnerabilities,
        "by_severity": dict(s.by_severity),
        "fixable": s.fixable,
        "kev": s.kev,
        "suppressed": s.suppressed,
        "packages": s.packages,
        "hardening_score": s.hardening_score,
        "vulnerability_db": report.db is not None,
        "package_database_found": report.coverage.has_package_database,
        "coverage_complete": report.coverage.complete,
    }


def to_scan_dict(report: Report) -> dict[str, Any]:
    """The scan document as plain Python data."""
    sbom = report.sbom
    hardening = report.hardening
    coverage = native_coverage(report.coverage)
    if not report.coverage.has_package_database:
        coverage["warning"] = NO_DATABASE_MESSAGE
    return {
        "schema": SCHEMA_VERSION,
        "tool": {"name": sbom.tool, "version": sbom.tool_version},
        "created": report.created or sbom.created,
        "source": native_source(sbom.source),
        "distro": native_distro(sbom.distro),
        "db": json_db(report.db),
        "summary": json_summary(report),
        "findings": [json_finding(f) for f in ordered(report.findings)],
        "hardening": None
        if hardening is None
        else {
            "score": hardening.score,
            "passed": hardening.passed,
            "failed": sorted(hardening.failed),
        },
        "coverage": coverage,
    }


def to_scan_json(report: Report) -> bytes:
    """Serialise as indented JSON with sorted keys."""
    return orjson.dumps(to_scan_dict(report), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
