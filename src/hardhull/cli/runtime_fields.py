"""``hardhull runtime fields``: list the field table (name, type, doc) conditions and
outputs can use."""

from __future__ import annotations

import fnmatch

import click
import orjson


@click.command("fields")
@click.argument("pattern", required=False)
@click.option(
    "--source",
    type=click.Choice(["syscall", "k8s_audit"]),
    help="Only the fields of this event source.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def runtime_fields(pattern: str | None, source: str | None, fmt: str) -> None:
    """List the fields rules can use; PATTERN filters names (glob, or a substring).

    \b
    Examples:
      hardhull runtime fields proc.
      hardhull runtime fields --source k8s_audit --format json
    """
    from hardhull.errors import UsageError
    from hardhull.runtime.fields import FIELDS

    rows = []
    glob = pattern is not None and any(c in pattern for c in "*?[")
    for fd in FIELDS.values():
        if source and fd.source != source:
            continue
        if pattern and not (fnmatch.fnmatchcase(fd.name, pattern) if glob else pattern in fd.name):
            continue
        name = fd.name
        if fd.prefix:
            name += ".<name>"
        elif fd.arg == "required":
            name += f"[{fd.arg_doc}]"
        elif fd.arg == "optional":
            name += f"[{fd.arg_doc}]?"
        rows.append(
            {
                "name": name,
                "field": fd.name,
                "type": fd.type + (" (list)" if fd.kind == "list" else ""),
                "source": fd.source,
                "arg": fd.arg,
                "doc": fd.doc,
            }
        )
    if not rows:
        raise UsageError(f"no field matches {pattern!r}" if pattern else "no fields")
    if fmt == "json":
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    width = max(len(r["name"]) for r in rows)
    twidth = max(len(r["type"]) for r in rows)
    for r in rows:
        click.echo(f"{r['name']:<{width}}  {r['type']:<{twidth}}  {r['doc']}")
