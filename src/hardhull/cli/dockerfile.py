"""``hardhull dockerfile scan FILE...``: posture checks of Dockerfiles / Containerfiles."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hardhull.cli.options import fail_on_option, output_option
from hardhull.model import Severity, Status


@click.group()
def dockerfile() -> None:
    """Check Dockerfiles and Containerfiles for risky build practices."""


@dockerfile.command("scan")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(("table", "json", "sarif")),
    default="table",
    show_default=True,
    help="Report format.",
)
@output_option
@fail_on_option("Exit with code 1 when a failing finding at or above this level remains.")
def scan(files: tuple[Path, ...], fmt: str, output: Path | None, fail_on: str | None) -> None:
    """Check each Dockerfile/Containerfile in FILES.

    \b
    Controls HH-DF-001..009: runs as root, unpinned or :latest base, ADD from a URL,
    remote script piped to a shell, secrets in ENV/ARG, apt-get without
    --no-install-recommends, package caches left behind, unpinned packages, no
    HEALTHCHECK. Each is mapped to the CIS Docker Benchmark and NIST SP 800-190.

    \b
    Examples:
      hardhull dockerfile scan Dockerfile
      hardhull dockerfile scan build/Containerfile --format sarif -o df.sarif
      hardhull dockerfile scan Dockerfile --fail-on high

    Exit codes: 0 done, 1 --fail-on tripped, 2 unreadable or invalid file.
    """
    from hardhull.cli.output import emit
    from hardhull.posture.dockerfile import parse_file
    from hardhull.posture.dockerfile_checks import check_dockerfile
    from hardhull.posture.dockerfile_report import DockerfileReport, render

    findings = []
    instructions = 0
    for path in files:
        df = parse_file(path)
        instructions += df.instruction_count
        findings.extend(check_dockerfile(df))
    report = DockerfileReport(tuple(str(p) for p in files), instructions, tuple(findings))
    emit(render(report, fmt), output)
    if fail_on:
        threshold = Severity.parse(fail_on)
        standing = [
            f for f in findings if f.status is Status.FAIL and f.severity.rank >= threshold.rank
        ]
        if standing:
            click.echo(
                f"hardhull: {len(standing)} finding(s) at or above {fail_on} (--fail-on)",
                err=True,
            )
            sys.exit(1)


__all__ = ["dockerfile", "scan"]
