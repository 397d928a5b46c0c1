"""The issue's correctness clauses on the real advisory data in ``../shared/data``."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.version import InvalidVersion, Version
from tests.unit.version import refkit

from hardhull.model import Affected, AffectedRange, EventKind, RangeEvent
from hardhull.version import VersionError, affected_by, compare, compile_affected

PYPA = refkit.DATA / "pypa-advisory-database" / "vulns"
GOVULN = refkit.DATA / "golang-vulndb" / "data" / "osv"


def _affected(entry: Mapping[str, Any]) -> Affected:
    pkg = entry.get("package", {})
    ranges = tuple(
        AffectedRange(
            str(r.get("type", "")),
            tuple(
                RangeEvent(EventKind(k), str(v))
                for ev in r.get("events", [])
                for k, v in ev.items()
                if k in EventKind._value2member_map_
            ),
        )
        for r in entry.get("ranges", [])
    )
    return Affected(
        str(pkg.get("ecosystem", "")),
        str(pkg.get("name", "")),
        ranges=ranges,
        versions=tuple(str(v) for v in entry.get("versions", []) or []),
    )


def _need(path: Path) -> None:
    if not path.exists():
        msg = f"shared advisory data missing: {path}"
        if refkit.IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture(scope="module")
def pypi_entries() -> list[Affected]:
    _need(PYPA)
    out = []
    for path in sorted(PYPA.rglob("*.yaml")):
        rec = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
        out.extend(_affected(a) for a in rec.get("affected", []))
    return out


@pytest.fixture(scope="module")
def go_entries() -> list[Affected]:
    _need(GOVULN)
    out = []
    for path in sorted(GOVULN.glob("*.json")):
        rec = json.loads(path.read_text())
        out.extend(_affected(a) for a in rec.get("affected", []))
    return out


def test_every_listed_pypi_version_is_affected(pypi_entries: list[Affected]) -> None:
    listed = [(a, v) for a in pypi_entries for v in a.versions]
    assert len(listed) > 10_000
    missed = [f"{a.name} {v}" for a, v in listed if affected_by("PyPI", v, a) is None]
    assert missed == []


def test_pypi_ranges_agree_with_versions_lists(pypi_entries: list[Affected]) -> None:
    """The ECOSYSTEM ranges alone (versions[] dropped) cover the listed versions."""
    total, missed = 0, []
    for a in pypi_entries:
        if not a.versions or not any(r.type == "ECOSYSTEM" for r in a.ranges):
            continue
        ranges_only = compile_affected("PyPI", Affected(a.ecosystem, a.name, ranges=a.ranges))
        for v in a.versions:
            total += 1
            if ranges_only.match(v) is None:
                missed.append(f"{a.name} {v}")
    assert total > 10_000
    # A few records list versions outside their own ranges (data errors upstream).
    assert len(missed) / total < 0.005, missed[:20]


def test_pypi_order_agrees_with_packaging(pypi_entries: list[Affected]) -> None:
    checked = 0
    for a in pypi_entries:
        fixed = [e.value for r in a.ranges for e in r.events if e.kind is EventKind.FIXED]
        for v in a.versions[:20]:
            for f in fixed:
                try:
                    want = (Version(v) > Version(f)) - (Version(v) < Version(f))
                except InvalidVersion:
                    continue
                assert compare("PyPI", v, f) == want, (v, f)
                checked += 1
    assert checked > 5_000


def test_go_events_all_parse_and_cover_their_bounds(go_entries: list[Affected]) -> None:
    assert len(go_entries) > 4_000
    for a in go_entries:
        compiled = compile_affected("Go", a)
        for rng in compiled.ranges:
            assert rng.skipped == (), (a.name, rng.skipped)
            for ev in rng.events:
                if ev.kind is EventKind.INTRODUCED and ev.value != "0":
                    # An introduced version is affected unless a fix at the same version.
                    hit = compiled.match(ev.value)
                    assert hit is not None or any(
                        e.kind is EventKind.FIXED and compare("Go", e.value, ev.value) == 0
                        for e in rng.events
                    ), (a.name, ev.value)
                if ev.kind is EventKind.FIXED:
                    assert rng.match((1, rng.scheme.parse(ev.value))) is None, (a.name, ev.value)


def test_go_stdlib_matches_toolchain_tags(go_entries: list[Affected]) -> None:
    stdlib = [a for a in go_entries if a.name == "stdlib"]
    assert stdlib
    hits = sum(1 for a in stdlib if affected_by("Go", "go1.20rc1", a) is not None)
    assert hits > 10


def _debian_pairs(installed: Mapping[str, str]) -> Iterator[tuple[str, str, str]]:
    for rec in refkit.debian_records():
        for aff in rec.get("affected", []):  # type: ignore[attr-defined]
            name = aff.get("package", {}).get("name")
            if name not in installed:
                continue
            for rng in aff.get("ranges", []):
                for ev in rng.get("events", []):
                    if "fixed" in ev:
                        yield name, installed[name], ev["fixed"]


def test_debian_fixed_pairs_agree_with_dpkg(pytestconfig: pytest.Config) -> None:
    installed = refkit.installed_dpkg_versions()
    if not installed:
        pytest.skip("no dpkg status on this machine")
    triples = sorted(set(_debian_pairs(installed)))
    assert len(triples) > 100
    pairs = [(v, f) for _, v, f in triples]
    assert pytestconfig.cache is not None
    theirs = refkit.dpkg_compare(Path(pytestconfig.cache.mkdir("hardhull-version-ref")), pairs)
    ours = [compare("Debian:12", v, f) for v, f in pairs]
    wrong = [t for t, o, r in zip(triples, ours, theirs, strict=True) if o != r]
    assert wrong == []


def test_debian_records_compile_without_skipped_events() -> None:
    _need(refkit.DATA / "debian-osv-bookworm")
    skipped = []
    for n, rec in enumerate(refkit.debian_records()):
        if n % 10:  # every tenth record keeps this test quick
            continue
        for entry in rec.get("affected", []):  # type: ignore[attr-defined]
            try:
                compiled = compile_affected("Debian:12", _affected(entry))
            except VersionError as exc:  # pragma: no cover - reported below
                skipped.append(str(exc))
                continue
            skipped.extend(s for r in compiled.ranges for s in r.skipped)
    assert skipped == []
