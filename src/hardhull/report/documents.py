"""Scan reports as SBOM documents: CycloneDX 1.6 with vulnerabilities, SPDX 2.3 with refs.

Both start from the SBOM writers (with the report's coverage, which may carry gaps the
matching stage added) so the package part is identical to ``hardhull sbom`` output.

CycloneDX: ``vulnerabilities[]`` from :mod:`hardhull.sbomfmt.cyclonedx_vuln`, plus
``hardhull:scan:*`` metadata properties (vulnerability database, hardening score and
failing checks). The coverage is already in ``hardhull:coverage:*`` properties.

SPDX 2.3 has no vulnerability section. Each affected package gets ``externalRefs`` of
category ``SECURITY``: type ``advisory`` pointing at the advisory's public page (its
comment names id, severity, installed and fixed versions, suppression) and type ``url``
for each http(s) reference. The document gets a ``hardhull:scan`` annotation carrying the
summary, hardening and every finding id as compact JSON, and its ``comment`` says the
counts in words after the coverage sentences.
"""

from __future__ import annotations

from typing import Any

import orjson

from hardhull.model import Finding, Report
from hardhull.report.facts import (
    advisory_url,
    db_line,
    fixed_in,
    ordered,
    report_sbom,
    summarize,
    suppression_text,
    vulnerabilities,
)
from hardhull.report.scan_json import json_db, json_summary
from hardhull.sbomfmt.common import EPOCH, utc_timestamp
from hardhull.sbomfmt.cyclonedx import package_refs, to_cyclonedx_dict
from hardhull.sbomfmt.cyclonedx_vuln import add_vulnerabilities, web_links
from hardhull.sbomfmt.spdx import spdx_id, to_spdx_dict

SCAN_MARK = "hardhull:scan "
MAX_URL_REFS = 5
NO_VULNERABILITY_SECTION = (
    "SPDX 2.3 has no vulnerability section: vulnerabilities are SECURITY externalRefs "
    "(advisory, url) on the affected packages."
)


def _scan_properties(report: Report) -> dict[str, str]:
    props: dict[str, str] = {}
    created = report.created or report.sbom.created
    props["hardhull:scan:vulnerability-db"] = db_line(report.db, created)
    if report.db is not None and report.db.stale:
        props["hardhull:scan:vulnerability-db-stale"] = "true"
    s = summarize(report)
    props["hardhull:scan:vulnerabilities"] = str(s.vulnerabilities)
    props["hardhull:scan:suppressed"] = str(s.suppressed)
    if report.hardening is not None:
        props["hardhull:scan:hardening-score"] = str(report.hardening.score)
        if report.hardening.failed:
            props["hardhull:scan:hardening-failed"] = ",".join(sorted(report.hardening.failed))
    return props


def to_report_cyclonedx_dict(report: Report) -> dict[str, Any]:
    """The CycloneDX document of the SBOM with ``vulnerabilities[]`` added."""
    sbom = report_sbom(report)
    doc = to_cyclonedx_dict(sbom)
    findings = vulnerabilities(report) + vulnerabilities(report, suppressed=True)
    return add_vulnerabilities(doc, sbom, findings, _scan_properties(report))


def _advisory_ref(finding: Finding) -> dict[str, str]:
    pkg = finding.package
    comment = f"{finding.rule_id} ({finding.severity.value})"
    if finding.aliases:
        comment += f", aliases {', '.join(finding.aliases)}"
    if pkg is not None:
        comment += f": {pkg.name} {pkg.version} is affected"
    comment += f"; fixed in {fixed_in(finding)}" if finding.fixable else "; no fix known"
    if finding.kev:
        comment += "; CISA KEV"
    if finding.suppressed is not None:
        comment += f"; SUPPRESSED {suppression_text(finding)}"
    return {
        "referenceCategory": "SECURITY",
        "referenceType": "advisory",
        "referenceLocator": advisory_url(finding.rule_id),
        "comment": comment,
    }


def _finding_facts(finding: Finding) -> dict[str, Any]:
    pkg = finding.package
    return {
        "kind": finding.kind.value,
        "id": finding.rule_id,
        "status": finding.status.value,
        "severity": finding.severity.value,
        "package": f"{pkg.name}@{pkg.version}" if pkg else None,
        "suppressed": finding.suppressed is not None,
    }


def to_report_spdx_dict(report: Report) -> dict[str, Any]:
    """The SPDX document of the SBOM with vulnerability refs and a scan annotation."""
    sbom = report_sbom(report)
    doc = to_spdx_dict(sbom)
    by_id = {spdx_id(pkg, ref): pkg.id for pkg, ref in package_refs(sbom.packages)}
    vulns = vulnerabilities(report) + vulnerabilities(report, suppressed=True)
    per_package: dict[str, list[Finding]] = {}
    for f in vulns:
        if f.package is not None:
            per_package.setdefault(f.package.id, []).append(f)
    for item in doc["packages"]:
        found = per_package.get(by_id.get(item["SPDXID"], ""), [])
        if not found:
            continue
        refs: list[dict[str, str]] = item.setdefault("externalRefs", [])
        seen = {r["referenceLocator"] for r in refs}
        for f in found:
            adv = _advisory_ref(f)
            refs.append(adv)
            seen.add(adv["referenceLocator"])
            for link in web_links(f.references)[:MAX_URL_REFS]:
                if link not in seen:
                    seen.add(link)
                    refs.append(
                        {
                            "referenceCategory": "SECURITY",
                            "referenceType": "url",
                            "referenceLocator": link,
                            "comment": f"reference for {f.rule_id}",
                        }
                    )
    facts = {
        "note": NO_VULNERABILITY_SECTION,
        "db": json_db(report.db),
        "summary": json_summary(report),
        "hardening": None
        if report.hardening is None
        else {"score": report.hardening.score, "failed": sorted(report.hardening.failed)},
        "findings": [_finding_facts(f) for f in ordered(report.findings)],
    }
    stamp = utc_timestamp(report.created or sbom.created) or EPOCH
    annotator = doc["creationInfo"]["creators"][0]
    doc["annotations"].append(
        {
            "annotationDate": stamp,
            "annotationType": "REVIEW",
            "annotator": annotator,
            "comment": SCAN_MARK + orjson.dumps(facts, option=orjson.OPT_SORT_KEYS).decode(),
        }
    )
    s = summarize(report)
    words = (
        f" hardhull scan: {s.vulnerabilities} vulnerabilities ({s.fixable} fixable,"
        f" {s.kev} known exploited), {s.suppressed} suppressed; vulnerability database "
        f"{db_line(report.db, report.created or sbom.created)}."
    )
    if s.hardening_score is not None:
        words += f" Hardening score {s.hardening_score}/100 ({s.hardening_failed} failing)."
    doc["comment"] += words + " " + NO_VULNERABILITY_SECTION
    return doc
