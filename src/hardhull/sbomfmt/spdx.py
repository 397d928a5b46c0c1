"""SPDX 2.3 JSON, written straight from the model with orjson.

One SPDX package per package (``SPDXRef-Package-<type>-<name>-<id>``), a root package for
the image or directory that the document ``DESCRIBES`` and that ``CONTAINS`` every package,
an ``OPERATING_SYSTEM`` package for the distro, and relationships from the model.

SPDX has no free-form properties, so hardhull's own facts ride in annotations whose
comment starts with a marker and carries compact JSON: ``hardhull:package`` on each package
(type, locations with layers, found-by, licenses as found, ...), ``hardhull:distro`` on the
OS package, ``hardhull:source`` and ``hardhull:coverage`` on the document. The coverage is
also written in words in the document ``comment``.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import orjson

from hardhull.model import Package, Sbom
from hardhull.sbomfmt.common import (
    EPOCH,
    IMAGE_SCHEMES,
    NO_DATABASE_MESSAGE,
    coverage_lines,
    document_uuid,
    target_digest,
    target_name,
    utc_timestamp,
)
from hardhull.sbomfmt.cyclonedx import package_refs
from hardhull.sbomfmt.licenses import (
    LICENSE_LIST_VERSION,
    is_compound,
    license_ref,
    normalize_expression,
)
from hardhull.sbomfmt.native import native_coverage, native_distro, native_source

DOCUMENT_ID = "SPDXRef-DOCUMENT"
ROOT_ID = "SPDXRef-Root"
OS_ID = "SPDXRef-OperatingSystem"
NAMESPACE_BASE = "https://spdx.org/spdxdocs/hardhull"
NOASSERTION = "NOASSERTION"

PACKAGE_MARK = "hardhull:package "
DISTRO_MARK = "hardhull:distro "
SOURCE_MARK = "hardhull:source "
COVERAGE_MARK = "hardhull:coverage "

_UNSAFE = re.compile(r"[^A-Za-z0-9.\-]+")
_LOCAL_REF = re.compile(r"(?<![:\w-])LicenseRef-[A-Za-z0-9.\-]+")
_RELATION = {"contains": "CONTAINS", "depends-on": "DEPENDS_ON"}


def spdx_id(pkg: Package, ref: str) -> str:
    """A readable, unique SPDXID built from the package's type, name and ref (its id)."""
    name = _UNSAFE.sub("-", pkg.name).strip("-")[:60] or "package"
    return f"SPDXRef-Package-{pkg.type.value}-{name}-{ref}"


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


class _Licenses:
    """Turns license strings into one declared expression, collecting LicenseRefs."""

    def __init__(self) -> None:
        self.refs: dict[str, str] = {}  # LicenseRef id -> the text it stands for
        self.unnamed: set[str] = set()  # LicenseRefs written as such, whose text we lack

    def ref_for(self, text: str) -> str:
        ref = license_ref(text)
        if self.refs.get(ref, text) != text:
            ref = f"{ref}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
        self.refs[ref] = text
        return ref

    def declared(self, licenses: tuple[str, ...]) -> str:
        parts = []
        for text in licenses:
            norm = normalize_expression(text)
            if norm is None:
                parts.append(self.ref_for(text))
                continue
            for ref in _LOCAL_REF.findall(norm):  # a LicenseRef must be defined here
                if ref not in self.refs:
                    self.refs[ref] = f"{ref} (license text not available)"
                    self.unnamed.add(ref)
            if is_compound(norm) and len(licenses) > 1:
                parts.append(f"({norm})")
            else:
                parts.append(norm)
        return " AND ".join(parts) if parts else NOASSERTION

    def extracted(self) -> list[dict[str, str]]:
        out = []
        for ref, text in sorted(self.refs.items()):
            info = {"licenseId": ref, "extractedText": text}
            if ref not in self.unnamed:
                info["name"] = text
            out.append(info)
        return out


def _external_refs(pkg: Package) -> list[dict[str, str]]:
    refs = []
    if pkg.purl:
        refs.append(
            {
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": pkg.purl,
            }
        )
    refs.extend(
        {
            "referenceCategory": "SECURITY",
            "referenceType": "cpe22Type" if cpe.startswith("cpe:/") else "cpe23Type",
            "referenceLocator": cpe,
        }
        for cpe in pkg.cpes
    )
    return refs


def _package_facts(pkg: Package) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "type": pkg.type.value,
        "found_by": pkg.found_by,
        "locations": [[loc.path, loc.layer] for loc in pkg.locations],
    }
    optional: dict[str, Any] = {
        "licenses": list(pkg.licenses),
        "cpes": list(pkg.cpes),
        "arch": pkg.arch,
        "source_name": pkg.source_name,
        "source_version": pkg.source_version,
        "distro": pkg.distro,
        "metadata": [list(pair) for pair in pkg.metadata],
    }
    facts.update({k: v for k, v in optional.items() if v})
    return facts


def _annotation(stamp: str, annotator: str, comment: str) -> dict[str, str]:
    return {
        "annotationDate": stamp,
        "annotationType": "OTHER",
        "annotator": annotator,
        "comment": comment,
    }


def _package(
    pkg: Package, sid: str, licenses: _Licenses, stamp: str, annotator: str
) -> dict[str, Any]:
    item: dict[str, Any] = {"name": pkg.name, "SPDXID": sid}
    if pkg.version:
        item["versionInfo"] = pkg.version
    item["supplier"] = NOASSERTION
    item["downloadLocation"] = NOASSERTION
    item["filesAnalyzed"] = False
    paths = ", ".join(loc.path for loc in pkg.locations) or "no recorded path"
    item["sourceInfo"] = f"found by {pkg.found_by or 'unknown'} at: {paths}"
    item["licenseConcluded"] = NOASSERTION
    item["licenseDeclared"] = licenses.declared(pkg.licenses)
    item["copyrightText"] = NOASSERTION
    refs = _external_refs(pkg)
    if refs:
        item["externalRefs"] = refs
    item["primaryPackagePurpose"] = "LIBRARY"
    comment = PACKAGE_MARK + _dumps(_package_facts(pkg))
    item["annotations"] = [_annotation(stamp, annotator, comment)]
    return item


def _assert_nothing(item: dict[str, Any], purpose: str) -> None:
    """The fields of a package hardhull makes no claim about (the target, the OS), then
    its ``primaryPackagePurpose``."""
    item.update(
        {
            "supplier": NOASSERTION,
            "downloadLocation": NOASSERTION,
            "filesAnalyzed": False,
            "licenseConcluded": NOASSERTION,
            "licenseDeclared": NOASSERTION,
            "copyrightText": NOASSERTION,
            "primaryPackagePurpose": purpose,
        }
    )


def _root_package(sbom: Sbom, stamp: str, annotator: str) -> dict[str, Any]:
    item: dict[str, Any] = {"name": target_name(sbom), "SPDXID": ROOT_ID}
    digest = target_digest(sbom)
    if digest:
        item["versionInfo"] = digest
    _assert_nothing(item, "CONTAINER" if sbom.source.scheme in IMAGE_SCHEMES else "FILE")
    facts = native_source(sbom.source)
    item["annotations"] = [_annotation(stamp, annotator, SOURCE_MARK + _dumps(facts))]
    return item


def _os_package(sbom: Sbom, stamp: str, annotator: str) -> dict[str, Any]:
    distro = sbom.distro
    assert distro is not None
    item: dict[str, Any] = {"name": distro.id, "SPDXID": OS_ID}
    if distro.version_id:
        item["versionInfo"] = distro.version_id
    if distro.pretty_name:
        item["description"] = distro.pretty_name
    _assert_nothing(item, "OPERATING_SYSTEM")
    facts = native_distro(distro)
    item["annotations"] = [_annotation(stamp, annotator, DISTRO_MARK + _dumps(facts))]
    return item


def document_namespace(sbom: Sbom) -> str:
    """A unique, deterministic namespace URI for the document."""
    slug = _UNSAFE.sub("-", target_name(sbom)).strip("-")[:80] or "target"
    return f"{NAMESPACE_BASE}/{slug}-{document_uuid(sbom)}"


def to_spdx_dict(sbom: Sbom) -> dict[str, Any]:
    """The SPDX 2.3 document as plain Python data."""
    stamp = utc_timestamp(sbom.created) or EPOCH
    tool = f"{sbom.tool}-{sbom.tool_version}" if sbom.tool_version else sbom.tool
    annotator = f"Tool: {tool}"
    licenses = _Licenses()
    pairs = package_refs(sbom.packages)
    ids = {ref: spdx_id(pkg, ref) for pkg, ref in pairs}
    packages = [_root_package(sbom, stamp, annotator)]
    relationships = [
        {
            "spdxElementId": DOCUMENT_ID,
            "relatedSpdxElement": ROOT_ID,
            "relationshipType": "DESCRIBES",
        }
    ]
    if sbom.distro is not None:
        packages.append(_os_package(sbom, stamp, annotator))
        relationships.append(
            {"spdxElementId": ROOT_ID, "relatedSpdxElement": OS_ID, "relationshipType": "CONTAINS"}
        )
    for pkg, ref in pairs:
        packages.append(_package(pkg, ids[ref], licenses, stamp, annotator))
        relationships.append(
            {
                "spdxElementId": ROOT_ID,
                "relatedSpdxElement": ids[ref],
                "relationshipType": "CONTAINS",
            }
        )
    extra = set()
    for rel in sbom.relationships:
        kind = _RELATION.get(rel.kind)
        if kind and rel.parent in ids and rel.child in ids:
            extra.add((ids[rel.parent], kind, ids[rel.child]))
    relationships += [
        {"spdxElementId": a, "relatedSpdxElement": b, "relationshipType": k}
        for a, k, b in sorted(extra)
    ]
    coverage = native_coverage(sbom.coverage)
    annotations = [_annotation(stamp, annotator, COVERAGE_MARK + _dumps(coverage))]
    if not sbom.coverage.has_package_database:
        annotations.append(_annotation(stamp, annotator, NO_DATABASE_MESSAGE))
    doc: dict[str, Any] = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": DOCUMENT_ID,
        "name": target_name(sbom),
        "documentNamespace": document_namespace(sbom),
        "creationInfo": {
            "created": stamp,
            "creators": [annotator],
            "licenseListVersion": LICENSE_LIST_VERSION,
        },
        "comment": "hardhull coverage: " + " ".join(coverage_lines(sbom.coverage)),
        "packages": packages,
        "relationships": relationships,
        "annotations": annotations,
    }
    extracted = licenses.extracted()
    if extracted:
        doc["hasExtractedLicensingInfos"] = extracted
    return doc


def to_spdx_json(sbom: Sbom) -> bytes:
    """Serialise ``sbom`` as SPDX 2.3 JSON (indented, deterministic)."""
    return orjson.dumps(to_spdx_dict(sbom), option=orjson.OPT_INDENT_2)
