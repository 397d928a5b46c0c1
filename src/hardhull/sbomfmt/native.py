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

from hardhull.model import Sbom

SCHEMA_VERSION = 1


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def to_native_dict(sbom: Sbom) -> dict[str, Any]:
    """The hardhull JSON document as plain Python data."""
    packages = []
    for pkg in sbom.packages:
        item = _plain(pkg)
        item["id"] = pkg.id
        item["metadata"] = dict(pkg.metadata)
        packages.append(item)
    coverage = _plain(sbom.coverage)
    coverage["has_package_database"] = sbom.coverage.has_package_database
    coverage["unidentified_executable_count"] = len(sbom.coverage.unidentified_executables)
    source = _plain(sbom.source)
    if sbom.source.config is not None:
        source["config"]["labels"] = dict(sbom.source.config.labels)
    return {
        "schema": SCHEMA_VERSION,
        "tool": {"name": sbom.tool, "version": sbom.tool_version},
        "created": sbom.created,
        "source": source,
        "distro": _plain(sbom.distro),
        "packages": packages,
        "relationships": _plain(sbom.relationships),
        "coverage": coverage,
        "files": _plain(sbom.files),
    }


def to_native_json(sbom: Sbom) -> bytes:
    """Serialise as indented JSON with sorted keys."""
    return orjson.dumps(to_native_dict(sbom), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
