"""``hardhull scan image TARGET``: vulnerabilities, hardening and coverage of an image."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hardhull.cli.options import (
    SEVERITY_LEVELS,
    fail_on_option,
    image_options,
    output_option,
    source_options,
)
from hardhull.model import Severity

FORMATS = ("table", "json", "sarif", "cyclonedx", "spdx", "html")


@click.group()
def scan() -> None:
    """Scan images for vulnerabilities and hardening problems."""


@scan.command("image")
@click.argument("target")
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Vulnerability database file (default: the one `hardhull db update` keeps).",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Report format.",
)
@output_option
@click.option(
    "--severity",
    type=click.Choice(SEVERITY_LEVELS, case_sensitive=False),
    help="Only report vulnerabilities at or above this level.",
)
@click.option("--only-fixed", is_flag=True, help="Only report vulnerabilities that have a fix.")
@fail_on_option("Exit with code 1 when an unsuppressed finding at or above this level remains.")
@click.option(
    "--ignore-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML list of accepted findings (id, package, reason, expires).",
)
@click.option(
    "--vex",
    "vex_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="OpenVEX or CycloneDX VEX document (repeatable).",
)
@click.option(
    "--vex-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write an OpenVEX document of what hardhull concluded.",
)
@click.option("--no-hardening", is_flag=True, help="Skip the hardened-image baseline checks.")
@image_options
def image(
    target: str,
    db: Path | None,
    fmt: str,
    output: Path | None,
    severity: str | None,
    only_fixed: bool,
    fail_on: str | None,
    ignore_file: Path | None,
    vex_files: tuple[Path, ...],
    vex_out: Path | None,
    no_hardening: bool,
    platform: str | None,
    insecure: bool,
    username: str | None,
    password_stdin: bool,
    quiet: bool,
) -> None:
    """Scan TARGET (any target `hardhull sbom` accepts) for vulnerabilities and
    hardening problems.

    \b
    Every report carries coverage: what could not be examined or matched (no
    advisories for an ecosystem, ranges that cannot be evaluated, a stale database)
    is listed, never reported as clean. Suppressed findings stay in the report,
    marked, and do not count for --fail-on.

    \b
    Examples:
      hardhull scan image app.oci.tar
      hardhull scan image registry:127.0.0.1:5000/app:1 --insecure --fail-on high
      hardhull scan image podman:localhost/app --format sarif -o app.sarif

    Exit codes: 0 done, 1 --fail-on tripped, 2 bad input, unreadable target or database.
    """
    from hardhull.cli.output import emit
    from hardhull.cli.progress import cli_progress
    from hardhull.cli.scan_output import print_db_warnings, write_vex_out
    from hardhull.report import write_report
    from hardhull.scan import SbomOptions
    from hardhull.scanning import ScanOptions, failing, scan_image

    with cli_progress(enabled=not quiet) as progress:
        source = source_options(platform, insecure, username, password_stdin, progress)
        report = scan_image(
            target,
            ScanOptions(
                db=db,
                sbom=SbomOptions(source=source, include_files=False),
                hardening=not no_hardening,
                ignore_file=ignore_file,
                vex_files=vex_files,
                min_severity=Severity.parse(severity) if severity else None,
                only_fixed=only_fixed,
            ),
        )
    print_db_warnings(report)
    color = fmt == "table" and output is None and sys.stdout.isatty()
    emit(write_report(report, fmt, color=color), output)
    if vex_out is not None:
        write_vex_out(report, vex_out)
    if fail_on:
        standing = failing(report, Severity.parse(fail_on))
        if standing:
            click.echo(
                f"hardhull: {len(standing)} finding(s) at or above {fail_on} (--fail-on)",
                err=True,
            )
            sys.exit(1)


__all__ = ["FORMATS", "image", "scan"]
