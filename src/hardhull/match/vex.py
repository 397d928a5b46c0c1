"""VEX input: OpenVEX and CycloneDX VEX documents turned into :class:`VexStatement`.

Both are reduced to OpenVEX's vocabulary: ``not_affected``, ``fixed``, ``affected``,
``under_investigation``. CycloneDX analysis states map as ``not_affected`` and
``false_positive`` -> not_affected, ``resolved``/``resolved_with_pedigree`` -> fixed,
``exploitable`` -> affected, ``in_triage`` -> under_investigation.

Products are purls. A VEX purl matches a package purl when type, namespace and name are
equal, the version is equal if the VEX purl has one, and every qualifier it gives is on
the package's purl too. A statement about an image (``pkg:oci/...``) with no
subcomponents covers every package of that image. Errors name the file and the JSON
position (line and column for syntax, a path like ``statements[2].status`` otherwise).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from hardhull.match.ignore import SuppressionError, read_suppression_file
from hardhull.model import Finding

STATUSES = frozenset({"not_affected", "fixed", "affected", "under_investigation"})
JUSTIFICATIONS = frozenset(
    {
        "component_not_present",
        "vulnerable_code_not_present",
        "vulnerable_code_not_in_execute_path",
        "vulnerable_code_cannot_be_controlled_by_adversary",
        "inline_mitigations_already_exist",
    }
)
CDX_STATES = {
    "not_affected": "not_affected",
    "false_positive": "not_affected",
    "resolved": "fixed",
    "resolved_with_pedigree": "fixed",
    "exploitable": "affected",
    "in_triage": "under_investigation",
}
CDX_JUSTIFICATIONS = {
    "code_not_present": "vulnerable_code_not_present",
    "code_not_reachable": "vulnerable_code_not_in_execute_path",
    "requires_configuration": "vulnerable_code_cannot_be_controlled_by_adversary",
    "requires_dependency": "component_not_present",
    "requires_environment": "vulnerable_code_cannot_be_controlled_by_adversary",
    "protected_by_compiler": "inline_mitigations_already_exist",
    "protected_at_runtime": "inline_mitigations_already_exist",
    "protected_at_perimeter": "inline_mitigations_already_exist",
    "protected_by_mitigating_control": "inline_mitigations_already_exist",
}


@dataclass(frozen=True, slots=True)
class Purl:
    """The parts of a purl that matching compares."""

    type: str
    namespace: str
    name: str
    version: str | None
    qualifiers: frozenset[tuple[str, str]]

    @classmethod
    def parse(cls, text: str) -> Purl | None:
        """Parse ``pkg:type/ns/name@version?q=v#sub``; ``None`` if it is not a purl."""
        if not text.startswith("pkg:"):
            return None
        rest = text[4:].split("#", 1)[0]
        rest, _, query = rest.partition("?")
        path, _, version = rest.partition("@")
        parts = [p for p in path.split("/") if p]
        if len(parts) < 2:
            return None
        ptype = parts[0].lower()
        name = unquote(parts[-1])
        namespace = "/".join(unquote(p) for p in parts[1:-1])
        if ptype in ("pypi", "npm", "deb", "apk"):
            namespace, name = namespace.lower(), name.lower()
        if ptype == "pypi":
            name = name.replace("_", "-").replace(".", "-")
        quals = set()
        for pair in query.split("&") if query else ():
            key, _, value = pair.partition("=")
            if key:
                quals.add((key.lower(), unquote(value)))
        return cls(ptype, namespace, name, unquote(version) or None, frozenset(quals))

    def covers(self, other: Purl) -> bool:
        """True when this (VEX) purl names ``other`` (a package's purl)."""
        if (self.type, self.namespace, self.name) != (other.type, other.namespace, other.name):
            return False
        if self.version is not None and self.version != other.version:
            return False
        return self.qualifiers <= other.qualifiers


@dataclass(frozen=True, slots=True)
class VexStatement:
    """One VEX statement: vulnerability ids, products, status, why, and where it was read."""

    ids: frozenset[str]
    products: tuple[Purl, ...]
    status: str
    justification: str | None
    detail: str | None
    where: str
    whole_image: bool = False

    def applies(self, finding: Finding) -> bool:
        """Whether this statement speaks about ``finding`` (id/alias and product)."""
        names = {finding.rule_id.upper(), *(a.upper() for a in finding.aliases)}
        if not self.ids & names:
            return False
        if self.whole_image:
            return True
        pkg = finding.package
        if pkg is None:
            return False
        target = Purl.parse(pkg.purl)
        return target is not None and any(p.covers(target) for p in self.products)

    @property
    def reason(self) -> str:
        """Readable reason: status, justification and detail."""
        parts = [self.status]
        if self.justification:
            parts.append(self.justification)
        if self.detail:
            parts.append(self.detail)
        return ": ".join(parts)


def _fail(where: str, message: str) -> SuppressionError:
    return SuppressionError(f"{where}: {message}")


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, "must be a non-empty string")
    return value.strip()


def _products(items: Any, where: str) -> tuple[list[Purl], bool]:
    if not isinstance(items, list) or not items:
        raise _fail(where, "must be a non-empty list of products")
    purls: list[Purl] = []
    whole = False
    for i, item in enumerate(items):
        here = f"{where}[{i}]"
        if isinstance(item, str):
            item = {"@id": item}
        if not isinstance(item, dict):
            raise _fail(here, "must be an object with `@id`")
        ids = [item.get("@id")]
        idents = item.get("identifiers")
        if isinstance(idents, dict):
            ids.append(idents.get("purl"))
        subs = item.get("subcomponents") or []
        if not isinstance(subs, list):
            raise _fail(f"{here}.subcomponents", "must be a list")
        own = [Purl.parse(x) for x in ids if isinstance(x, str)]
        parsed = [p for p in own if p is not None]
        if not parsed and not subs:
            raise _fail(here, "names no product purl (`@id` or `identifiers.purl`)")
        for j, sub in enumerate(subs):
            sub_ids = [sub] if isinstance(sub, str) else [sub.get("@id")]
            if isinstance(sub, dict) and isinstance(sub.get("identifiers"), dict):
                sub_ids.append(sub["identifiers"].get("purl"))
            got = [p for p in (Purl.parse(x) for x in sub_ids if isinstance(x, str)) if p]
            if not got:
                raise _fail(f"{here}.subcomponents[{j}]", "names no purl")
            purls.extend(got)
        if subs:
            continue
        if any(p.type == "oci" for p in parsed):
            whole = True
        purls.extend(parsed)
    return purls, whole


def _openvex(doc: dict[str, Any], name: str) -> list[VexStatement]:
    statements = doc.get("statements")
    if not isinstance(statements, list):
        raise _fail(f"{name}: statements", "missing or not a list")
    out = []
    for i, st in enumerate(statements):
        where = f"{name}: statements[{i}]"
        if not isinstance(st, dict):
            raise _fail(where, "must be an object")
        vuln = st.get("vulnerability")
        ids: set[str] = set()
        if isinstance(vuln, str):
            ids.add(_str(vuln, f"{where}.vulnerability"))
        elif isinstance(vuln, dict):
            for key in ("name", "@id"):
                if isinstance(vuln.get(key), str) and vuln[key].strip():
                    ids.add(vuln[key].strip().rsplit("/", 1)[-1] if key == "@id" else vuln[key])
            aliases = vuln.get("aliases") or []
            ids.update(a for a in aliases if isinstance(a, str))
        if not ids:
            raise _fail(f"{where}.vulnerability", "needs a `name` (e.g. CVE-2024-1234)")
        status = _str(st.get("status"), f"{where}.status")
        if status not in STATUSES:
            raise _fail(
                f"{where}.status", f"{status!r} is not one of {', '.join(sorted(STATUSES))}"
            )
        justification = st.get("justification")
        if justification is not None and justification not in JUSTIFICATIONS:
            raise _fail(f"{where}.justification", f"{justification!r} is not an OpenVEX value")
        detail = st.get("impact_statement") or st.get("status_notes")
        purls, whole = _products(st.get("products"), f"{where}.products")
        out.append(
            VexStatement(
                ids=frozenset(x.upper() for x in ids),
                products=tuple(purls),
                status=status,
                justification=justification,
                detail=detail if isinstance(detail, str) else None,
                where=where,
                whole_image=whole,
            )
        )
    return out


def _cyclonedx(doc: dict[str, Any], name: str) -> list[VexStatement]:
    refs: dict[str, str] = {}
    stack = list(doc.get("components") or [])
    meta = doc.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("component"), dict):
        stack.append(meta["component"])
    while stack:
        comp = stack.pop()
        if isinstance(comp, dict):
            if isinstance(comp.get("bom-ref"), str) and isinstance(comp.get("purl"), str):
                refs[comp["bom-ref"]] = comp["purl"]
            stack.extend(comp.get("components") or [])
    vulns = doc.get("vulnerabilities")
    if not isinstance(vulns, list):
        raise _fail(f"{name}: vulnerabilities", "missing or not a list")
    out = []
    for i, vuln in enumerate(vulns):
        where = f"{name}: vulnerabilities[{i}]"
        if not isinstance(vuln, dict):
            raise _fail(where, "must be an object")
        vid = _str(vuln.get("id"), f"{where}.id")
        analysis = vuln.get("analysis")
        if not isinstance(analysis, dict) or "state" not in analysis:
            continue  # a vulnerability without analysis says nothing about exploitability
        state = analysis["state"]
        if state not in CDX_STATES:
            raise _fail(
                f"{where}.analysis.state",
                f"{state!r} is not one of {', '.join(sorted(CDX_STATES))}",
            )
        cdx_just = analysis.get("justification")
        if cdx_just is not None and cdx_just not in CDX_JUSTIFICATIONS:
            raise _fail(f"{where}.analysis.justification", f"{cdx_just!r} is not a CycloneDX value")
        affects = vuln.get("affects")
        if not isinstance(affects, list) or not affects:
            raise _fail(f"{where}.affects", "must list the affected components (`ref`)")
        purls: list[Purl] = []
        for j, item in enumerate(affects):
            ref = item.get("ref") if isinstance(item, dict) else None
            if not isinstance(ref, str):
                raise _fail(f"{where}.affects[{j}].ref", "missing")
            text = refs.get(ref) or refs.get(ref.rsplit("#", 1)[-1]) or ref
            purl = Purl.parse(text)
            if purl is None:
                raise _fail(f"{where}.affects[{j}].ref", f"{ref!r} is neither a purl nor a bom-ref")
            purls.append(purl)
        detail = analysis.get("detail")
        out.append(
            VexStatement(
                ids=frozenset({vid.upper()}),
                products=tuple(purls),
                status=CDX_STATES[state],
                justification=CDX_JUSTIFICATIONS.get(cdx_just) if cdx_just else None,
                detail=detail if isinstance(detail, str) else None,
                where=where,
            )
        )
    return out


def parse_vex(text: str, name: str) -> tuple[VexStatement, ...]:
    """Parse an OpenVEX or CycloneDX VEX document (JSON)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SuppressionError(
            f"{name}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})"
        ) from None
    if not isinstance(doc, dict):
        raise SuppressionError(f"{name}: a VEX document must be a JSON object")
    context = doc.get("@context")
    if isinstance(context, str) and "openvex" in context:
        return tuple(_openvex(doc, name))
    if doc.get("bomFormat") == "CycloneDX":
        return tuple(_cyclonedx(doc, name))
    raise SuppressionError(
        f"{name}: neither OpenVEX (`@context` openvex) nor CycloneDX (`bomFormat`)"
    )


def load_vex_file(path: Path) -> tuple[VexStatement, ...]:
    """Read and parse a VEX file."""
    return parse_vex(read_suppression_file(path, "VEX file"), str(path))
