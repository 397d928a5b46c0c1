"""Pieces the CycloneDX, SPDX and table writers share: identity, names, coverage words."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from hardhull.model import Coverage, Sbom

# Fixed namespace for hardhull document identifiers (uuid5 over the content identity).
HARDHULL_NAMESPACE = uuid.UUID("6f1d8a52-3c0e-5b7a-9e43-2d51c0a4b8e7")

IMAGE_SCHEMES = frozenset(
    {"oci-dir", "oci-archive", "docker-archive", "podman", "docker", "registry"}
)

NO_DATABASE_MESSAGE = (
    "NO PACKAGE DATABASE FOUND: the contents could NOT be inventoried; "
    "an empty or short package list here does not mean the target holds no software"
)

SBOM_INPUT_GAP = "sbom-input"

EPOCH = "1970-01-01T00:00:00Z"


def document_uuid(sbom: Sbom) -> uuid.UUID:
    """A deterministic UUID for a document: same Sbom value in, same UUID out."""
    h = hashlib.sha256()
    src = sbom.source
    parts = [
        src.scheme,
        src.target,
        src.name or "",
        src.manifest_digest or "",
        src.config_digest or "",
        src.platform or "",
        sbom.tool,
        sbom.tool_version,
        sbom.created,
        sbom.distro.purl_qualifier if sbom.distro else "",
        str(sbom.coverage.files_examined),
        *sbom.coverage.layers_read,
        *sorted(pkg.id for pkg in sbom.packages),
    ]
    for part in parts:
        h.update(part.encode())
        h.update(b"\0")
    return uuid.uuid5(HARDHULL_NAMESPACE, h.hexdigest())


def target_name(sbom: Sbom) -> str:
    """What the document describes, in words: the image name or the target as given."""
    return sbom.source.name or sbom.source.target or "unknown"


def target_digest(sbom: Sbom) -> str | None:
    """The image's identity digest: the manifest digest, else the config digest."""
    return sbom.source.manifest_digest or sbom.source.config_digest


def utc_timestamp(created: str) -> str | None:
    """``created`` as ``YYYY-MM-DDThh:mm:ssZ`` (UTC, whole seconds), or None if unusable."""
    if not created:
        return None
    try:
        when = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def coverage_lines(coverage: Coverage) -> list[str]:
    """The coverage in plain sentences, the loudest first."""
    lines: list[str] = []
    if not coverage.has_package_database:
        lines.append(NO_DATABASE_MESSAGE + ".")
    lines.append(
        f"Layers read: {len(coverage.layers_read)}. Files examined: {coverage.files_examined}."
    )
    dbs = ", ".join(coverage.package_databases[:10]) or "none"
    if len(coverage.package_databases) > 10:
        dbs += f", ... and {len(coverage.package_databases) - 10} more"
    lines.append(f"Package databases read ({len(coverage.package_databases)}): {dbs}.")
    if coverage.catalogers:
        lines.append(f"Catalogers run: {', '.join(coverage.catalogers)}.")
    unknown = coverage.unidentified_executables
    if unknown:
        shown = ", ".join(unknown[:5]) + (", ..." if len(unknown) > 5 else "")
        lines.append(f"Executables no cataloger identified: {len(unknown)} ({shown}).")
    else:
        lines.append("Executables no cataloger identified: 0.")
    if coverage.gaps:
        kinds: dict[str, int] = {}
        for gap in coverage.gaps:
            kinds[gap.kind] = kinds.get(gap.kind, 0) + 1
        summary = ", ".join(f"{kind} x{count}" for kind, count in sorted(kinds.items()))
        lines.append(f"Not examined ({len(coverage.gaps)}): {summary}.")
    else:
        lines.append("Not examined: nothing reported.")
    lines.append("Coverage complete." if coverage.complete else "Coverage INCOMPLETE.")
    return lines
