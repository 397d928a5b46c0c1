"""The ``hardhull`` command: a click group whose subcommands live one per module.

This module and its siblings are the only place that prints or exits. Every
:class:`~hardhull.errors.HardhullError` becomes one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import os
import sys

import click

from hardhull import __version__
from hardhull.errors import HardhullError


class _Group(click.Group):
    """Turn hardhull errors into one clear line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except HardhullError as exc:
            click.echo(f"hardhull: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("hardhull: interrupted", err=True)
            sys.exit(130)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:  # a bug: still one line, traceback only on request
            if os.environ.get("HARDHULL_DEBUG"):
                raise
            click.echo(
                f"hardhull: internal error: {type(exc).__name__}: {exc} "
                "(this is a bug; rerun with HARDHULL_DEBUG=1 for details and report it)",
                err=True,
            )
            sys.exit(70)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hardhull")
def cli() -> None:
    """hardhull: container security, from image contents to runtime.

    \b
    Examples:
      hardhull sbom alpine.tar                      # guess the archive format
      hardhull sbom registry:127.0.0.1:5000/app:1 --insecure --format cyclonedx
      hardhull sbom podman:localhost/app:latest --format table
    """


def _register() -> None:
    from hardhull.cli.admission import admission
    from hardhull.cli.db import db
    from hardhull.cli.dockerfile import dockerfile
    from hardhull.cli.k8s import k8s
    from hardhull.cli.policy import policy
    from hardhull.cli.runtime import runtime
    from hardhull.cli.sbom import sbom
    from hardhull.cli.scan import scan

    cli.add_command(admission)
    cli.add_command(db)
    cli.add_command(k8s)
    cli.add_command(policy)
    cli.add_command(runtime)
    cli.add_command(dockerfile)
    cli.add_command(sbom)
    cli.add_command(scan)


_register()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="hardhull")
