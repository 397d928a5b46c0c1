"""Applying ignore rules and VEX statements to findings, and writing OpenVEX out.

Suppressed findings stay in the report with ``suppressed`` set (they do not count for
``--fail-on``). VEX is applied first (the later statement wins when several speak about a
finding); ``not_affected`` and ``fixed`` suppress, ``affected`` and
``under_investigation`` leave the finding standing (the status is added to its evidence).
Ignore rules then suppress what is still standing, unless expired: an expired rule
produces one ``warn`` note (rule id ``HH-IGNORE-EXPIRED``) instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from urllib.parse import quote

from hardhull import __version__
from hardhull.match.ignore import IgnoreRule
from hardhull.match.vex import JUSTIFICATIONS, VexStatement
from hardhull.model import Finding, FindingKind, Severity, SourceInfo, Status, Suppression

EXPIRED_RULE = "HH-IGNORE-EXPIRED"
OPENVEX_CONTEXT = "https://openvex.dev/ns/v0.2.0"
SUPPRESSING = frozenset({"not_affected", "fixed"})


def _with_evidence(finding: Finding, key: str, value: str) -> Finding:
    pairs = dict(finding.evidence)
    pairs[key] = value
    return dataclasses.replace(finding, evidence=tuple(sorted(pairs.items())))


def apply_suppressions(
    findings: Sequence[Finding],
    rules: Sequence[IgnoreRule] = (),
    statements: Sequence[VexStatement] = (),
    today: dt.date | None = None,
) -> list[Finding]:
    """Findings with ``suppressed`` set where VEX or an ignore rule says so, plus notes."""
    day = today or dt.date.today()
    live = [r for r in rules if not r.expired(day)]
    expired = [r for r in rules if r.expired(day)]
    out: list[Finding] = []
    hits: dict[str, int] = {r.where: 0 for r in expired}
    for finding in findings:
        if finding.kind is not FindingKind.VULNERABILITY or finding.status is not Status.FAIL:
            out.append(finding)
            continue
        said = None
        for st in statements:
            if st.applies(finding):
                said = st
        if said is not None:
            finding = _with_evidence(finding, "vex_status", said.status)
            if said.status in SUPPRESSING:
                out.append(
                    dataclasses.replace(
                        finding, suppressed=Suppression("vex", said.reason, said.where)
                    )
                )
                continue
        rule = next((r for r in live if r.applies(finding)), None)
        if rule is not None:
            expires = rule.expires.isoformat() if rule.expires else None
            finding = dataclasses.replace(
                finding, suppressed=Suppression("ignore", rule.reason, rule.where, expires)
            )
        else:
            for old in expired:
                if old.applies(finding):
                    hits[old.where] += 1
        out.append(finding)
    for old in expired:
        assert old.expires is not None
        count = hits[old.where]
        out.append(
            Finding(
                kind=FindingKind.VULNERABILITY,
                status=Status.WARN,
                severity=Severity.UNKNOWN,
                rule_id=EXPIRED_RULE,
                title=f"ignore entry for {old.id} expired on {old.expires.isoformat()}",
                subject=old.where,
                message=(
                    f"{old.where}: the ignore entry for {old.id} expired on "
                    f"{old.expires.isoformat()} and no longer suppresses anything "
                    f"({count} finding(s) it would have suppressed are reported); "
                    f"its reason was: {old.reason}"
                ),
                evidence=(
                    ("expired", old.expires.isoformat()),
                    ("id", old.id),
                    ("would_suppress", str(count)),
                ),
                fix="review the entry: renew its expiry date or remove it",
            )
        )
    out.sort(key=Finding.sort_key)
    return out


def image_purl(source: SourceInfo) -> str | None:
    """``pkg:oci/<name>@<manifest digest>`` of the scanned image, when it has a digest."""
    if not source.manifest_digest:
        return None
    name = (source.name or source.target).rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]
    name = name.lower() or "image"
    return f"pkg:oci/{quote(name)}@{quote(source.manifest_digest)}"


def openvex_document(
    findings: Sequence[Finding], source: SourceInfo, timestamp: str
) -> dict[str, object]:
    """An OpenVEX v0.2.0 document of hardhull's conclusions for the vulnerability findings.

    ``affected`` for standing and ignore-suppressed findings (an accepted risk is still a
    risk), the input VEX status (``not_affected`` with its justification, ``fixed``) for
    VEX-suppressed ones. One statement per finding, sorted.
    """
    image = image_purl(source)
    statements: list[dict[str, object]] = []
    for f in findings:
        if f.kind is not FindingKind.VULNERABILITY or f.package is None:
            continue
        product: dict[str, object] = {"@id": f.package.purl}
        if image is not None:
            product = {"@id": image, "subcomponents": [{"@id": f.package.purl}]}
        st: dict[str, object] = {
            "vulnerability": {
                "name": f.rule_id,
                **({"aliases": list(f.aliases)} if f.aliases else {}),
            },
            "products": [product],
        }
        sup = f.suppressed
        vex_status = dict(f.evidence).get("vex_status")
        if sup is not None and sup.kind == "vex" and vex_status in SUPPRESSING:
            st["status"] = vex_status
            if vex_status == "not_affected":
                parts = sup.reason.split(": ", 2)
                if len(parts) > 1 and parts[1] in JUSTIFICATIONS:
                    st["justification"] = parts[1]
                st["impact_statement"] = f"{sup.reason} (from {sup.source})"
        else:
            st["status"] = "affected"
            action = f.fix or "no fixed version is known yet"
            if sup is not None:
                action = f"{action}; risk accepted ({sup.reason}, {sup.source})"
            st["action_statement"] = action
        statements.append(st)
    statements.sort(key=lambda s: json.dumps(s, sort_keys=True))
    body = json.dumps(statements, sort_keys=True).encode()
    return {
        "@context": OPENVEX_CONTEXT,
        "@id": f"https://openvex.dev/docs/hardhull/{hashlib.sha256(body).hexdigest()[:32]}",
        "author": "hardhull",
        "role": "scanner",
        "timestamp": timestamp,
        "version": 1,
        "tooling": f"hardhull {__version__}",
        "statements": statements,
    }
