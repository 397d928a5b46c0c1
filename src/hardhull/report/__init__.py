"""Scan report formats: table, json, sarif, cyclonedx, spdx, html (and the SBOM table).

``write_report(report, fmt)`` is the one entry point the CLI, the agent and the hub use.
Every format is deterministic for a given :class:`~hardhull.model.Report` and carries the
coverage, including a loud warning when no package database was found.
"""

from __future__ import annotations

from hardhull.errors import UsageError
from hardhull.model import Report

FORMATS: tuple[str, ...] = ("table", "json", "sarif", "cyclonedx", "spdx", "html")


def write_report(report: Report, fmt: str, *, color: bool = False) -> bytes:
    """Serialise ``report`` as one of :data:`FORMATS`; ``color`` only affects ``table``."""
    if fmt == "table":
        from hardhull.report.scan_table import render_scan_table

        return render_scan_table(report, color=color).encode()
    if fmt == "json":
        from hardhull.report.scan_json import to_scan_json

        return to_scan_json(report)
    if fmt == "sarif":
        from hardhull.report.sarif import to_sarif_json

        return to_sarif_json(report)
    if fmt in ("cyclonedx", "spdx"):
        import orjson

        from hardhull.report.documents import to_report_cyclonedx_dict, to_report_spdx_dict

        build = to_report_cyclonedx_dict if fmt == "cyclonedx" else to_report_spdx_dict
        return orjson.dumps(build(report), option=orjson.OPT_INDENT_2)
    if fmt == "html":
        from hardhull.report.html import render_html

        return render_html(report).encode()
    raise UsageError(f"unknown report format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "write_report"]
