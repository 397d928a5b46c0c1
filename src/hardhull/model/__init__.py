"""Plain, frozen value types that flow between hardhull's stages. No I/O here."""

from __future__ import annotations

from hardhull.model.coverage import Coverage, Gap
from hardhull.model.files import FileEntry, FileKind
from hardhull.model.package import Distro, Location, Package, PackageType
from hardhull.model.sbom import ImageConfig, LayerInfo, Relationship, Sbom, SourceInfo

__all__ = [
    "Coverage",
    "Distro",
    "FileEntry",
    "FileKind",
    "Gap",
    "ImageConfig",
    "LayerInfo",
    "Location",
    "Package",
    "PackageType",
    "Relationship",
    "Sbom",
    "SourceInfo",
]
