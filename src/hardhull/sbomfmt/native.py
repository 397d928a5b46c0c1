"""hardhull's own JSON document: every field of the model, stable and sorted.

Shape (``schema`` 1): ``{"schema", "tool", "created", "source", "distro", "packages",
"relationships", "coverage", "files"}``; each package has at least ``type``, ``name``,
``version``, ``purl`` and ``locations``.
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

import orjson

from hardhull.model import Coverage, Distro, FileEntry, Package, Sbom, SourceInfo

SCHEMA_VERSION = 1


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def native_source(source: SourceInfo) -> dict[str, Any]:
    """The ``source`` section of the hardhull JSON document."""
    out: dict[str, Any] = _plain(source)
    if source.config is not None:
        out["config"]["labels"] = dict(source.config.labels)
    return out


def native_coverage(coverage: Coverage) -> dict[str, Any]:
    """The ``coverage`` section, with the derived flags spelled out."""
    out: dict[str, Any] = _plain(coverage)
    out["has_package_database"] = coverage.has_package_database
    out["unidentified_executable_count"] = len(coverage.unidentified_executables)
    return out


def native_distro(distro: Distro | None) -> dict[str, Any] | None:
    """The ``distro`` section (``None`` when no distribution was identified)."""
    out: dict[str, Any] | None = _plain(distro)
    return out


def native_package(pkg: Package) -> dict[str, Any]:
    """One entry of ``packages``: every field of the package plus its ``id``."""
    item: dict[str, Any] = _plain(pkg)
    item["id"] = pkg.id
    item["metadata"] = dict(pkg.metadata)
    return item


def native_file(entry: FileEntry) -> dict[str, Any]:
    """One entry of ``files`` (spelled out: an image can hold 50,000 of them)."""
    return {
        "digest": entry.digest,
        "gid": entry.gid,
        "kind": entry.kind.value,
        "layer": entry.layer,
        "link": entry.link,
        "mode": entry.mode,
        "path": entry.path,
        "size": entry.size,
        "uid": entry.uid,
    }


def to_native_dict(sbom: Sbom) -> dict[str, Any]:
    """The hardhull JSON document as plain Python data."""
    return {
        "schema": SCHEMA_VERSION,
        "tool": {"name": sbom.tool, "version": sbom.tool_version},
        "created": sbom.created,
        "source": native_source(sbom.source),
        "distro": native_distro(sbom.distro),
        "packages": [native_package(pkg) for pkg in sbom.packages],
        "relationships": _plain(sbom.relationships),
        "coverage": native_coverage(sbom.coverage),
        "files": [native_file(entry) for entry in sbom.files],
    }


def to_native_json(sbom: Sbom) -> bytes:
    """Serialise as indented JSON with sorted keys."""
    return orjson.dumps(to_native_dict(sbom), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
