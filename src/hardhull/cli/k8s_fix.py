"""``hardhull k8s fix FILE``: the minimal change that makes workloads pass a PSS level."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hardhull.errors import UsageError


@click.command("fix")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option(
    "--pss",
    "level",
    type=click.Choice(("baseline", "restricted")),
    default="restricted",
    show_default=True,
    help="Pod Security Standards level to reach.",
)
@click.option("--pss-version", default="latest", show_default=True, help="PSS version, e.g. v1.29.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the fixed manifests to this file (default: standard output).",
)
@click.option("--in-place", is_flag=True, help="Rewrite FILE itself.")
@click.option("--quiet", "-q", is_flag=True, help="Do not list the changes on stderr.")
def fix(
    file: Path, level: str, pss_version: str, output: Path | None, in_place: bool, quiet: bool
) -> None:
    """Rewrite FILE's workloads so they pass the chosen PSS level.

    \b
    Sets securityContext fields (runAsNonRoot, allowPrivilegeEscalation: false,
    capabilities.drop [ALL], seccompProfile RuntimeDefault), turns off privileged and
    host namespaces, removes hostPorts and disallowed capabilities, for containers,
    initContainers and ephemeralContainers of Pods and every workload's pod template.
    Comments, key order and layout of the rest of the file are kept; a file that needs
    no change is written back unchanged. What needs a human decision (hostPath volumes,
    runAsUser: 0, unsafe sysctls, ...) is listed as not fixable automatically.

    \b
    Examples:
      hardhull k8s fix deploy.yaml > deploy.fixed.yaml
      hardhull k8s fix deploy.yaml --pss baseline --in-place
      helm template chart | hardhull k8s fix - -o fixed.yaml

    Exit codes: 0 done, 2 unreadable file or invalid YAML.
    """
    from hardhull.cli.output import emit
    from hardhull.posture.fix_yaml import fix_text

    if in_place and output is not None:
        raise UsageError("--in-place and --output are exclusive")
    stdin = str(file) == "-"
    if in_place and stdin:
        raise UsageError("--in-place needs a file, not standard input")
    try:
        data = sys.stdin.buffer.read() if stdin else file.read_bytes()
    except OSError as exc:
        raise UsageError(f"{file}: cannot read ({exc.strerror})") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{file}: not UTF-8 text") from exc
    result = fix_text(text, level, path="<stdin>" if stdin else str(file), version=pss_version)
    target = file if in_place else output
    if not (in_place and not result.changed):
        emit(result.text.encode("utf-8"), target)
    if quiet:
        return
    for note in result.notes:
        where = f"{file}:{note.line}: " if note.line else f"{file}: "
        what = f"{note.path}: {note.action}" if note.path else note.action
        prefix = "fixed" if note.fixable else "not fixable automatically"
        if not note.fixable:
            what = what.replace(": not fixable automatically", "")
        click.echo(f"{where}{note.resource}: [{note.check_id}] {prefix}: {what}", err=True)


__all__ = ["fix"]
