"""Packages against advisories: one ``vulnerability`` finding per (advisory, package).

Fast path: each package is turned into a :class:`LookupKey` once; the database is asked
once per (ecosystem, name); range evaluation is done once per (ecosystem, name, version)
and shared by every package with that key (all binaries of one source package, the same
library vendored twice); CVSS scores, KEV and EPSS are computed once per advisory / CVE.

Aliases: the Debian data has both DSA records and the CVE records they fix (linked by
``related``), PyPI records carry their CVE and GHSA ids as ``aliases``. Every advisory that
matches is kept as its own finding (as Grype does); findings about the same package whose
records name each other (``aliases`` or ``related``) list each other's id in ``aliases``,
so a reader or a suppression rule can see they are one problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from hardhull.match.ecosystems import LookupKey, Unmatchable, lookup_key
from hardhull.match.severity import scores_of, severity_of
from hardhull.model import (
    Advisory,
    Affected,
    Distro,
    EventKind,
    Finding,
    FindingKind,
    Gap,
    Package,
    Score,
    Severity,
    Status,
)
from hardhull.version import RangeMatch, VersionError, affected_by, compare, has_only_git_ranges


class AdvisorySource(Protocol):
    """What matching needs from the database (``VulnStore`` provides it)."""

    def lookup(self, ecosystem: str, name: str) -> list[Advisory]: ...

    def kev(self, cve: str) -> bool: ...

    def epss(self, cve: str) -> float | None: ...


@dataclass(frozen=True, slots=True)
class Hit:
    """One advisory that matched a (ecosystem, name, version)."""

    advisory: Advisory
    affected: Affected
    match: RangeMatch
    fixed: tuple[str, ...]
    fix_to: str | None


@dataclass(slots=True)
class _Evaluation:
    hits: list[Hit] = field(default_factory=list)
    unevaluable: list[str] = field(default_factory=list)
    approximate: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Findings (sorted) and the gaps matching adds to the coverage."""

    findings: tuple[Finding, ...]
    gaps: tuple[Gap, ...]
    packages_checked: int
    packages_skipped: int


@dataclass(frozen=True, slots=True)
class _Facts:
    """What a finding says about an advisory whatever the package: computed once."""

    title: str
    kev: bool
    epss: float | None


def title_of(adv: Advisory) -> str:
    """The advisory's summary, else the first sentence of its details (shortened)."""
    if adv.summary.strip():
        return adv.summary.strip()
    text = " ".join(adv.details.split())
    if not text:
        return adv.id
    first = text.split(". ", 1)[0]
    return first if len(first) <= 120 else first[:117].rstrip() + "..."


class Matcher:
    """Matches packages against an advisory source; reusable across scans (caches persist).

    ``ecosystems`` is the set of ecosystems the database holds any record for; a package
    whose ecosystem is not in it becomes a ``no-advisories`` gap instead of a silent clean.
    ``None`` means unknown (no such gaps are produced). ``exploitation=False`` skips the
    KEV/EPSS lookups (for a database that holds neither).
    """

    def __init__(
        self,
        store: AdvisorySource,
        *,
        ecosystems: frozenset[str] | None = None,
        exploitation: bool = True,
    ) -> None:
        self._store = store
        self._exploitation_known = exploitation
        self._ecosystems = ecosystems
        self._lookups: dict[tuple[str, str], list[Advisory]] = {}
        self._evaluations: dict[tuple[str, str, str], _Evaluation] = {}
        self._scores: dict[tuple[str, int], tuple[tuple[Score, ...], Severity]] = {}
        self._link_cache: dict[tuple[str, str, str], dict[str, set[str]]] = {}
        # keyed by id(): every Advisory stays alive in self._lookups
        self._facts: dict[int, _Facts] = {}
        self._kev: dict[str, bool] = {}
        self._epss: dict[str, float | None] = {}

    # -- lookups -----------------------------------------------------------------------

    def _advisories(self, ecosystem: str, name: str) -> list[Advisory]:
        key = (ecosystem, name)
        found = self._lookups.get(key)
        if found is None:
            found = [a for a in self._store.lookup(ecosystem, name) if not a.withdrawn]
            self._lookups[key] = found
        return found

    def evaluate(self, key: LookupKey) -> _Evaluation:
        """Every advisory whose ranges hold ``key.version`` (cached per key)."""
        ck = (key.ecosystem, key.name, key.version)
        done = self._evaluations.get(ck)
        if done is not None:
            return done
        result = _Evaluation()
        for adv in self._advisories(key.ecosystem, key.name):
            match: RangeMatch | None = None
            matched: Affected | None = None
            fixed: list[str] = []
            for aff in adv.affected:
                if has_only_git_ranges(aff):
                    result.unevaluable.append(adv.id)
                    continue
                try:
                    got = affected_by(key.ecosystem, key.version, aff)
                except VersionError as exc:
                    result.error = str(exc)
                    break
                if got is None:
                    continue
                if any(k == "untranslated" for k, _ in aff.database_specific):
                    result.approximate.append(adv.id)
                if match is None:
                    match, matched = got, aff
                fixes = got.fixed or self._range_fixes(key.ecosystem, key.version, aff)
                fixed.extend(v for v in fixes if v not in fixed)
            if result.error is not None:
                break
            if match is not None and matched is not None:
                fix_to = self._lowest_fix(key.ecosystem, key.version, fixed)
                result.hits.append(Hit(adv, matched, match, tuple(fixed), fix_to))
        self._evaluations[ck] = result
        return result

    def _range_fixes(self, ecosystem: str, installed: str, aff: Affected) -> tuple[str, ...]:
        """Fixed versions above ``installed`` that the entry's ranges name (used when the
        match came from ``versions[]``, which names no fix itself), lowest first."""
        found: list[str] = []
        for rng in aff.ranges:
            if rng.type not in ("ECOSYSTEM", "SEMVER"):
                continue
            for event in rng.events:
                if event.kind is not EventKind.FIXED or event.value in found:
                    continue
                try:
                    if compare(ecosystem, event.value, installed) > 0:
                        found.append(event.value)
                except VersionError:
                    continue
        lowest = self._lowest_fix(ecosystem, installed, found)
        return (lowest,) if lowest is not None else ()

    # -- enrichment --------------------------------------------------------------------

    def _severity(self, adv: Advisory, aff: Affected) -> tuple[tuple[Score, ...], Severity]:
        ck = (adv.id, id(aff))
        done = self._scores.get(ck)
        if done is None:
            scores = scores_of((*adv.severity, *aff.severity))
            done = (scores, severity_of(scores))
            self._scores[ck] = done
        return done

    def _exploitation(self, cves: Iterable[str]) -> tuple[bool, float | None]:
        kev = False
        epss: float | None = None
        if not self._exploitation_known:
            return kev, epss
        for cve in cves:
            if cve not in self._kev:
                self._kev[cve] = self._store.kev(cve)
                self._epss[cve] = self._store.epss(cve)
            kev = kev or self._kev[cve]
            value = self._epss[cve]
            if value is not None and (epss is None or value > epss):
                epss = value
        return kev, epss

    def _lowest_fix(self, ecosystem: str, installed: str, fixed: Sequence[str]) -> str | None:
        best: str | None = None
        for candidate in fixed:
            try:
                if compare(ecosystem, candidate, installed) <= 0:
                    continue
                if best is None or compare(ecosystem, candidate, best) < 0:
                    best = candidate
            except VersionError:
                continue
        return best if best is not None else (fixed[0] if fixed else None)

    # -- findings ----------------------------------------------------------------------

    def _facts_of(self, adv: Advisory) -> _Facts:
        facts = self._facts.get(id(adv))
        if facts is None:
            cves = [i for i in (adv.id, *adv.aliases) if i.upper().startswith("CVE-")]
            facts = _Facts(title_of(adv), *self._exploitation(cves))
            self._facts[id(adv)] = facts
        return facts

    def _finding(
        self, pkg: Package, pkg_id: str, key: LookupKey, hit: Hit, links: set[str]
    ) -> Finding:
        adv = hit.advisory
        scores, severity = self._severity(adv, hit.affected)
        facts = self._facts_of(adv)
        fix_to = hit.fix_to
        evidence = {
            "ecosystem": key.ecosystem,
            "searched_name": key.name,
            "installed": pkg.version,
            "range": hit.match.description,
        }
        if key.version != pkg.version:
            evidence["compared_version"] = key.version
        if key.source_package is not None:
            evidence["source_package"] = key.source_package
        if pkg.locations:
            evidence["path"] = pkg.locations[0].path
            if pkg.locations[0].layer:
                evidence["layer"] = pkg.locations[0].layer
        fixed_text = f"; fixed in {', '.join(hit.fixed)}" if hit.fixed else "; no fix yet"
        aliases = sorted({*adv.aliases, *links} - {adv.id})
        return Finding(
            kind=FindingKind.VULNERABILITY,
            status=Status.FAIL,
            severity=severity,
            rule_id=adv.id,
            title=facts.title,
            subject=pkg_id,
            message=(
                f"{pkg.name} {pkg.version} is affected by {adv.id} "
                f"({key.ecosystem} {key.name} {hit.match.description}){fixed_text}"
            ),
            package=pkg,
            locations=pkg.locations,
            aliases=tuple(aliases),
            fixed_versions=hit.fixed,
            scores=scores,
            kev=facts.kev,
            epss=facts.epss,
            references=adv.references,
            evidence=tuple(sorted(evidence.items())),
            fix=f"upgrade {pkg.name} to {fix_to}" if fix_to else None,
        )

    def _links(self, key: LookupKey, hits: Sequence[Hit]) -> dict[str, set[str]]:
        """For each matched advisory, the other matched ids it names or that name it
        (``aliases`` or ``related``); linear in the number of names, cached per key."""
        ck = (key.ecosystem, key.name, key.version)
        done = self._link_cache.get(ck)
        if done is not None:
            return done
        links: dict[str, set[str]] = {h.advisory.id: set() for h in hits}
        for hit in hits:
            own = hit.advisory.id
            for name in (*hit.advisory.aliases, *hit.advisory.related):
                if name != own and name in links:
                    links[own].add(name)
                    links[name].add(own)
        self._link_cache[ck] = links
        return links

    def match_package(self, pkg: Package, key: LookupKey) -> list[Finding]:
        """Findings for one package already mapped to ``key`` (no gap handling)."""
        hits = self.evaluate(key).hits
        links = self._links(key, hits)
        pkg_id = pkg.id
        return [self._finding(pkg, pkg_id, key, hit, links[hit.advisory.id]) for hit in hits]

    def match(self, packages: Iterable[Package], distro: Distro | None) -> MatchResult:
        """Match every package; returns sorted findings and the matching coverage gaps."""
        findings: list[Finding] = []
        unmatchable: dict[tuple[str, str], tuple[Unmatchable, int]] = {}
        missing: dict[str, int] = {}
        unevaluable: dict[tuple[str, str], set[str]] = {}
        approximate: dict[tuple[str, str], set[str]] = {}
        version_errors: list[Gap] = []
        checked = skipped = 0
        seen: set[tuple[str, str]] = set()
        for pkg in packages:
            key = lookup_key(pkg, distro)
            if isinstance(key, Unmatchable):
                ck = (key.kind, key.group)
                unmatchable[ck] = (key, unmatchable.get(ck, (key, 0))[1] + 1)
                skipped += 1
                continue
            if self._ecosystems is not None and key.ecosystem not in self._ecosystems:
                missing[key.ecosystem] = missing.get(key.ecosystem, 0) + 1
                skipped += 1
                continue
            evaluation = self.evaluate(key)
            if evaluation.error is not None:
                version_errors.append(
                    Gap(
                        "unparsable-version",
                        f"{pkg.name} {pkg.version}",
                        f"{key.ecosystem}: {evaluation.error}; not checked",
                    )
                )
                skipped += 1
                continue
            checked += 1
            if evaluation.unevaluable:
                unevaluable.setdefault((key.ecosystem, key.name), set()).update(
                    evaluation.unevaluable
                )
            if evaluation.approximate:
                approximate.setdefault((key.ecosystem, key.name), set()).update(
                    evaluation.approximate
                )
            for finding in self.match_package(pkg, key):
                dedupe = (finding.rule_id, finding.subject)
                if dedupe not in seen:
                    seen.add(dedupe)
                    findings.append(finding)
        gaps = list(version_errors)
        for (kind, group), (item, count) in unmatchable.items():
            gaps.append(Gap(kind, group, f"{item.detail} ({count} package(s))"))
        for eco, count in missing.items():
            gaps.append(
                Gap(
                    "no-advisories",
                    eco,
                    f"the vulnerability database has no advisories for {eco}; "
                    f"{count} package(s) not checked (import or update that source)",
                )
            )
        for (eco, name), ids in unevaluable.items():
            gaps.append(
                Gap(
                    "unevaluable-range",
                    f"{eco} {name}",
                    f"{', '.join(sorted(ids))}: only GIT commit ranges, which cannot be "
                    "compared with an installed version",
                )
            )
        for (eco, name), ids in approximate.items():
            gaps.append(
                Gap(
                    "approximate-range",
                    f"{eco} {name}",
                    f"{', '.join(sorted(ids))}: the source's range could not be translated "
                    "exactly; the match may be imprecise",
                )
            )
        gaps.sort(key=lambda g: (g.kind, g.subject, g.detail))
        findings.sort(key=Finding.sort_key)
        return MatchResult(tuple(findings), tuple(gaps), checked, skipped)
