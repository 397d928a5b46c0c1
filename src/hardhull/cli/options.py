"""Options shared by several commands: image access (``sbom``, ``scan image``), report
file and ``--fail-on`` severity threshold."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from hardhull.errors import UsageError
from hardhull.model import Severity
from hardhull.sources.base import Progress, SourceOptions

F = TypeVar("F", bound=Callable[..., Any])

_IMAGE_OPTIONS = (
    click.option(
        "--platform", help="Platform to pick from a multi-platform image, e.g. linux/arm64."
    ),
    click.option("--insecure", is_flag=True, help="Talk plain HTTP to the registry."),
    click.option("--username", help="Registry user name (password from --password-stdin)."),
    click.option("--password-stdin", is_flag=True, help="Read the registry password from stdin."),
    click.option("--quiet", "-q", is_flag=True, help="No progress bars."),
)


def image_options(fn: F) -> F:
    """Add ``--platform --insecure --username --password-stdin --quiet`` to a command."""
    for option in reversed(_IMAGE_OPTIONS):
        fn = option(fn)
    return fn


#: Severity words a user may name (``unknown`` is not a threshold).
SEVERITY_LEVELS = tuple(s.value for s in Severity if s is not Severity.UNKNOWN)

output_option = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this file instead of standard output.",
)


def fail_on_option(help_text: str) -> Callable[[F], F]:
    """``--fail-on LEVEL`` (a severity word, any case); ``help_text`` says what counts."""
    return click.option(
        "--fail-on", type=click.Choice(SEVERITY_LEVELS, case_sensitive=False), help=help_text
    )


def source_options(
    platform: str | None,
    insecure: bool,
    username: str | None,
    password_stdin: bool,
    progress: Progress,
) -> SourceOptions:
    """The :class:`SourceOptions` of those flags; the password is read from stdin here."""
    password = None
    if password_stdin:
        if not username:
            raise UsageError("--password-stdin needs --username")
        password = sys.stdin.readline().rstrip("\n")
    return SourceOptions(
        platform=platform,
        insecure=insecure,
        username=username,
        password=password,
        progress=progress,
    )
