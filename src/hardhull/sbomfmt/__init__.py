"""SBOM documents: CycloneDX 1.6 JSON, SPDX 2.3 JSON and hardhull JSON, both ways."""

from __future__ import annotations

from hardhull.errors import UsageError
from hardhull.model import Sbom


def write_sbom(sbom: Sbom, fmt: str) -> bytes:
    """Serialise ``sbom`` as ``json`` (hardhull), ``cyclonedx`` or ``spdx``; sorted, stable."""
    if fmt == "json":
        from hardhull.sbomfmt.native import to_native_json

        return to_native_json(sbom)
    if fmt == "cyclonedx":
        from hardhull.sbomfmt.cyclonedx import to_cyclonedx_json

        return to_cyclonedx_json(sbom)
    if fmt == "spdx":
        from hardhull.sbomfmt.spdx import to_spdx_json

        return to_spdx_json(sbom)
    raise UsageError(f"unknown SBOM format {fmt!r}")
