"""CycloneDX 1.6 ``vulnerabilities[]`` for scan reports, added to the SBOM document.

``add_vulnerabilities`` turns vulnerability findings into one entry per finding: ``id``
and ``source`` (NVD for CVEs, GitHub for GHSAs, OSV otherwise), aliases as
``references``, ``ratings`` (CVSSv2/v3/v31/v4 with vector and score, distro labels as
``other``), ``cwes`` when the evidence names any, ``description``/``detail``,
``recommendation``, http(s) references as ``advisories``, ``affects`` (the installed
version ``affected``, fixed versions ``unaffected`` and, for one fixed version, a ``vers``
range) and ``analysis`` for suppressed findings (VEX: ``not_affected``; ignore rules:
response ``will_not_fix``). A document without such findings is left exactly as the SBOM
writer made it.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import orjson

from hardhull.model import Finding, FindingKind, Package, Sbom, Severity
from hardhull.sbomfmt.common import HARDHULL_NAMESPACE
from hardhull.sbomfmt.cyclonedx import P, Props, _prop, package_refs

_CVSS_METHOD = {"CVSS_V2": "CVSSv2", "CVSS_V3": "CVSSv3", "CVSS_V4": "CVSSv4"}
_CDX_SEVERITY = {Severity.NEGLIGIBLE: "info"}
_JUSTIFICATIONS = frozenset(
    {
        "code_not_present",
        "code_not_reachable",
        "requires_configuration",
        "requires_dependency",
        "requires_environment",
        "protected_by_compiler",
        "protected_at_runtime",
        "protected_at_perimeter",
        "protected_by_mitigating_control",
    }
)
_VERS_TYPES = {
    "deb": "deb",
    "apk": "alpine",
    "rpm": "rpm",
    "pypi": "pypi",
    "npm": "npm",
    "golang": "golang",
    "maven": "maven",
    "gem": "gem",
    "cargo": "cargo",
    "nuget": "nuget",
    "composer": "composer",
}


def advisory_link(advisory_id: str) -> tuple[str, str]:
    """(database name, public page) for an advisory id: NVD, GitHub or OSV."""
    aid = quote(advisory_id, safe="-._~:")
    if advisory_id.startswith("CVE-"):
        return "NVD", f"https://nvd.nist.gov/vuln/detail/{aid}"
    if advisory_id.startswith("GHSA-"):
        return "GitHub Advisory Database", f"https://github.com/advisories/{aid}"
    return "OSV", f"https://osv.dev/vulnerability/{aid}"


_URL = re.compile(r"https?://[A-Za-z0-9][A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")


def web_links(references: Iterable[str]) -> list[str]:
    """Only well-formed http(s) URLs (RFC 3986 characters only), deduplicated, in order."""
    seen: dict[str, None] = {}
    for ref in references:
        ref = ref.strip()
        if _URL.fullmatch(ref):
            seen.setdefault(ref, None)
    return list(seen)


def _rating(source: str, vector: str, value: float | None, fallback: Severity) -> dict[str, Any]:
    method = _CVSS_METHOD.get(source.upper(), "other")
    if method == "CVSSv3" and vector.startswith("CVSS:3.1/"):
        method = "CVSSv31"
    sev = Severity.from_score(value) if value is not None else fallback
    rating: dict[str, Any] = {"source": {"name": source}, "method": method}
    if value is not None:
        rating["score"] = value
    rating["severity"] = _CDX_SEVERITY.get(sev, sev.value)
    if method != "other":
        rating["vector"] = vector
    elif vector:
        rating["justification"] = f"{source} rates it {vector}"
    return rating


def _cwes(finding: Finding) -> list[int]:
    out: set[int] = set()
    for key, value in finding.evidence:
        if key.lower() not in ("cwe", "cwes"):
            continue
        for part in value.replace(";", ",").split(","):
            digits = part.strip().upper().removeprefix("CWE-")
            if digits.isdigit() and int(digits) > 0:
                out.add(int(digits))
    return sorted(out)


def _vers(pkg: Package, fixed: tuple[str, ...]) -> str | None:
    scheme = pkg.purl[4:].split("/", 1)[0] if pkg.purl.startswith("pkg:") else ""
    vers_type = _VERS_TYPES.get(scheme)
    if vers_type is None or len(fixed) != 1 or "|" in fixed[0]:
        return None
    return f"vers:{vers_type}/<{fixed[0]}"


def _analysis(finding: Finding) -> dict[str, Any] | None:
    sup = finding.suppressed
    if sup is None:
        return None
    detail = f"suppressed by {sup.kind} ({sup.source or 'unknown source'}): {sup.reason}"
    if sup.expires:
        detail += f"; until {sup.expires}"
    if sup.kind == "vex":
        analysis: dict[str, Any] = {"state": "not_affected"}
        if sup.reason in _JUSTIFICATIONS:
            analysis["justification"] = sup.reason
    else:
        analysis = {"response": ["will_not_fix"]}
    analysis["detail"] = detail
    return analysis


def vulnerability_entry(finding: Finding, ref: str | None, index: int) -> dict[str, Any]:
    """One ``vulnerabilities[]`` entry for a vulnerability finding (``ref``: its component)."""
    source_name, source_url = advisory_link(finding.rule_id)
    entry: dict[str, Any] = {
        "bom-ref": f"hardhull:vuln:{index}:{finding.rule_id}",
        "id": finding.rule_id,
        "source": {"name": source_name, "url": source_url},
    }
    refs = []
    for alias in finding.aliases:
        name, url = advisory_link(alias)
        refs.append({"id": alias, "source": {"name": name, "url": url}})
    if refs:
        entry["references"] = refs
    ratings = [_rating(s.source, s.vector, s.value, finding.severity) for s in finding.scores]
    if not ratings:
        sev = finding.severity
        ratings = [
            {
                "source": {"name": "hardhull"},
                "severity": _CDX_SEVERITY.get(sev, sev.value),
                "method": "other",
            }
        ]
    entry["ratings"] = ratings
    cwes = _cwes(finding)
    if cwes:
        entry["cwes"] = cwes
    if finding.title:
        entry["description"] = finding.title
    if finding.message:
        entry["detail"] = finding.message
    pkg = finding.package
    if finding.fix:
        entry["recommendation"] = finding.fix
    elif finding.fixed_versions and pkg is not None:
        entry["recommendation"] = f"Upgrade {pkg.name} to {' or '.join(finding.fixed_versions)}."
    links = web_links(finding.references)
    if links:
        entry["advisories"] = [{"url": link} for link in links]
    analysis = _analysis(finding)
    if analysis is not None:
        entry["analysis"] = analysis
    if ref is not None and pkg is not None:
        versions: list[dict[str, str]] = [
            {"version": pkg.version or "unknown", "status": "affected"}
        ]
        versions += [{"version": v, "status": "unaffected"} for v in finding.fixed_versions]
        vers = _vers(pkg, finding.fixed_versions)
        if vers is not None:
            versions.append({"range": vers, "status": "affected"})
        entry["affects"] = [{"ref": ref, "versions": versions}]
    props: Props = []
    _prop(props, P + "finding:status", finding.status.value)
    _prop(props, P + "finding:subject", finding.subject)
    _prop(props, P + "kev", "true" if finding.kev else None)
    _prop(props, P + "epss", None if finding.epss is None else f"{finding.epss:.5f}")
    for loc in finding.locations:
        _prop(props, P + "location:path", loc.path)
        _prop(props, P + "location:layer", loc.layer)
    for key, value in finding.evidence:
        _prop(props, f"{P}evidence:{key}", value)
    if props:
        entry["properties"] = props
    return entry


def add_vulnerabilities(
    doc: dict[str, Any],
    sbom: Sbom,
    findings: Iterable[Finding],
    extra: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Add ``vulnerabilities[]`` (and ``extra`` metadata properties) to a CycloneDX dict.

    Only vulnerability findings with a ``fail``/``warn`` status or a suppression are
    written, in the order given. Without any, ``doc`` is returned unchanged. The serial
    number is re-derived from the findings so the document differs from the plain SBOM's.
    """
    refs = {pkg.id: ref for pkg, ref in package_refs(sbom.packages)}
    vulns = [
        f
        for f in findings
        if f.kind is FindingKind.VULNERABILITY
        and (f.status.value in ("fail", "warn") or f.suppressed is not None)
    ]
    props = doc["metadata"].setdefault("properties", [])
    for name, value in (extra or {}).items():
        _prop(props, name, value)
    if not vulns:
        return doc
    entries = [
        vulnerability_entry(f, refs.get(f.package.id) if f.package else None, i)
        for i, f in enumerate(vulns, 1)
    ]
    doc["vulnerabilities"] = entries
    digest = hashlib.sha256(doc["serialNumber"].encode())
    for entry in entries:
        digest.update(orjson.dumps(entry, option=orjson.OPT_SORT_KEYS))
    doc["serialNumber"] = f"urn:uuid:{uuid.uuid5(HARDHULL_NAMESPACE, digest.hexdigest())}"
    return doc
