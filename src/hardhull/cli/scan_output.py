"""Output helpers of ``hardhull scan image``: report file, database warnings, OpenVEX out."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from hardhull.errors import UsageError
from hardhull.match.suppress import openvex_document
from hardhull.model import Report


def emit(data: bytes, output: Path | None) -> None:
    """Write ``data`` to ``output`` atomically, or to standard output."""
    if output is None:
        sys.stdout.buffer.write(data)
        if not data.endswith(b"\n"):
            sys.stdout.buffer.write(b"\n")
        sys.stdout.flush()
        return
    tmp = output.with_name(output.name + ".tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(output)
    except OSError as exc:
        raise UsageError(f"{output}: cannot write ({exc.strerror})") from exc


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
