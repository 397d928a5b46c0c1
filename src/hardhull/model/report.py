"""A scan report: the SBOM, the findings about it, and how fresh the knowledge was."""

from __future__ import annotations

from dataclasses import dataclass

from hardhull.model.coverage import Coverage
from hardhull.model.finding import Finding
from hardhull.model.sbom import Sbom


@dataclass(frozen=True, slots=True)
class DbInfo:
    """The vulnerability database a scan used: path, schema, build time, per-source counts."""

    path: str
    schema_version: int
    built: str
    sources: tuple[tuple[str, str], ...] = ()  # (source name, last updated)
    records: int = 0
    stale: bool = False
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HardeningSummary:
    """The hardened-baseline score (0-100) and the ids of the checks that failed."""

    score: int
    passed: int
    failed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Report:
    """Everything a scan concluded. Findings sorted; coverage never omitted."""

    sbom: Sbom
    findings: tuple[Finding, ...]
    coverage: Coverage
    db: DbInfo | None = None
    hardening: HardeningSummary | None = None
    created: str = ""
