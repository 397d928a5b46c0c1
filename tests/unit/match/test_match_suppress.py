"""Severity from vectors, ecosystem mapping, ignore files, VEX in and out."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from hardhull.match.ecosystems import LookupKey, Unmatchable, lookup_key
from hardhull.match.ignore import SuppressionError, parse_ignore
from hardhull.match.severity import base_score, scores_of, severity_of
from hardhull.match.suppress import EXPIRED_RULE, apply_suppressions, openvex_document
from hardhull.match.vex import parse_vex
from hardhull.model import (
    Distro,
    Finding,
    FindingKind,
    PackageType,
    Severity,
    SeverityScore,
    SourceInfo,
    Status,
)

from .conftest import make_pkg

# Examples from the FIRST specification documents (v3.1 section 8, v4.0 calculator).
SPEC_EXAMPLES = [
    ("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),  # CVE-2013-1937
    ("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5),  # CVE-2014-0160
    ("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),  # CVE-2014-6271
    ("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3),
    ("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5),
]


@pytest.mark.parametrize(("kind", "vector", "expected"), SPEC_EXAMPLES)
def test_base_scores_match_spec_examples(kind: str, vector: str, expected: float) -> None:
    assert base_score(kind, vector) == expected


def test_severity_preference_order() -> None:
    v3 = SeverityScore("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N")
    debian = SeverityScore("Debian", "unimportant")
    v2 = SeverityScore("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P")
    assert severity_of(scores_of([v3, debian])) is Severity.HIGH
    assert severity_of(scores_of([debian, v2])) is Severity.NEGLIGIBLE
    assert severity_of(scores_of([v2])) is Severity.HIGH
    assert severity_of(scores_of([SeverityScore("CVSS_V3", "garbage")])) is Severity.UNKNOWN
    assert severity_of(()) is Severity.UNKNOWN


def test_lookup_keys() -> None:
    deb = make_pkg(
        "libc6", "2.36-9+b1", PackageType.DEB, "pkg:deb/debian/libc6", source=("glibc", "2.36-9")
    )
    assert lookup_key(deb, Distro("debian", "12")) == LookupKey(
        "Debian:12", "glibc", "2.36-9", "glibc"
    )
    ubuntu = lookup_key(deb, Distro("ubuntu", "22.04"))
    assert isinstance(ubuntu, LookupKey) and ubuntu.ecosystem == "Ubuntu:22.04"
    apk = make_pkg("libcrypto3", "3.3.1-r0", PackageType.APK, "pkg:apk/alpine/libcrypto3")
    key = lookup_key(apk, Distro("alpine", "3.20.1"))
    assert isinstance(key, LookupKey) and key.ecosystem == "Alpine:v3.20"
    std = make_pkg(
        "stdlib",
        "go1.19.8",
        PackageType.GO,
        "pkg:golang/stdlib@1.19.8",
        metadata=(("stdlib", "true"),),
    )
    assert lookup_key(std, None) == LookupKey("Go", "stdlib", "1.19.8")
    mod = make_pkg("golang.org/x/net", "v0.17.0", PackageType.GO, "pkg:golang/golang.org/x/net")
    assert lookup_key(mod, None) == LookupKey("Go", "golang.org/x/net", "0.17.0")
    jar = make_pkg(
        "log4j-core",
        "2.14.1",
        PackageType.JAVA,
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
    )
    assert lookup_key(jar, None) == LookupKey(
        "Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"
    )
    assert lookup_key(make_pkg("Zope.Interface", "5", PackageType.PYTHON, "p"), None) == (
        LookupKey("PyPI", "zope-interface", "5")
    )
    sid = lookup_key(deb, Distro("debian"))
    assert isinstance(sid, Unmatchable) and sid.kind == "unknown-distro"


def _finding(rule: str, aliases: tuple[str, ...] = (), name: str = "openssl") -> Finding:
    pkg = make_pkg(name, "3.0.11-1", PackageType.DEB, f"pkg:deb/debian/{name}@3.0.11-1?arch=amd64")
    return Finding(
        kind=FindingKind.VULNERABILITY,
        status=Status.FAIL,
        severity=Severity.HIGH,
        rule_id=rule,
        title="t",
        subject=pkg.id,
        package=pkg,
        aliases=aliases,
        fix=f"upgrade {name} to 3.0.12-1",
    )


IGNORE = """\
- id: CVE-2023-5363
  package: open*
  reason: not reachable
  expires: 2030-01-01
- id: GHSA-AAAA
  reason: old decision
  expires: 2020-01-01
"""


def test_ignore_rules_suppress_and_expired_rules_warn() -> None:
    rules = parse_ignore(IGNORE, "ignore.yaml")
    findings = [_finding("DSA-1", ("CVE-2023-5363",)), _finding("PYSEC-9", ("GHSA-aaaa",))]
    out = apply_suppressions(findings, rules, (), dt.date(2025, 1, 1))
    by_rule = {f.rule_id: f for f in out}
    assert by_rule["DSA-1"].suppressed is not None
    assert by_rule["DSA-1"].suppressed.kind == "ignore"
    assert by_rule["DSA-1"].suppressed.source == "ignore.yaml:1"
    assert by_rule["PYSEC-9"].suppressed is None
    note = by_rule[EXPIRED_RULE]
    assert note.status is Status.WARN and "expired on 2020-01-01" in note.title
    assert dict(note.evidence)["would_suppress"] == "1"
    # after the first entry expires, nothing is suppressed any more
    later = apply_suppressions(findings, rules, (), dt.date(2030, 1, 2))
    assert all(f.suppressed is None for f in later)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- id: X\n", "ignore.yaml:1: entry without `reason`"),
        ("- id: X\n  reason: r\n  colour: red\n", "ignore.yaml:3: unknown key 'colour'"),
        ("- id: X\n  reason: r\n  expires: soon\n", "ignore.yaml:1: `expires` must be a date"),
        ("- id: [\n", "ignore.yaml:2:1: not valid YAML"),
        ("id: X\n", "ignore.yaml:1: expected a list"),
    ],
)
def test_ignore_file_errors_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(SuppressionError, match="^" + message.replace("[", r"\[")):
        parse_ignore(text, "ignore.yaml")


OPENVEX = {
    "@context": "https://openvex.dev/ns/v0.2.0",
    "@id": "https://example.com/vex/1",
    "author": "team",
    "timestamp": "2024-01-01T00:00:00Z",
    "version": 1,
    "statements": [
        {
            "vulnerability": {"name": "CVE-2023-5363"},
            "products": [
                {"@id": "pkg:oci/app", "subcomponents": [{"@id": "pkg:deb/debian/openssl"}]}
            ],
            "status": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path",
        },
        {
            "vulnerability": {"name": "CVE-2024-1"},
            "products": [{"@id": "pkg:deb/debian/openssl@3.0.11-1"}],
            "status": "under_investigation",
        },
    ],
}


def test_openvex_suppresses_not_affected_and_vex_out_reflects_it() -> None:
    statements = parse_vex(json.dumps(OPENVEX), "in.vex.json")
    findings = [
        _finding("DSA-1", ("CVE-2023-5363",)),
        _finding("CVE-2024-1"),
        _finding("CVE-2023-5363", name="curl"),
    ]
    out = apply_suppressions(findings, (), statements)
    by_key = {(f.rule_id, f.package.name if f.package else ""): f for f in out}
    assert by_key[("DSA-1", "openssl")].suppressed is not None
    assert by_key[("DSA-1", "openssl")].suppressed.kind == "vex"
    assert by_key[("CVE-2024-1", "openssl")].suppressed is None
    assert dict(by_key[("CVE-2024-1", "openssl")].evidence)["vex_status"] == "under_investigation"
    assert by_key[("CVE-2023-5363", "curl")].suppressed is None  # other product
    doc = openvex_document(
        out, SourceInfo("oci-archive", "app.tar", name="app", manifest_digest="sha256:ab"), "T"
    )
    assert doc["@context"] == "https://openvex.dev/ns/v0.2.0"
    statuses = {
        (s["vulnerability"]["name"], s["status"], s.get("justification"))  # type: ignore[index]
        for s in doc["statements"]  # type: ignore[attr-defined]
    }
    assert statuses == {
        ("DSA-1", "not_affected", "vulnerable_code_not_in_execute_path"),
        ("CVE-2024-1", "affected", None),
        ("CVE-2023-5363", "affected", None),
    }


def test_cyclonedx_vex() -> None:
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "components": [{"bom-ref": "c1", "purl": "pkg:deb/debian/openssl@3.0.11-1"}],
        "vulnerabilities": [
            {
                "id": "CVE-2023-5363",
                "analysis": {"state": "resolved"},
                "affects": [{"ref": "c1"}],
            }
        ],
    }
    statements = parse_vex(json.dumps(doc), "cdx.json")
    assert statements[0].status == "fixed"
    out = apply_suppressions([_finding("DSA-1", ("CVE-2023-5363",))], (), statements)
    assert out[0].suppressed is not None


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("{", "v.json:1:2: not valid JSON"),
        ("[]", "v.json: a VEX document must be a JSON object"),
        ('{"a": 1}', "v.json: neither OpenVEX"),
        (
            json.dumps({**OPENVEX, "statements": [{**OPENVEX["statements"][0], "status": "meh"}]}),  # type: ignore[dict-item]
            r"v.json: statements\[0\].status: 'meh' is not one of",
        ),
        (
            json.dumps({**OPENVEX, "statements": [{"vulnerability": {}, "status": "fixed"}]}),
            r"v.json: statements\[0\].vulnerability: needs a `name`",
        ),
    ],
)
def test_vex_errors_name_file_and_position(doc: str, message: str) -> None:
    with pytest.raises(SuppressionError, match="^" + message):
        parse_vex(doc, "v.json")
