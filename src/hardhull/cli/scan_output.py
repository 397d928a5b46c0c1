"""Output helpers of ``hardhull scan image``: report file, database warnings, OpenVEX out."""

from __future__ import annotations

import json
from pathlib import Path

import click

from hardhull.cli.output import emit
from hardhull.match.suppress import openvex_document
from hardhull.model import Report


def print_db_warnings(report: Report) -> None:
    """The database's own warnings (staleness) on stderr."""
    if report.db is None:
        return
    for warning in report.db.warnings:
        click.echo(f"hardhull: warning: {warning}", err=True)
    if report.db.stale and not report.db.warnings:
        click.echo(
            f"hardhull: warning: the vulnerability database ({report.db.path}) is stale; "
            "run `hardhull db update`",
            err=True,
        )


def write_vex_out(report: Report, path: Path) -> None:
    """Write the OpenVEX document of ``report``'s conclusions to ``path``."""
    doc = openvex_document(report.findings, report.sbom.source, report.created)
    emit((json.dumps(doc, indent=2, sort_keys=True) + "\n").encode(), path)
