"""CycloneDX 1.6 JSON, written straight from the model with orjson.

Plain dicts, sorted components, ``bom-ref`` = package id, a serial number derived from
the content (uuid5), no timestamp other than the Sbom's ``created``. What CycloneDX has no
field for goes into properties under the ``hardhull:`` namespace:

- per component: ``hardhull:package:type``, ``hardhull:found-by``,
  ``hardhull:location:<n>:path`` / ``:layer``, ``hardhull:source-package:name`` /
  ``:version``, ``hardhull:arch``, ``hardhull:distro``, ``hardhull:cpe``,
  ``hardhull:license`` (the text as found, when the license field normalised it),
  ``hardhull:contains`` (child bom-ref), ``hardhull:metadata:<key>``;
- in ``metadata.properties``: ``hardhull:source:*``, ``hardhull:image:*`` and the coverage as
  ``hardhull:coverage:*`` (``gap`` values are JSON ``[kind, subject, detail]``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson

from hardhull.model import Coverage, Distro, Package, Sbom
from hardhull.sbomfmt.common import (
    IMAGE_SCHEMES,
    NO_DATABASE_MESSAGE,
    document_uuid,
    target_digest,
    target_name,
    utc_timestamp,
)
from hardhull.sbomfmt.licenses import canonical_id, is_compound, normalize_expression

SPEC_VERSION = "1.6"
SCHEMA_URL = "http://cyclonedx.org/schema/bom-1.6.schema.json"
ROOT_REF = "hardhull:target"
P = "hardhull:"
COV = "hardhull:coverage:"

Props = list[dict[str, str]]


def _prop(props: Props, name: str, value: str | None) -> None:
    if value is not None and value != "":
        props.append({"name": name, "value": value})


def distro_ref(distro: Distro) -> str:
    """The bom-ref of the operating-system component."""
    return f"hardhull:distro:{distro.purl_qualifier}"


def cyclonedx_licenses(licenses: tuple[str, ...]) -> list[dict[str, Any]]:
    """SPDX ids as ``license.id``, a lone compound expression as ``expression``, else names."""
    if len(licenses) == 1:
        norm = normalize_expression(licenses[0])
        if norm is not None and (is_compound(norm) or canonical_id(norm) is None):
            return [{"expression": norm}]
    out: list[dict[str, Any]] = []
    for text in licenses:
        canonical = canonical_id(text)
        if canonical is not None:
            out.append({"license": {"id": canonical}})
        else:
            out.append({"license": {"name": text}})
    return out


def _component(pkg: Package, ref: str, children: list[str]) -> dict[str, Any]:
    comp: dict[str, Any] = {"bom-ref": ref, "type": "library", "name": pkg.name}
    if pkg.version:
        comp["version"] = pkg.version
    if pkg.licenses:
        comp["licenses"] = cyclonedx_licenses(pkg.licenses)
        exact = [
            lic.get("expression") or next(iter(lic["license"].values())) for lic in comp["licenses"]
        ]
    if pkg.cpes:
        comp["cpe"] = pkg.cpes[0]
    if pkg.purl:
        comp["purl"] = pkg.purl
    props: Props = []
    _prop(props, P + "package:type", pkg.type.value)
    _prop(props, P + "found-by", pkg.found_by)
    for i, loc in enumerate(pkg.locations):
        _prop(props, f"{P}location:{i}:path", loc.path)
        _prop(props, f"{P}location:{i}:layer", loc.layer)
    _prop(props, P + "source-package:name", pkg.source_name)
    _prop(props, P + "source-package:version", pkg.source_version)
    _prop(props, P + "arch", pkg.arch)
    _prop(props, P + "distro", pkg.distro)
    if pkg.licenses and exact != list(pkg.licenses):  # normalised: keep the text as found
        for text in pkg.licenses:
            _prop(props, P + "license", text)
    if len(pkg.cpes) > 1:
        for cpe in pkg.cpes:
            _prop(props, P + "cpe", cpe)
    for child in children:
        _prop(props, P + "contains", child)
    for key, value in pkg.metadata:
        _prop(props, f"{P}metadata:{key}", value)
    comp["properties"] = props
    return comp


def _os_component(distro: Distro) -> dict[str, Any]:
    comp: dict[str, Any] = {
        "bom-ref": distro_ref(distro),
        "type": "operating-system",
        "name": distro.id,
    }
    if distro.version_id:
        comp["version"] = distro.version_id
    if distro.pretty_name:
        comp["description"] = distro.pretty_name
    props: Props = []
    _prop(props, P + "distro:name", distro.name)
    _prop(props, P + "distro:pretty-name", distro.pretty_name)
    _prop(props, P + "distro:codename", distro.version_codename)
    for like in distro.id_like:
        _prop(props, P + "distro:id-like", like)
    if props:
        comp["properties"] = props
    return comp


def _root_component(sbom: Sbom) -> dict[str, Any]:
    src = sbom.source
    comp: dict[str, Any] = {
        "bom-ref": ROOT_REF,
        "type": "container" if src.scheme in IMAGE_SCHEMES else "file",
        "name": target_name(sbom),
    }
    digest = target_digest(sbom)
    if digest:
        comp["version"] = digest
    props: Props = []
    _prop(props, P + "source:scheme", src.scheme)
    _prop(props, P + "source:target", src.target)
    _prop(props, P + "source:name", src.name)
    _prop(props, P + "image:manifest-digest", src.manifest_digest)
    _prop(props, P + "image:config-digest", src.config_digest)
    _prop(props, P + "image:platform", src.platform)
    for tag in src.tags:
        _prop(props, P + "image:tag", tag)
    for layer in src.layers:
        _prop(props, P + "image:layer", layer.diff_id or layer.digest)
    if props:
        comp["properties"] = props
    return comp


def coverage_properties(coverage: Coverage) -> Props:
    """The coverage as ``hardhull:coverage:*`` properties, the warning first."""
    props: Props = []
    found = coverage.has_package_database
    _prop(props, COV + "package-database-found", "true" if found else "false")
    if not found:
        _prop(props, COV + "no-package-database", NO_DATABASE_MESSAGE)
    _prop(props, COV + "complete", "true" if coverage.complete else "false")
    _prop(props, COV + "files-examined", str(coverage.files_examined))
    _prop(props, COV + "layers-read", str(len(coverage.layers_read)))
    for layer in coverage.layers_read:
        _prop(props, COV + "layer", layer)
    for db in coverage.package_databases:
        _prop(props, COV + "package-database", db)
    for cataloger in coverage.catalogers:
        _prop(props, COV + "cataloger", cataloger)
    unknown = coverage.unidentified_executables
    _prop(props, COV + "unidentified-executables", str(len(unknown)))
    for path in unknown:
        _prop(props, COV + "unidentified-executable", path)
    _prop(props, COV + "gaps", str(len(coverage.gaps)))
    for gap in coverage.gaps:
        value = orjson.dumps([gap.kind, gap.subject, gap.detail]).decode()
        _prop(props, COV + "gap", value)
    return props


def package_refs(packages: tuple[Package, ...]) -> list[tuple[Package, str]]:
    """Packages in output order with unique refs (the id; a suffix if an id repeats)."""
    ordered = sorted(packages, key=lambda p: (p.sort_key(), p.id))
    seen: dict[str, int] = {}
    out = []
    for pkg in ordered:
        ref = pkg.id
        count = seen.get(ref, 0)
        seen[ref] = count + 1
        out.append((pkg, ref if count == 0 else f"{ref}-{count + 1}"))
    return out


def to_cyclonedx_dict(sbom: Sbom) -> dict[str, Any]:
    """The CycloneDX 1.6 document as plain Python data."""
    pairs = package_refs(sbom.packages)
    known = {ref for _pkg, ref in pairs}
    depends: dict[str, set[str]] = defaultdict(set)
    contains: dict[str, set[str]] = defaultdict(set)
    for rel in sbom.relationships:
        if rel.parent not in known or rel.child not in known:
            continue
        if rel.kind == "depends-on":
            depends[rel.parent].add(rel.child)
        elif rel.kind == "contains":
            contains[rel.parent].add(rel.child)
    components = [_component(pkg, ref, sorted(contains.get(ref, ()))) for pkg, ref in pairs]
    if sbom.distro is not None:
        components.insert(0, _os_component(sbom.distro))
    metadata: dict[str, Any] = {}
    stamp = utc_timestamp(sbom.created)
    if stamp:
        metadata["timestamp"] = stamp
    tool: dict[str, Any] = {"type": "application", "name": sbom.tool}
    if sbom.tool_version:
        tool["version"] = sbom.tool_version
    metadata["tools"] = {"components": [tool]}
    metadata["component"] = _root_component(sbom)
    metadata["properties"] = coverage_properties(sbom.coverage)
    doc: dict[str, Any] = {
        "$schema": SCHEMA_URL,
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": f"urn:uuid:{document_uuid(sbom)}",
        "version": 1,
        "metadata": metadata,
        "components": components,
    }
    if depends:
        doc["dependencies"] = [
            {"ref": parent, "dependsOn": sorted(children)}
            for parent, children in sorted(depends.items())
        ]
    return doc


def to_cyclonedx_json(sbom: Sbom) -> bytes:
    """Serialise ``sbom`` as CycloneDX 1.6 JSON (indented, deterministic)."""
    return orjson.dumps(to_cyclonedx_dict(sbom), option=orjson.OPT_INDENT_2)
