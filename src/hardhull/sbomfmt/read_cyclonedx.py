"""Read a CycloneDX 1.4-1.6 JSON SBOM into the model.

hardhull's own ``hardhull:`` properties are restored exactly (type, locations with layers,
coverage, ...). For other producers the type comes from the purl, locations from Syft's
``syft:location:<n>:path`` properties when present, and the coverage says that the
inventory came from a document, not from looking at the image.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson

from hardhull.model import (
    Coverage,
    Distro,
    Gap,
    Location,
    Package,
    Relationship,
    Sbom,
    SourceInfo,
)
from hardhull.sbomfmt.cyclonedx import COV, P
from hardhull.sbomfmt.docread import (
    DocReader,
    distro_from_packages,
    os_details,
    parse_purl,
    third_party_coverage,
    type_from_purl,
)
from hardhull.sbomfmt.restore import package_type

SUPPORTED = ("1.4", "1.5", "1.6")
PACKAGE_COMPONENT_TYPES = frozenset({"library", "framework", "application"})
_LOCATION = re.compile(r"(hardhull|syft):location:(\d+):(path|layer|layerID)")

Props = dict[str, list[str]]


def _props(r: DocReader, obj: dict[str, Any], path: str) -> Props:
    out: Props = defaultdict(list)
    for where, prop in r.objects(obj, "properties", path):
        name = r.opt_str(prop, "name", where)
        value = r.opt_str(prop, "value", where)
        if name is not None and value is not None:
            out[name].append(value)
    return out


def _first(props: Props, name: str) -> str | None:
    values = props.get(name)
    return values[0] if values else None


def _licenses(r: DocReader, comp: dict[str, Any], path: str) -> tuple[str, ...]:
    out = []
    for where, choice in r.objects(comp, "licenses", path):
        expression = r.opt_str(choice, "expression", where)
        if expression:
            out.append(expression)
            continue
        lic = r.opt_obj(choice, "license", where)
        if lic is None:
            raise r.error(where, "expected a 'license' or an 'expression'")
        text = r.opt_str(lic, "id", f"{where}.license") or r.opt_str(
            lic, "name", f"{where}.license"
        )
        if not text:
            raise r.error(f"{where}.license", "needs an 'id' or a 'name'")
        out.append(text)
    return tuple(out)


def _locations(props: Props) -> tuple[Location, ...]:
    found: dict[int, dict[str, str]] = defaultdict(dict)
    ours = any(_LOCATION.fullmatch(n) and n.startswith(P) for n in props)
    for name, values in props.items():
        m = _LOCATION.fullmatch(name)
        if m and (m.group(1) == "hardhull") == ours:
            found[int(m.group(2))]["layer" if m.group(3) != "path" else "path"] = values[0]
    return tuple(
        Location(v["path"], v.get("layer")) for _i, v in sorted(found.items()) if "path" in v
    )


def _package(r: DocReader, comp: dict[str, Any], path: str, props: Props) -> Package:
    name = r.req_str(comp, "name", path)
    version = r.opt_str(comp, "version", path) or ""
    purl_text = r.opt_str(comp, "purl", path) or ""
    purl = parse_purl(purl_text) if purl_text else None
    cpe = r.opt_str(comp, "cpe", path)
    licenses = _licenses(r, comp, path)
    our_type = _first(props, P + "package:type")
    if our_type is not None:
        pkg_type = package_type(r, our_type, f"{path}.properties[{P}package:type]")
        cpes = tuple(props.get(P + "cpe", ())) or ((cpe,) if cpe else ())
        meta = tuple(
            (n.removeprefix(P + "metadata:"), v[0])
            for n, v in props.items()
            if n.startswith(P + "metadata:")
        )
        return Package(
            name=name,
            version=version,
            type=pkg_type,
            purl=purl_text,
            locations=_locations(props),
            found_by=_first(props, P + "found-by") or "",
            licenses=tuple(props.get(P + "license", ())) or licenses,
            cpes=cpes,
            arch=_first(props, P + "arch"),
            source_name=_first(props, P + "source-package:name"),
            source_version=_first(props, P + "source-package:version"),
            distro=_first(props, P + "distro"),
            metadata=meta,
        )
    pkg_type = type_from_purl(purl)
    cpes = tuple(dict.fromkeys([*([cpe] if cpe else []), *props.get("syft:cpe23", [])]))
    details = os_details(pkg_type, name, version, purl)
    return Package(
        name=name,
        version=version,
        type=pkg_type,
        purl=purl_text,
        locations=_locations(props),
        found_by=_first(props, "syft:package:foundBy") or "sbom-document",
        licenses=licenses,
        cpes=cpes,
        arch=details.get("arch"),
        source_name=details.get("source_name"),
        source_version=details.get("source_version"),
        distro=details.get("distro"),
    )


def _distro(r: DocReader, comp: dict[str, Any], path: str, props: Props) -> Distro:
    return Distro(
        id=r.req_str(comp, "name", path),
        version_id=r.opt_str(comp, "version", path),
        name=_first(props, P + "distro:name"),
        pretty_name=_first(props, P + "distro:pretty-name") or r.opt_str(comp, "description", path),
        version_codename=_first(props, P + "distro:codename"),
        id_like=tuple(props.get(P + "distro:id-like", ())),
    )


def _coverage(r: DocReader, props: Props) -> Coverage:
    gaps = []
    for value in props.get(COV + "gap", ()):
        try:
            kind, subject, detail = orjson.loads(value)
        except (orjson.JSONDecodeError, ValueError, TypeError):
            raise r.error(
                f"$.metadata.properties[{COV}gap]", "expected [kind, subject, detail]"
            ) from None
        gaps.append(Gap(str(kind), str(subject), str(detail)))
    files = _first(props, COV + "files-examined") or "0"
    if not files.isdigit():
        raise r.error(f"$.metadata.properties[{COV}files-examined]", "expected a count")
    return Coverage(
        layers_read=tuple(props.get(COV + "layer", ())),
        files_examined=int(files),
        package_databases=tuple(props.get(COV + "package-database", ())),
        catalogers=tuple(props.get(COV + "cataloger", ())),
        unidentified_executables=tuple(props.get(COV + "unidentified-executable", ())),
        gaps=tuple(gaps),
    )


def _tool(r: DocReader, metadata: dict[str, Any]) -> tuple[str, str]:
    tools = metadata.get("tools")
    if isinstance(tools, dict):  # 1.5+: {"components": [...], "services": [...]}
        items = r.opt_list(tools, "components", "$.metadata.tools")
    elif tools is None:
        items = []
    else:  # 1.4: [{"vendor", "name", "version"}]
        items = r.arr(tools, "$.metadata.tools")
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            version = item.get("version")
            return item["name"], version if isinstance(version, str) else ""
    return "unknown", ""


def _walk(r: DocReader, items: list[Any], path: str) -> list[tuple[dict[str, Any], str]]:
    out = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        comp = r.obj(item, where)
        out.append((comp, where))
        out += _walk(r, r.opt_list(comp, "components", where), f"{where}.components")
    return out


def read_cyclonedx(doc: dict[str, Any], source: Path) -> Sbom:
    """The model of a decoded CycloneDX JSON document read from ``source``."""
    r = DocReader(source, "CycloneDX")
    spec = r.req_str(doc, "specVersion", "$")
    if spec not in SUPPORTED:
        raise r.error("$.specVersion", f"unsupported version {spec!r} (hardhull reads 1.4 to 1.6)")
    metadata = r.opt_obj(doc, "metadata", "$") or {}
    meta_props = _props(r, metadata, "$.metadata")
    ours = COV + "package-database-found" in meta_props
    root = r.opt_obj(metadata, "component", "$.metadata") or {}
    root_props = _props(r, root, "$.metadata.component") if root else {}
    packages: list[Package] = []
    refs: dict[str, str] = {}
    contains: list[tuple[str, str]] = []
    distro: Distro | None = None
    for comp, path in _walk(r, r.opt_list(doc, "components", "$"), "$.components"):
        ctype = r.req_str(comp, "type", path)
        props = _props(r, comp, path)
        if ctype == "operating-system":
            distro = distro or _distro(r, comp, path, props)
            continue
        if ctype not in PACKAGE_COMPONENT_TYPES:
            continue
        pkg = _package(r, comp, path, props)
        packages.append(pkg)
        ref = r.opt_str(comp, "bom-ref", path)
        if ref:
            refs[ref] = pkg.id
            contains += [(ref, child) for child in props.get(P + "contains", ())]
    relationships = {
        Relationship(refs[a], "contains", refs[b]) for a, b in contains if a in refs and b in refs
    }
    for where, dep in r.objects(doc, "dependencies", "$"):
        parent = r.req_str(dep, "ref", where)
        for child in r.str_list(dep, "dependsOn", where):
            if parent in refs and child in refs:
                relationships.add(Relationship(refs[parent], "depends-on", refs[child]))
    tool, tool_version = _tool(r, metadata)
    name = r.opt_str(root, "name", "$.metadata.component") if root else None
    if ours:
        info = SourceInfo(
            scheme=_first(root_props, P + "source:scheme") or "sbom",
            target=_first(root_props, P + "source:target") or str(source),
            name=_first(root_props, P + "source:name"),
            manifest_digest=_first(root_props, P + "image:manifest-digest"),
            config_digest=_first(root_props, P + "image:config-digest"),
            platform=_first(root_props, P + "image:platform"),
            tags=tuple(root_props.get(P + "image:tag", ())),
        )
        coverage = _coverage(r, meta_props)
    else:
        info = SourceInfo(scheme="sbom", target=str(source), name=name)
        coverage = third_party_coverage(source)
        distro = distro or distro_from_packages(packages)
    return Sbom(
        source=info,
        packages=tuple(sorted(packages, key=lambda p: (p.sort_key(), p.id))),
        coverage=coverage,
        distro=distro,
        relationships=tuple(sorted(relationships, key=lambda x: (x.parent, x.kind, x.child))),
        tool=tool,
        tool_version=tool_version,
        created=r.opt_str(metadata, "timestamp", "$.metadata") or "",
    )
