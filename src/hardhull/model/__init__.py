"""Plain, frozen value types that flow between hardhull's stages. No I/O here."""

from __future__ import annotations

from hardhull.model.advisory import (
    Advisory,
    Affected,
    AffectedRange,
    EventKind,
    RangeEvent,
    SeverityScore,
)
from hardhull.model.coverage import Coverage, Gap
from hardhull.model.files import FileEntry, FileKind
from hardhull.model.finding import Finding, FindingKind, Score, Severity, Status, Suppression
from hardhull.model.package import Distro, Location, Package, PackageType
from hardhull.model.report import DbInfo, HardeningSummary, Report
from hardhull.model.resource import Resource, ResourceRef
from hardhull.model.sbom import ImageConfig, LayerInfo, Relationship, Sbom, SourceInfo

__all__ = [
    "Advisory",
    "Affected",
    "AffectedRange",
    "Coverage",
    "DbInfo",
    "Distro",
    "EventKind",
    "FileEntry",
    "FileKind",
    "Finding",
    "FindingKind",
    "Gap",
    "HardeningSummary",
    "ImageConfig",
    "LayerInfo",
    "Location",
    "Package",
    "PackageType",
    "RangeEvent",
    "Relationship",
    "Report",
    "Resource",
    "ResourceRef",
    "Sbom",
    "Score",
    "Severity",
    "SeverityScore",
    "SourceInfo",
    "Status",
    "Suppression",
]
