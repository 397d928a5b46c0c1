"""Rust dependency lists embedded by ``cargo auditable`` (the ``.dep-v0`` section).

The section holds zlib-compressed JSON: ``{"packages": [{"name", "version", "source",
"kind", "dependencies", "root"}, ...], "format": N}``. ``source`` is ``crates.io``,
``git``, ``local``, ``registry`` or ``other``; ``kind`` is ``runtime`` (the default) or
``build``; ``dependencies`` are indexes into ``packages``; ``root`` (default false) marks
the crate the binary was built from. Decompression is bounded: a section that inflates
past the limit is rejected rather than read.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import orjson

from hardhull.errors import CatalogError

SECTION = ".dep-v0"
MAX_COMPRESSED = 16 * 1024 * 1024
MAX_JSON = 64 * 1024 * 1024


class AuditableError(CatalogError, ValueError):
    """The section exists but is not valid cargo-auditable data."""


@dataclass(frozen=True, slots=True)
class RustPackage:
    """One crate from the embedded dependency list."""

    name: str
    version: str
    source: str = "crates.io"
    kind: str = "runtime"
    dependencies: tuple[int, ...] = ()
    root: bool = False


@dataclass(frozen=True, slots=True)
class AuditInfo:
    """The decoded ``.dep-v0`` content."""

    packages: tuple[RustPackage, ...]
    format: int | None = None


def decode_dep_v0(blob: bytes, max_json: int = MAX_JSON) -> AuditInfo:
    """Inflate and validate a ``.dep-v0`` section."""
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(blob, max_json)
    except zlib.error as exc:
        raise AuditableError(f"not zlib data: {exc}") from exc
    if inflater.unconsumed_tail:
        raise AuditableError(f"inflates past {max_json} bytes")
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise AuditableError(f"not JSON: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("packages"), list):
        raise AuditableError("no 'packages' list")
    raw = doc["packages"]
    packages = []
    for item in raw:
        if not isinstance(item, dict):
            raise AuditableError("package entry is not an object")
        name, version = item.get("name"), item.get("version")
        if not isinstance(name, str) or not isinstance(version, str) or not name:
            raise AuditableError("package without name/version")
        deps = item.get("dependencies", [])
        if not isinstance(deps, list) or not all(
            isinstance(d, int) and 0 <= d < len(raw) for d in deps
        ):
            raise AuditableError(f"bad dependency indexes for {name}")
        source = item.get("source", "crates.io")
        kind = item.get("kind", "runtime")
        packages.append(
            RustPackage(
                name=name,
                version=version,
                source=source if isinstance(source, str) else "other",
                kind=kind if isinstance(kind, str) else "runtime",
                dependencies=tuple(deps),
                root=item.get("root") is True,
            )
        )
    fmt = doc.get("format")
    return AuditInfo(tuple(packages), fmt if isinstance(fmt, int) else None)
