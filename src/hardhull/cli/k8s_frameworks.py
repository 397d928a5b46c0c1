"""``hardhull k8s frameworks``: the compliance frameworks and the controls mapped to each."""

from __future__ import annotations

from typing import Any

import click
import orjson

from hardhull.posture.controls import CONTROLS, FRAMEWORKS, controls_by_framework


def frameworks_document() -> dict[str, Any]:
    """The frameworks, each with its ``(framework id, control)`` rows, as plain data."""
    grouped = controls_by_framework()
    described = dict(FRAMEWORKS)
    return {
        "frameworks": [
            {
                "name": name,
                "description": described.get(name, ""),
                "controls": [
                    {
                        "framework_id": ref,
                        "id": control.id,
                        "title": control.title,
                        "severity": control.severity.value,
                        "family": control.family,
                    }
                    for ref, control in rows
                ],
            }
            for name, rows in grouped.items()
        ],
        "controls": len(CONTROLS),
    }


def _table(doc: dict[str, Any]) -> str:
    lines: list[str] = []
    for fw in doc["frameworks"]:
        rows = fw["controls"]
        ids = {r["id"] for r in rows}
        lines.append(f"{fw['name']}: {len(ids)} controls ({fw['description']})")
        width = max((len(r["framework_id"]) for r in rows), default=0)
        idw = max((len(r["id"]) for r in rows), default=0)
        lines.extend(
            f"  {r['framework_id']:<{width}}  {r['id']:<{idw}}  {r['severity']:<8}  {r['title']}"
            for r in rows
        )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


@click.command("frameworks")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(("table", "json")),
    default="table",
    show_default=True,
    help="Output format.",
)
def frameworks(fmt: str) -> None:
    """List the compliance frameworks and, for each, the controls mapped to it.

    \b
    Examples:
      hardhull k8s frameworks
      hardhull k8s frameworks --format json
    """
    doc = frameworks_document()
    if fmt == "json":
        click.echo(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(_table(doc), nl=False)


__all__ = ["frameworks", "frameworks_document"]
