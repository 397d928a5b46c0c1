"""SARIF 2.1.0 (``--format sarif``) shaped for GitHub code scanning.

One rule per advisory or check id with ``properties.security-severity`` (a number as a
string, the highest score among its findings) and ``tags``; one result per unsuppressed
``fail``/``warn``/``error`` finding, and per suppressed one with a ``suppressions``
entry. Passing and skipped checks are not results. Each result has a physical location:
the package's path inside the image as a relative URI with region line 1 (findings
without a path point at the scanned target; findings about a Kubernetes resource point
at its manifest file and the line of its document, and carry ``properties.resource``)
and a ``partialFingerprints`` entry that stays stable across scans. Coverage gaps, a
missing package database, a missing or stale vulnerability database become
``invocations[0].toolExecutionNotifications``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from hardhull.model import Finding, FindingKind, Report, ResourceRef, Severity, Status
from hardhull.report.facts import (
    ACTIVE_STATUSES,
    advisory_url,
    db_line,
    finding_package_path,
    fixed_in,
    ordered,
    relative_uri,
    resource_location,
    security_severity,
    suppression_text,
)
from hardhull.sbomfmt.common import NO_DATABASE_MESSAGE, coverage_lines, target_name
from hardhull.sbomfmt.cyclonedx_vuln import web_links

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/hardhull/hardhull"
FINGERPRINT_KEY = "hardhull/v1"

LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.NEGLIGIBLE: "note",
    Severity.UNKNOWN: "note",
}


def _reported(finding: Finding) -> bool:
    return finding.status in ACTIVE_STATUSES


def _rule_text(finding: Finding) -> str:
    if finding.kind is FindingKind.VULNERABILITY:
        return finding.title or f"{finding.rule_id} in {finding.subject}"
    return finding.title or finding.rule_id


def _help(findings: list[Finding]) -> tuple[str, str]:
    first = findings[0]
    lines = [f"**{first.rule_id}**: {_rule_text(first)}", ""]
    if first.message:
        lines += [first.message, ""]
    if first.aliases:
        lines.append("Aliases: " + ", ".join(first.aliases))
    if first.kind is FindingKind.VULNERABILITY:
        lines += ["", "| Package | Installed | Fixed in |", "| --- | --- | --- |"]
        for f in findings:
            pkg = f.package
            lines.append(
                f"| {pkg.name if pkg else f.subject} | {pkg.version if pkg else '-'}"
                f" | {fixed_in(f) or 'not fixed'} |"
            )
    fixes = sorted({f.fix for f in findings if f.fix})
    if fixes:
        lines += ["", "Fix: " + " ".join(fixes)]
    links = web_links(first.references)
    if links:
        lines += ["", "References:"] + [f"- {link}" for link in links[:10]]
    markdown = "\n".join(lines).strip()
    text = markdown.replace("**", "")
    return text, markdown


def _rule(findings: list[Finding]) -> dict[str, Any]:
    first = findings[0]
    score = max(security_severity(f) for f in findings)
    worst = max((f.severity for f in findings), key=lambda s: s.rank)
    text, markdown = _help(findings)
    tags = ["security", first.kind.value, worst.value]
    if any(f.kev for f in findings):
        tags.append("kev")
    rule: dict[str, Any] = {
        "id": first.rule_id,
        "name": first.rule_id,
        "shortDescription": {"text": _rule_text(first)},
        "fullDescription": {"text": first.message or _rule_text(first)},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": LEVEL[worst]},
        "properties": {"security-severity": f"{score:.1f}", "tags": tags},
    }
    if first.kind is FindingKind.VULNERABILITY:
        links = web_links(first.references)
        rule["helpUri"] = links[0] if links else advisory_url(first.rule_id)
    return rule


def partial_fingerprints(*parts: str) -> dict[str, str]:
    """A result's ``partialFingerprints``: a hash of what identifies it (never its line,
    so that it stays the same when the file around it changes). Shared by every SARIF
    output of hardhull, so that one finding keeps one fingerprint across releases."""
    return {FINGERPRINT_KEY: hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]}


def location(uri: str, line: int, text: str) -> dict[str, Any]:
    """One entry of a result's ``locations``: ``uri`` at ``line``, described by ``text``."""
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": uri},
            "region": {"startLine": line},
        },
        "message": {"text": text},
    }


def manifest_place(ref: ResourceRef | None) -> tuple[str, int]:
    """Where a result about the Kubernetes resource ``ref`` points: its manifest file as
    a relative URI (``kubernetes`` when it came from no file) and its document's line
    (1 when unknown)."""
    uri = relative_uri(ref.file) if ref is not None and ref.file else "kubernetes"
    return uri, ref.line if ref is not None and ref.line else 1


def sarif_log(
    rules: list[dict[str, Any]],
    results: list[dict[str, Any]],
    *,
    version: str = "",
    **run: Any,
) -> dict[str, Any]:
    """A SARIF log of one run by the ``hardhull`` driver (``version`` when known) with
    ``rules`` and ``results``; ``run`` adds members of the run (``invocations``, ...)."""
    driver: dict[str, Any] = {"name": "hardhull"}
    if version:
        driver["version"] = version
    driver.update(informationUri=INFORMATION_URI, rules=rules)
    body = {"tool": {"driver": driver}, "results": results, **run}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [body]}


def _fingerprint(finding: Finding, path: str) -> dict[str, str]:
    pkg = finding.package
    return partial_fingerprints(
        finding.kind.value,
        finding.rule_id,
        pkg.purl or pkg.name if pkg else finding.subject,
        pkg.version if pkg else "",
        path,
    )


def _message(finding: Finding) -> str:
    pkg = finding.package
    if finding.kind is FindingKind.VULNERABILITY and pkg is not None:
        text = f"{pkg.name} {pkg.version} ({pkg.type.value}) is affected by {finding.rule_id}"
        text += f" ({finding.severity.value})"
        text += f"; fixed in {fixed_in(finding)}." if finding.fixable else "; no fix known."
        if finding.kev:
            text += " Listed in CISA KEV (known exploited)."
        if finding.epss is not None:
            text += f" EPSS {finding.epss * 100:.1f}%."
    else:
        text = f"{finding.title}: {finding.message}" if finding.message else finding.title
        text = text or finding.rule_id
    return text


def _result(finding: Finding, index: int, fallback: str) -> dict[str, Any]:
    ref = finding.resource
    line = 1
    if ref is not None and ref.file:
        # a finding about a Kubernetes resource points at its manifest document
        uri, line = relative_uri(ref.file), ref.line or 1
        where = f"{ref.label()} at {resource_location(ref)}"
    else:
        path = finding_package_path(finding)
        uri = relative_uri(path) if path else fallback
        where = f"{finding.subject} at {path or 'the image'}"
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index,
        "level": "error" if finding.status is Status.ERROR else LEVEL[finding.severity],
        "message": {"text": _message(finding)},
        "locations": [location(uri, line, where)],
        "partialFingerprints": _fingerprint(finding, uri),
    }
    props: dict[str, Any] = {"kind": finding.kind.value, "status": finding.status.value}
    if ref is not None:
        props["resource"] = {
            "kind": ref.kind,
            "name": ref.name,
            "namespace": ref.namespace,
            "file": ref.file,
            "line": ref.line,
        }
    pkg = finding.package
    if pkg is not None:
        props.update(
            {"package": pkg.name, "version": pkg.version, "type": pkg.type.value, "purl": pkg.purl}
        )
    if finding.fixed_versions:
        props["fixedVersions"] = list(finding.fixed_versions)
    if finding.kev:
        props["kev"] = True
    if finding.epss is not None:
        props["epss"] = finding.epss
    result["properties"] = props
    if finding.suppressed is not None:
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": suppression_text(finding)}
        ]
    return result


def _notifications(report: Report) -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = []
    cov = report.coverage

    def add(level: str, ident: str, text: str) -> None:
        notes.append({"level": level, "descriptor": {"id": ident}, "message": {"text": text}})

    if not cov.has_package_database:
        add("error", "coverage/no-package-database", NO_DATABASE_MESSAGE)
    if report.db is None or report.db.stale:
        ident = "vulndb/missing" if report.db is None else "vulndb/stale"
        created = report.created or report.sbom.created
        add("warning", ident, "Vulnerability database: " + db_line(report.db, created))
    for warning in report.db.warnings if report.db else ():
        add("warning", "vulndb/warning", warning)
    for gap in cov.gaps:
        add("warning", f"coverage/{gap.kind}", f"Not examined: {gap.subject}: {gap.detail}")
    for path in cov.unidentified_executables:
        add("note", "coverage/unidentified-executable", f"No cataloger identified {path}")
    for finding in ordered(report.findings):
        if finding.status is Status.SKIP:
            add("note", f"check-skipped/{finding.rule_id}", _message(finding))
    add("note", "coverage/summary", " ".join(coverage_lines(cov)))
    return notes


def to_sarif_dict(report: Report) -> dict[str, Any]:
    """The SARIF log as plain Python data."""
    sbom = report.sbom
    findings = [f for f in ordered(report.findings) if _reported(f)]
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.rule_id, []).append(f)
    rule_ids = sorted(groups)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    fallback = relative_uri(target_name(sbom))
    driver: dict[str, Any] = {
        "name": sbom.tool,
        "informationUri": INFORMATION_URI,
        "rules": [_rule(groups[rule_id]) for rule_id in rule_ids],
    }
    if sbom.tool_version:
        driver["version"] = sbom.tool_version
        driver["semanticVersion"] = sbom.tool_version
    invocation = {
        "executionSuccessful": not any(f.status is Status.ERROR for f in report.findings),
        "toolExecutionNotifications": _notifications(report),
    }
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "results": [_result(f, index[f.rule_id], fallback) for f in findings],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "target": target_name(sbom),
            "packageDatabaseFound": report.coverage.has_package_database,
            "coverageComplete": report.coverage.complete,
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def to_sarif_json(report: Report) -> bytes:
    """Serialise as indented SARIF JSON (deterministic)."""
    return orjson.dumps(to_sarif_dict(report), option=orjson.OPT_INDENT_2)
