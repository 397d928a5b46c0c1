"""A readable summary of an SBOM: packages by type, then coverage. Placeholder table."""

from __future__ import annotations

from hardhull.model import Sbom


def render_sbom_table(sbom: Sbom) -> str:
    """Plain-text table of packages followed by the coverage summary."""
    lines = [f"{'TYPE':<14} {'NAME':<40} VERSION"]
    lines += [f"{p.type.value:<14} {p.name:<40} {p.version}" for p in sbom.packages]
    cov = sbom.coverage
    lines.append("")
    lines.append(
        f"packages: {len(sbom.packages)}  layers read: {len(cov.layers_read)}  "
        f"files: {cov.files_examined}"
    )
    if not cov.has_package_database:
        lines.append("NO PACKAGE DATABASE FOUND: contents could not be inventoried")
    return "\n".join(lines) + "\n"
