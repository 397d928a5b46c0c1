"""``hardhull db``: import, update and inspect the vulnerability database.

The group lives here with ``db status``; ``db import`` and ``db update`` are in
:mod:`hardhull.cli.db_import` and :mod:`hardhull.cli.db_update`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
import orjson

DB_OPTION_HELP = "Database file (default: $HARDHULL_DB or the user cache directory)."


def resolve_db(path: Path | None) -> Path:
    """``--db`` or the default location."""
    from hardhull.vulndb.paths import default_db_path

    return path or default_db_path()


@click.group()
def db() -> None:
    """Manage the local vulnerability database.

    \b
    Examples:
      hardhull db update                          # download OSV, KEV, EPSS (incremental later)
      hardhull db update --ecosystem PyPI --ecosystem Debian
      hardhull db import advisories/ osv-PyPI.zip  # offline / air-gapped
      hardhull db status --format json
    """


@db.command("status")
@click.option("--db", "db_path", type=click.Path(path_type=Path), help=DB_OPTION_HELP)
@click.option(
    "-f", "--format", "fmt", type=click.Choice(("table", "json")), default="table",
    show_default=True, help="Output format.",
)  # fmt: skip
@click.option(
    "--max-age", type=click.FloatRange(min=0), default=7.0, show_default=True,
    help="Warn when a source is older than this many days.",
)  # fmt: skip
def status(db_path: Path | None, fmt: str, max_age: float) -> None:
    """Show sources, record counts and age of the database.

    Exit code 0 even when stale (JSON says "stale": true); 2 when the database is
    missing or unusable.
    """
    from hardhull.vulndb.store import VulnStore

    path = resolve_db(db_path)
    with VulnStore.open(path) as store:
        info = store.info(max_age_days=max_age)
        sources = store.sources()
        ecosystems = sorted(store.ecosystems())
        kev_version = store.meta("kev_catalog_version")
        epss_date = store.meta("epss_score_date")
    if fmt == "json":
        doc = {
            "path": info.path,
            "schema_version": info.schema_version,
            "built": info.built,
            "records": info.records,
            "stale": info.stale,
            "max_age_days": max_age,
            "warnings": list(info.warnings),
            "ecosystems": ecosystems,
            "kev_catalog_version": kev_version,
            "epss_score_date": epss_date,
            "sources": sources,
        }
        click.echo(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
        return
    now = datetime.now(UTC)
    click.echo(f"database   {info.path}")
    click.echo(f"schema     {info.schema_version}, built {info.built}")
    click.echo(f"advisories {info.records} in {len(ecosystems)} ecosystems")
    click.echo("")
    click.echo(f"{'source':<34} {'kind':<10} {'records':>9}  updated")
    for src in sources:
        from hardhull.vulndb.store import parse_time

        stamp = parse_time(str(src["updated"]))
        age = f" ({(now - stamp).days} days ago)" if stamp else ""
        click.echo(
            f"{src['name']!s:<34} {src['kind']!s:<10} {src['records']!s:>9}  {src['updated']}{age}"
        )
    for warning in info.warnings:
        click.echo(f"hardhull: warning: {warning}", err=True)


def _register() -> None:
    from hardhull.cli.db_import import import_cmd
    from hardhull.cli.db_update import update_cmd

    db.add_command(import_cmd)
    db.add_command(update_cmd)


_register()
