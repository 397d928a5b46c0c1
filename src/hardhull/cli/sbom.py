"""``hardhull sbom TARGET``: catalog an image, archive, directory or SBOM."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hardhull.cli.options import image_options, source_options
from hardhull.sources.target import SCHEMES

FORMATS = ("table", "json", "cyclonedx", "spdx")


@click.command()
@click.argument("target")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output format: a readable table, hardhull JSON, CycloneDX 1.6 JSON or SPDX 2.3 JSON.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@image_options
@click.option(
    "--files/--no-files",
    default=False,
    show_default=True,
    help="Include the file index in hardhull JSON output.",
)
def sbom(
    target: str,
    fmt: str,
    output: Path | None,
    platform: str | None,
    insecure: bool,
    username: str | None,
    password_stdin: bool,
    files: bool,
    quiet: bool,
) -> None:
    """Write the software bill of materials of TARGET.

    \b
    TARGET is one of (the scheme is guessed when omitted):
      oci-dir:PATH          OCI image layout directory
      oci-archive:PATH      OCI archive (podman save --format oci-archive)
      docker-archive:PATH   docker save / podman save archive
      podman:IMAGE          image in the local podman store (API socket)
      docker:IMAGE          image in the local Docker store (API socket)
      registry:REF          image in a registry (OCI distribution API)
      dir:PATH              a root filesystem directory
      sbom:PATH             a CycloneDX or SPDX JSON SBOM, read back

    Every SBOM carries a coverage section: layers read, package databases found,
    executables no cataloger identified, and anything that could not be read. An
    image without any package database is reported as such, never as clean.

    Exit codes: 0 done, 2 bad input or unreadable target.
    """
    from hardhull.cli.output import emit
    from hardhull.cli.progress import cli_progress
    from hardhull.sbomfmt import write_sbom
    from hardhull.scan import SbomOptions, build_sbom

    with cli_progress(enabled=not quiet) as progress:
        source = source_options(platform, insecure, username, password_stdin, progress)
        result = build_sbom(
            target, SbomOptions(source=source, include_files=files or fmt != "json")
        )
    if fmt == "table":
        from hardhull.report.sbom_table import render_sbom_table

        text = render_sbom_table(result, color=output is None and sys.stdout.isatty())
        emit(text.encode(), output)
        return
    emit(write_sbom(result, fmt), output)


__all__ = ["FORMATS", "SCHEMES", "sbom"]
