"""Findings: what every stage reports (vulnerabilities, hardening, posture, ...)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hardhull.model.package import Location, Package
from hardhull.model.resource import ResourceRef


class Severity(StrEnum):
    """Severity levels, ordered by :attr:`rank`."""

    UNKNOWN = "unknown"
    NEGLIGIBLE = "negligible"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        """``"High"`` -> ``Severity.HIGH``; raises ``ValueError`` for unknown words."""
        return cls(text.strip().lower())

    @classmethod
    def from_score(cls, score: float) -> Severity:
        """CVSS base score bands (v3/v4): 0 none->negligible, <4 low, <7 medium, <9 high."""
        if score <= 0.0:
            return cls.NEGLIGIBLE
        if score < 4.0:
            return cls.LOW
        if score < 7.0:
            return cls.MEDIUM
        if score < 9.0:
            return cls.HIGH
        return cls.CRITICAL


_RANK = {
    Severity.UNKNOWN: 0,
    Severity.NEGLIGIBLE: 1,
    Severity.LOW: 2,
    Severity.MEDIUM: 3,
    Severity.HIGH: 4,
    Severity.CRITICAL: 5,
}


class FindingKind(StrEnum):
    VULNERABILITY = "vulnerability"
    HARDENING = "hardening"
    POSTURE = "posture"
    POLICY = "policy"
    DRIFT = "drift"
    RUNTIME = "runtime"


class Status(StrEnum):
    FAIL = "fail"
    WARN = "warn"
    PASS = "pass"
    ERROR = "error"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Score:
    """A computed severity score: ``source`` (``CVSS_V3``, ``CVSS_V4``, ``Debian``...),
    the ``vector`` or label it came from, and the numeric base score when there is one."""

    source: str
    vector: str
    value: float | None = None


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a finding is suppressed: ``kind`` ``ignore`` or ``vex``, who said it, until when."""

    kind: str
    reason: str
    source: str
    expires: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One result.

    ``rule_id`` is the advisory id for vulnerabilities and the check id otherwise.
    ``subject`` names what the finding is about (a package id, a path, a resource).
    ``evidence`` holds sorted ``(key, value)`` pairs that explain it: what was searched,
    what matched (for vulnerabilities: ``ecosystem``, ``searched_name``, ``range``,
    ``installed``...). Vulnerability-only fields are empty for other kinds.
    """

    kind: FindingKind
    status: Status
    severity: Severity
    rule_id: str
    title: str
    subject: str
    message: str = ""
    package: Package | None = None
    locations: tuple[Location, ...] = ()
    aliases: tuple[str, ...] = ()
    fixed_versions: tuple[str, ...] = ()
    scores: tuple[Score, ...] = ()
    kev: bool = False
    epss: float | None = None
    references: tuple[str, ...] = ()
    evidence: tuple[tuple[str, str], ...] = ()
    fix: str | None = None
    suppressed: Suppression | None = None
    resource: ResourceRef | None = None

    @property
    def fixable(self) -> bool:
        return bool(self.fixed_versions)

    def sort_key(self) -> tuple[int, str, str, str]:
        return (-self.severity.rank, self.rule_id, self.subject, self.kind.value)
