"""Read an SPDX 2.2/2.3 JSON SBOM into the model.

hardhull's own documents carry their facts in ``hardhull:*`` annotations (see ``spdx.py``)
and come back exactly. For other producers: the purl external reference gives the type,
``licenseDeclared`` (else ``licenseConcluded``) the licenses, files that a package is
"evident-by" (Syft's ``OTHER`` relationships) its locations; the package(s) the document
DESCRIBES without a purl are the scanned target itself, not packages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from hardhull.model import Distro, Location, Package, Relationship, Sbom, SourceInfo
from hardhull.sbomfmt import restore
from hardhull.sbomfmt.docread import (
    DocReader,
    distro_from_packages,
    os_details,
    parse_purl,
    third_party_coverage,
    tool_from_creator,
    type_from_purl,
)
from hardhull.sbomfmt.spdx import COVERAGE_MARK, DISTRO_MARK, PACKAGE_MARK, SOURCE_MARK

SUPPORTED = ("SPDX-2.2", "SPDX-2.3")
NO_VALUE = frozenset({"NOASSERTION", "NONE", ""})
OS_PURPOSES = frozenset({"OPERATING_SYSTEM", "OPERATING-SYSTEM"})
_PM = frozenset({"PACKAGE-MANAGER", "PACKAGE_MANAGER"})


def _marked(r: DocReader, obj: dict[str, Any], path: str, mark: str) -> tuple[Any, str] | None:
    for where, item in r.objects(obj, "annotations", path):
        comment = r.opt_str(item, "comment", where) or ""
        if comment.startswith(mark):
            try:
                return orjson.loads(comment[len(mark) :]), f"{where}.comment"
            except orjson.JSONDecodeError:
                raise r.error(
                    f"{where}.comment", f"{mark.strip()} data is not valid JSON"
                ) from None
    return None


def _refs(r: DocReader, pkg: dict[str, Any], path: str) -> tuple[str, tuple[str, ...]]:
    purl = ""
    cpes = []
    for where, ref in r.objects(pkg, "externalRefs", path):
        category = r.req_str(ref, "referenceCategory", where)
        kind = r.req_str(ref, "referenceType", where)
        locator = r.req_str(ref, "referenceLocator", where)
        if category in _PM and kind == "purl" and not purl:
            purl = locator
        elif category == "SECURITY" and kind in ("cpe23Type", "cpe22Type"):
            cpes.append(locator)
    return purl, tuple(cpes)


def _licenses(
    r: DocReader, pkg: dict[str, Any], path: str, extracted: dict[str, str]
) -> tuple[str, ...]:
    for key in ("licenseDeclared", "licenseConcluded"):
        value = (r.opt_str(pkg, key, path) or "").strip()
        if value not in NO_VALUE:
            return (extracted.get(value, value),)
    return ()


def _extracted(r: DocReader, doc: dict[str, Any]) -> dict[str, str]:
    out = {}
    for where, info in r.objects(doc, "hasExtractedLicensingInfos", "$"):
        ref = r.req_str(info, "licenseId", where)
        text = r.req_str(info, "extractedText", where)
        name = r.opt_str(info, "name", where)
        if name or "\n" not in text.strip():  # a short text is the license's name
            out[ref] = name or text.strip()
    return out


def read_spdx(doc: dict[str, Any], source: Path) -> Sbom:
    """The model of a decoded SPDX JSON document read from ``source``."""
    r = DocReader(source, "SPDX")
    version = r.req_str(doc, "spdxVersion", "$")
    if version not in SUPPORTED:
        raise r.error(
            "$.spdxVersion", f"unsupported version {version!r} (hardhull reads 2.2 and 2.3)"
        )
    doc_id = r.req_str(doc, "SPDXID", "$")
    creation = r.obj(doc.get("creationInfo"), "$.creationInfo")
    created = r.req_str(creation, "created", "$.creationInfo")
    creators = r.str_list(creation, "creators", "$.creationInfo")
    tools = [tool_from_creator(c) for c in creators if c.startswith("Tool:")]
    tool, tool_version = tools[0] if tools else ("unknown", "")
    extracted = _extracted(r, doc)

    rels: list[tuple[str, str, str, str]] = []
    for where, rel in r.objects(doc, "relationships", "$"):
        rels.append(
            (
                r.req_str(rel, "spdxElementId", where),
                r.req_str(rel, "relationshipType", where),
                r.req_str(rel, "relatedSpdxElement", where),
                r.opt_str(rel, "comment", where) or "",
            )
        )
    described = {b for a, k, b, _c in rels if a == doc_id and k == "DESCRIBES"}
    described |= {a for a, k, b, _c in rels if b == doc_id and k == "DESCRIBED_BY"}
    described |= set(r.str_list(doc, "documentDescribes", "$"))

    file_names: dict[str, str] = {}
    for where, f in r.objects(doc, "files", "$"):
        name = r.req_str(f, "fileName", where)
        file_names[r.req_str(f, "SPDXID", where)] = "/" + name.removeprefix("./").lstrip("/")
    evident: dict[str, list[str]] = {}
    for a, k, b, comment in rels:
        if k == "OTHER" and b in file_names and comment.startswith("evident-by"):
            evident.setdefault(a, []).append(file_names[b])

    packages: dict[str, Package] = {}
    distro: Distro | None = None
    info: SourceInfo | None = None
    root_name: str | None = None
    for path, pkg in r.objects(doc, "packages", "$"):
        sid = r.req_str(pkg, "SPDXID", path)
        name = r.req_str(pkg, "name", path)
        version = r.opt_str(pkg, "versionInfo", path) or ""
        purpose = r.opt_str(pkg, "primaryPackagePurpose", path)
        purl_text, cpes = _refs(r, pkg, path)
        src = _marked(r, pkg, path, SOURCE_MARK)
        if src is not None:
            info = restore.source(r, src[0], src[1])
            continue
        if purpose in OS_PURPOSES:
            marked = _marked(r, pkg, path, DISTRO_MARK)
            if marked is not None:
                distro = restore.distro(r, marked[0], marked[1])
            elif distro is None:
                pretty = r.opt_str(pkg, "description", path)
                distro = Distro(id=name, version_id=version or None, pretty_name=pretty)
            continue
        if sid in described and not purl_text:
            root_name = root_name or name
            continue
        facts = _marked(r, pkg, path, PACKAGE_MARK)
        if facts is not None:
            base = {"name": name, "version": version, "purl": purl_text}
            obj = r.obj(facts[0], facts[1])
            packages[sid] = restore.package(r, obj, facts[1], base)
            continue
        purl = parse_purl(purl_text) if purl_text else None
        pkg_type = type_from_purl(purl)
        details = os_details(pkg_type, name, version, purl)
        packages[sid] = Package(
            name=name,
            version=version,
            type=pkg_type,
            purl=purl_text,
            locations=tuple(Location(p) for p in sorted(set(evident.get(sid, ())))),
            found_by="sbom-document",
            licenses=_licenses(r, pkg, path, extracted),
            cpes=cpes,
            arch=details.get("arch"),
            source_name=details.get("source_name"),
            source_version=details.get("source_version"),
            distro=details.get("distro"),
        )

    relationships = set()
    for a, k, b, _c in rels:
        if a in packages and b in packages:
            pa, pb = packages[a].id, packages[b].id
            if k == "DEPENDS_ON":
                relationships.add(Relationship(pa, "depends-on", pb))
            elif k == "DEPENDENCY_OF":
                relationships.add(Relationship(pb, "depends-on", pa))
            elif k == "CONTAINS":
                relationships.add(Relationship(pa, "contains", pb))
    cov = _marked(r, doc, "$", COVERAGE_MARK)
    coverage = restore.coverage(r, cov[0], cov[1]) if cov else third_party_coverage(source)
    if cov is None and distro is None:
        distro = distro_from_packages(list(packages.values()))
    if info is None:
        doc_name = root_name or r.opt_str(doc, "name", "$")
        info = SourceInfo(scheme="sbom", target=str(source), name=doc_name)
    return Sbom(
        source=info,
        packages=tuple(sorted(packages.values(), key=lambda p: (p.sort_key(), p.id))),
        coverage=coverage,
        distro=distro,
        relationships=tuple(sorted(relationships, key=lambda x: (x.parent, x.kind, x.child))),
        tool=tool,
        tool_version=tool_version,
        created=created,
    )
