"""The vulnerability gate: a cache of real scan documents (written by write_report from
Reports carrying real Debian advisory ids and fixed versions), the policy, its config."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from tests.support.shared import ADVISORIES
from tests.unit.admission.adm_support import container, deployment, review

from hardhull.admission.config import AdmissionConfig, ConfigError, parse_config
from hardhull.admission.engine import AdmissionEngine
from hardhull.admission.policies import load_admission_policies
from hardhull.admission.review import parse_review
from hardhull.model import (
    Coverage,
    Finding,
    FindingKind,
    Package,
    PackageType,
    Report,
    Sbom,
    Severity,
    Status,
    Suppression,
)
from hardhull.model.sbom import SourceInfo
from hardhull.policy.base import AdmissionInput, Result, RuleResult
from hardhull.policy.builtin import builtin_policies
from hardhull.policy.vulngate import (
    ScanSettings,
    Unscanned,
    VulnExemption,
    VulnGateOptions,
    VulnGatePolicy,
)
from hardhull.policy.vulngate_reports import (
    ReportCache,
    ScanRecord,
    VulnGateError,
    image_key,
    index_reports,
    read_report,
)
from hardhull.policy.vulngate_scan import OnDemandScanner, report_name
from hardhull.report import write_report

DEBIAN = ADVISORIES / "debian-osv-bookworm" / "CVE-2023.jsonl.gz"
pytestmark = pytest.mark.skipif(not DEBIAN.is_file(), reason="shared advisories missing")

APP = "ghcr.io/acme/app:1.0"
CLEAN = "ghcr.io/acme/clean:2.0"
APP_DIGEST = "sha256:" + "1" * 64
CLEAN_DIGEST = "sha256:" + "2" * 64
FAR = dt.date(2999, 12, 31)


def _advisories(n: int = 6) -> list[tuple[str, str, str]]:
    """The first ``n`` real Debian advisories with a fix: (id, source package, fixed)."""
    out: list[tuple[str, str, str]] = []
    with gzip.open(DEBIAN, "rt", encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            for aff in doc.get("affected", []):
                fixed = [
                    e["fixed"] for r in aff.get("ranges", []) for e in r["events"] if "fixed" in e
                ]
                if fixed:
                    out.append((doc["id"], aff["package"]["name"], fixed[0]))
                    break
            if len(out) == n:
                return out
    raise AssertionError("not enough advisories")


ADV = _advisories() if DEBIAN.is_file() else [("", "", "")] * 6


def _finding(i: int, severity: Severity, *, fixable: bool = True, hidden: bool = False) -> Finding:
    adv, name, fixed = ADV[i]
    pkg = Package(name, "0.1-1", PackageType.DEB, f"pkg:deb/debian/{name}@0.1-1", (), "dpkg")
    return Finding(
        kind=FindingKind.VULNERABILITY,
        status=Status.FAIL,
        severity=severity,
        rule_id=adv,
        title=f"{adv} in {name}",
        subject=pkg.id,
        package=pkg,
        fixed_versions=(fixed,) if fixable else (),
        suppressed=Suppression("ignore", "accepted", ".hardhull-ignore") if hidden else None,
    )


def _write(
    directory: Path, file: str, name: str, digest: str, created: str, findings: Sequence[Finding]
) -> None:
    source = SourceInfo("registry", name, name, digest, tags=(name.rsplit(":", 1)[1],))
    sbom = Sbom(source, (), Coverage(), tool_version="test", created=created)
    report = Report(sbom, tuple(findings), Coverage(), created=created)
    (directory / file).write_bytes(write_report(report, "json"))


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """Reports: app (critical+high fixable, high unfixable, medium, suppressed critical),
    an older clean app report, clean (medium fixable, high unfixable), a non-report."""
    d = tmp_path / "scans"
    d.mkdir()
    app = [
        _finding(0, Severity.CRITICAL),
        _finding(1, Severity.HIGH),
        _finding(2, Severity.HIGH, fixable=False),
        _finding(3, Severity.MEDIUM),
        _finding(4, Severity.CRITICAL, hidden=True),
    ]
    _write(d, "app-new.json", APP, APP_DIGEST, "2026-06-01T00:00:00Z", app)
    _write(d, "z-app-old.json", APP, "sha256:" + "9" * 64, "2025-01-01T00:00:00Z", [])
    clean = [_finding(3, Severity.MEDIUM), _finding(5, Severity.HIGH, fixable=False)]
    _write(d, "clean.json", CLEAN, CLEAN_DIGEST, "2026-06-01T00:00:00Z", clean)
    (d / "notes.json").write_text('{"bomFormat": "CycloneDX"}')
    return d


def _pod(*images: str, init: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "shop"},
        "spec": {
            "initContainers": [{"name": f"i{n}", "image": im} for n, im in enumerate(init)],
            "containers": [{"name": f"c{n}", "image": im} for n, im in enumerate(images)],
        },
    }


def _run(policy: VulnGatePolicy, obj: Mapping[str, Any]) -> dict[str, RuleResult]:
    inp = AdmissionInput(obj, kind=str(obj["kind"]))
    assert policy.applies_to(inp)
    return {r.rule: r for r in policy.evaluate(inp)}


def _gate(cache: Path, **kw: Any) -> VulnGatePolicy:
    return VulnGatePolicy(VulnGateOptions(cache, **kw))


def test_deny_at_threshold_names_image_counts_and_worst_ids(cache: Path) -> None:
    res = _run(_gate(cache), _pod(APP))["vulnerabilities"]
    assert res.result is Result.FAIL
    assert f"{APP}: 1 critical, 1 high ({ADV[0][0]}, {ADV[1][0]})" in res.message
    for excluded in (ADV[2][0], ADV[3][0], ADV[4][0]):  # unfixable, medium, suppressed
        assert excluded not in res.message


def test_pass_below_threshold_and_newest_report_wins(cache: Path) -> None:
    assert _run(_gate(cache), _pod(CLEAN))["vulnerabilities"].result is Result.PASS
    critical = _run(_gate(cache, severity=Severity.CRITICAL), _pod(APP))["vulnerabilities"]
    assert critical.result is Result.FAIL and ADV[1][0] not in critical.message


def test_fixable_only_off_counts_unfixable(cache: Path) -> None:
    res = _run(_gate(cache, fixable_only=False), _pod(CLEAN))["vulnerabilities"]
    assert res.result is Result.FAIL and ADV[5][0] in res.message and "1 high" in res.message


def test_exemptions_active_and_expired(cache: Path) -> None:
    scoped = VulnExemption(
        "vendor fix pending", ("ghcr.io/acme/*",), frozenset(ADV[i][0] for i in (0, 1)), FAR
    )
    assert (
        _run(_gate(cache, exemptions=(scoped,)), _pod(APP))["vulnerabilities"].result is Result.PASS
    )
    other_image = VulnExemption("x", ("ghcr.io/other/*",), frozenset({ADV[0][0]}), FAR)
    assert (
        _run(_gate(cache, exemptions=(other_image,)), _pod(APP))["vulnerabilities"].result
        is Result.FAIL
    )
    old = VulnExemption("ticket SEC-1", (), frozenset({ADV[0][0]}), dt.date(2000, 1, 1))
    res = _run(_gate(cache, exemptions=(old,)), _pod(APP))["vulnerabilities"]
    assert res.result is Result.FAIL and ADV[0][0] in res.message
    assert "ticket SEC-1) expired 2000-01-01" in res.message


def test_unscanned_deny_and_allow_audit(cache: Path) -> None:
    image = "docker.io/library/nginx:1.27"
    denied = _run(_gate(cache), _pod(image))["unscanned"]
    assert denied.result is Result.FAIL and image in denied.message
    audited = _run(_gate(cache, unscanned=Unscanned.ALLOW_AUDIT), _pod(image))["unscanned"]
    assert audited.result is Result.WARN and audited.audit_annotations


def test_digest_pinned_image_matches_by_digest(cache: Path) -> None:
    moved = f"mirror.example.com/app@{APP_DIGEST}"
    assert _run(_gate(cache), _pod(moved))["vulnerabilities"].result is Result.FAIL
    unknown = _run(_gate(cache), _pod(f"ghcr.io/acme/app:1.0@sha256:{'3' * 64}"))
    assert unknown["unscanned"].result is Result.FAIL
    assert (
        _run(_gate(cache), _pod(f"clean@{CLEAN_DIGEST}"))["vulnerabilities"].result is Result.PASS
    )


def test_init_containers_and_deployment_template(cache: Path) -> None:
    res = _run(_gate(cache), _pod(CLEAN, init=[APP]))["vulnerabilities"]
    assert res.result is Result.FAIL and APP in res.message
    dep = deployment(containers=[container(image="ghcr.io/acme/app:1.0")])
    assert _run(_gate(cache), dep)["vulnerabilities"].result is Result.FAIL


def test_cache_rereads_when_directory_changes(cache: Path) -> None:
    gate = _gate(cache)
    image = "ghcr.io/acme/new:3"
    assert "unscanned" in _run(gate, _pod(image))
    _write(cache, "new.json", image, "sha256:" + "4" * 64, "2026-07-01T00:00:00Z", [])
    assert "unscanned" not in _run(gate, _pod(image))


def _config(gate: object, base: Path) -> AdmissionConfig:
    return parse_config({"builtin": {"pss": None, "vulnerability_gate": gate}}, base)


def test_config_parses_gate(cache: Path) -> None:
    cfg = _config(
        {
            "reports": cache.name,
            "severity": "critical",
            "fixable_only": False,
            "unscanned": "allow-audit",
            "action": "warn",
            "exemptions": [
                {"images": ["ghcr.io/acme/*"], "reason": "r", "expires": dt.date(2027, 1, 1)},
                {"advisories": [ADV[0][0]], "reason": "r", "expires": "2027-02-01"},
            ],
        },
        cache.parent,
    )
    gate = cfg.vuln_gate
    assert gate is not None and gate.reports == cache and gate.severity is Severity.CRITICAL
    assert gate.unscanned is Unscanned.ALLOW_AUDIT and gate.exemptions[1].expires == dt.date(
        2027, 2, 1
    )
    assert [p.name for p in builtin_policies(pss=None, vuln_gate=gate)] == ["vulnerability-gate"]


@pytest.mark.parametrize(
    ("gate", "message"),
    [
        ({"severity": "high"}, "reports must be"),
        ({"reports": "s", "severity": "severe"}, "severity: 'severe' is not one of"),
        ({"reports": "s", "unscanned": "ignore"}, "unscanned: 'ignore'"),
        ({"reports": "s", "action": "audit"}, "action: 'audit' is not one of deny, warn"),
        ({"reports": "s", "fixable_only": "yes"}, "fixable_only must be true or false"),
        ({"reports": "s", "bogus": 1}, "unknown keys ['bogus']"),
        ({"reports": "s", "exemptions": {}}, "exemptions must be a list"),
        (
            {"reports": "s", "exemptions": [{"reason": "r", "expires": "2027-01-01"}]},
            "needs images and/or advisories",
        ),
        (
            {"reports": "s", "exemptions": [{"images": ["a"], "expires": "2027-01-01"}]},
            "reason must be",
        ),
        (
            {"reports": "s", "exemptions": [{"images": ["a"], "reason": "r"}]},
            "expires must be a date",
        ),
        (
            {"reports": "s", "exemptions": [{"images": ["a"], "reason": "r", "expires": "soon"}]},
            "expires must be a date",
        ),
        (
            {
                "reports": "s",
                "exemptions": [{"images": "a", "reason": "r", "expires": "2027-01-01"}],
            },
            "images must be a list",
        ),
    ],
)
def test_config_errors(tmp_path: Path, gate: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        _config(gate, tmp_path)
    assert message in info.value.message and "builtin.vulnerability_gate" in info.value.message


def test_missing_reports_directory_fails_at_load(tmp_path: Path) -> None:
    cfg = _config({"reports": "nowhere"}, tmp_path)
    with pytest.raises(ConfigError, match="nowhere"):
        load_admission_policies(cfg)


def test_engine_denies_vulnerable_deployment(cache: Path) -> None:
    cfg = _config({"reports": str(cache)}, cache.parent)
    policies, _ = load_admission_policies(cfg)
    engine = AdmissionEngine(policies, cfg)
    ok = engine.decide(
        parse_review(json.dumps(review(deployment(containers=[container(image=CLEAN)]))).encode())
    )
    assert ok.allowed, ok.message
    body = review(deployment(containers=[container(image=APP)]))
    decision = engine.decide(parse_review(json.dumps(body).encode()))
    assert not decision.allowed and decision.code == 403
    assert "[vulnerability-gate] vulnerabilities:" in decision.message
    assert f"{APP}: 1 critical, 1 high ({ADV[0][0]}" in decision.message


# -- the incremental cache -------------------------------------------------------------


class _Counting:
    """A report reader that records which files it parsed."""

    def __init__(self) -> None:
        self.parsed: list[str] = []

    def __call__(self, path: Path) -> ScanRecord | None:
        self.parsed.append(path.name)
        return read_report(path)


_TICK = iter(range(1, 1_000_000))


def _touch_dir(directory: Path) -> None:
    """Give the directory a modification time it never had: a new tick of the file
    system's clock, whatever its granularity (two changes within one tick look like one)."""
    ns = 1_700_000_000_000_000_000 + next(_TICK) * 1_000_000_000
    os.utime(directory, ns=(ns, ns))


def _many(directory: Path, n: int) -> None:
    for i in range(n):
        _write(
            directory,
            f"r{i:02}.json",
            f"ghcr.io/acme/r{i}:1",
            f"sha256:{i:064x}",
            "2026-01-01T00:00:00Z",
            [],
        )


def test_incremental_cache_parses_only_new_changed_files(cache: Path) -> None:
    _many(cache, 12)
    reader = _Counting()
    rc = ReportCache(cache, reader)
    assert len(reader.parsed) == 16  # 12 + app-new, z-app-old, clean, notes (not a report)
    reader.parsed.clear()
    r3 = rc.lookup("ghcr.io/acme/r3:1")
    assert r3 is not None and r3.digest == f"sha256:{3:064x}"
    assert reader.parsed == []  # nothing changed: nothing parsed

    image = "ghcr.io/acme/added:1"
    _write(cache, "added.json", image, "sha256:" + "5" * 64, "2026-07-01T00:00:00Z", [])
    _touch_dir(cache)
    added = rc.lookup(image)
    assert reader.parsed == ["added.json"]
    assert added is not None and added.created == "2026-07-01T00:00:00Z"
    r11 = rc.lookup("ghcr.io/acme/r11:1")  # the others are still indexed
    assert r11 is not None and r11.digest == f"sha256:{11:064x}"
    assert rc.lookup(f"x@sha256:{'5' * 64}") is added


def test_incremental_cache_replaced_report_changes_the_verdict(cache: Path) -> None:
    reader = _Counting()
    gate = _gate(cache)
    gate.cache = ReportCache(cache, reader)
    reader.parsed.clear()
    assert _run(gate, _pod(CLEAN))["vulnerabilities"].result is Result.PASS
    # a newer report of the clean image with a fixable critical, renamed over the old one
    tmp = cache.parent / "clean.tmp"
    tmp.mkdir()
    _write(
        tmp,
        "clean.json",
        CLEAN,
        CLEAN_DIGEST,
        "2026-08-01T00:00:00Z",
        [_finding(0, Severity.CRITICAL)],
    )
    os.replace(tmp / "clean.json", cache / "clean.json")
    _touch_dir(cache)
    res = _run(gate, _pod(CLEAN))["vulnerabilities"]
    assert res.result is Result.FAIL and "1 critical" in res.message
    assert reader.parsed == ["clean.json"]


def test_incremental_cache_deleted_report_is_dropped_and_older_one_wins_again(
    cache: Path,
) -> None:
    reader = _Counting()
    rc = ReportCache(cache, reader)
    newest = rc.lookup(APP)
    assert newest is not None and newest.created == "2026-06-01T00:00:00Z"
    reader.parsed.clear()
    (cache / "app-new.json").unlink()
    _touch_dir(cache)
    older = rc.lookup(APP)
    assert older is not None and older.created == "2025-01-01T00:00:00Z" and not older.vulns
    assert rc.lookup(f"a@{APP_DIGEST}") is None  # the deleted report's digest is gone too
    (cache / "z-app-old.json").unlink()
    _touch_dir(cache)
    assert rc.lookup(APP) is None
    assert reader.parsed == []  # deletions parse nothing
    assert "unscanned" in _run(_gate(cache), _pod(APP))


def test_incremental_cache_keeps_skipping_non_reports_until_they_change(cache: Path) -> None:
    reader = _Counting()
    rc = ReportCache(cache, reader)
    (cache / "broken.json").write_text('{"findings": [')  # corrupt: skipped, as before
    _touch_dir(cache)
    app = rc.lookup(APP)
    assert app is not None and app.created == "2026-06-01T00:00:00Z"
    assert reader.parsed.count("broken.json") == 1
    _touch_dir(cache)
    rc.lookup(APP)
    assert reader.parsed.count("broken.json") == 1  # unchanged: not parsed again
    image = "ghcr.io/acme/fixed:1"
    _write(cache, "broken.json", image, "sha256:" + "6" * 64, "2026-07-01T00:00:00Z", [])
    _touch_dir(cache)
    fixed = rc.lookup(image)
    assert fixed is not None and fixed.digest == "sha256:" + "6" * 64
    assert reader.parsed.count("broken.json") == 2


def test_add_indexes_a_written_report_without_a_rescan_parse(cache: Path) -> None:
    reader = _Counting()
    rc = ReportCache(cache, reader)
    reader.parsed.clear()
    image = "ghcr.io/acme/scanned:2"
    _write(cache, "scanned.json", image, "sha256:" + "7" * 64, "2026-07-01T00:00:00Z", [])
    rc.add(cache / "scanned.json")
    assert reader.parsed == ["scanned.json"]
    _touch_dir(cache)
    scanned = rc.lookup(image)
    assert scanned is not None and scanned.digest == "sha256:" + "7" * 64
    assert reader.parsed == ["scanned.json"]  # the directory check found it unchanged
    with pytest.raises(VulnGateError, match="not in the scan reports directory"):
        rc.add(cache.parent / "elsewhere.json")


def test_refresh_catches_changes_within_one_clock_tick(cache: Path) -> None:
    rc = ReportCache(cache)
    stamp = os.stat(cache).st_mtime_ns
    image = "ghcr.io/acme/quick:1"
    _write(cache, "quick.json", image, "sha256:" + "8" * 64, "2026-07-01T00:00:00Z", [])
    os.utime(cache, ns=(stamp, stamp))  # the directory looks unchanged
    assert rc.lookup(image) is None
    rc.refresh()
    quick = rc.lookup(image)
    assert quick is not None and quick.digest == "sha256:" + "8" * 64


def test_index_reports_newest_wins_and_ties_go_to_the_first_name(cache: Path) -> None:
    _write(cache, "a-tie.json", CLEAN, "sha256:" + "a" * 64, "2026-06-01T00:00:00Z", [])
    index = index_reports(cache)
    assert index[image_key(APP)].created == "2026-06-01T00:00:00Z"
    assert index[image_key(CLEAN)].digest == "sha256:" + "a" * 64  # a-tie.json < clean.json
    assert index[f"@{CLEAN_DIGEST}"].digest == CLEAN_DIGEST


def test_on_demand_report_is_indexed_directly_and_parsed_once(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scanner hands each report it wrote to the cache (the child process is replaced
    by one writing a report, as the worker does: a temporary file renamed into place)."""
    image = "ghcr.io/acme/ondemand:4"
    reader = _Counting()
    gate = _gate(cache, unscanned=Unscanned.SCAN)
    gate.close()
    gate.cache = ReportCache(cache, reader)
    reader.parsed.clear()
    gate.scanner = OnDemandScanner(cache, ScanSettings(), gate.cache.add)

    def fake_scan(img: str) -> tuple[Path | None, str]:
        out = cache / report_name(img)
        tmp = cache.parent / "worker.tmp"
        tmp.mkdir()
        _write(tmp, out.name, img, "sha256:" + "c" * 64, "2026-07-01T00:00:00Z", [])
        stamp = os.stat(cache).st_mtime_ns
        os.replace(tmp / out.name, out)
        os.utime(cache, ns=(stamp, stamp))  # within one clock tick: only add() can tell
        return out, ""

    monkeypatch.setattr(gate.scanner, "_scan", fake_scan)
    try:
        res = _run(gate, _pod(image))
    finally:
        gate.close()
    assert set(res) == {"vulnerabilities"} and res["vulnerabilities"].result is Result.PASS
    assert reader.parsed == [report_name(image)]
    _touch_dir(cache)
    assert gate.cache.lookup(image) is not None
    assert reader.parsed == [report_name(image)]  # by add; the directory check parsed nothing
