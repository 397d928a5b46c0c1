"""The software bill of materials: the currency between cataloging and matching."""

from __future__ import annotations

from dataclasses import dataclass

from hardhull.model.coverage import Coverage
from hardhull.model.files import FileEntry
from hardhull.model.package import Distro, Package


@dataclass(frozen=True, slots=True)
class LayerInfo:
    """One layer of an image: compressed blob digest, uncompressed diff id, sizes."""

    digest: str
    media_type: str
    size: int
    diff_id: str | None = None
    created_by: str | None = None


@dataclass(frozen=True, slots=True)
class ImageConfig:
    """The parts of an OCI image configuration later stages need (hardening, drift)."""

    architecture: str | None = None
    os: str | None = None
    variant: str | None = None
    user: str | None = None
    env: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    working_dir: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    exposed_ports: tuple[str, ...] = ()
    healthcheck: tuple[str, ...] | None = None
    history: tuple[str, ...] = ()
    created: str | None = None


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What was scanned: the target as given, its scheme, and image identity if any."""

    scheme: str
    target: str
    name: str | None = None
    manifest_digest: str | None = None
    config_digest: str | None = None
    platform: str | None = None
    tags: tuple[str, ...] = ()
    layers: tuple[LayerInfo, ...] = ()
    config: ImageConfig | None = None


@dataclass(frozen=True, slots=True)
class Relationship:
    """``parent`` (a package id) ``kind`` (``contains``, ``depends-on``) ``child``."""

    parent: str
    kind: str
    child: str


@dataclass(frozen=True, slots=True)
class Sbom:
    """Everything known about an image's contents, plus the coverage that qualifies it."""

    source: SourceInfo
    packages: tuple[Package, ...]
    coverage: Coverage
    distro: Distro | None = None
    relationships: tuple[Relationship, ...] = ()
    files: tuple[FileEntry, ...] = ()
    tool: str = "hardhull"
    tool_version: str = ""
    created: str = ""
