"""``hardhull db import PATH...``: build the database from local files (offline)."""

from __future__ import annotations

from pathlib import Path

import click

from hardhull.cli.db import DB_OPTION_HELP, resolve_db


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--db", "db_path", type=click.Path(path_type=Path), help=DB_OPTION_HELP)
@click.option("--source", help="Source name for these records (default: local/<path name>).")
@click.option("--kev", type=click.Path(path_type=Path), help="A CISA KEV JSON file.")
@click.option("--epss", type=click.Path(path_type=Path), help="A FIRST EPSS CSV (.csv.gz).")
@click.option("--fresh", is_flag=True, help="Start from an empty database.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def import_cmd(
    paths: tuple[Path, ...],
    db_path: Path | None,
    source: str | None,
    kev: Path | None,
    epss: Path | None,
    fresh: bool,
    quiet: bool,
) -> None:
    """Import advisories from PATHs: OSV JSON/YAML files, JSON Lines (.jsonl, .jsonl.gz),
    zip archives (OSV all.zip), Node.js security WG trees, or directories of these.

    Each PATH replaces the records of its source; other sources are kept (unless
    --fresh). Unusable records are counted and skipped; a PATH with no usable record
    is an error and leaves the database unchanged. The new database is built next to
    the old one and swapped in atomically.
    """
    from hardhull.cli.progress import cli_progress
    from hardhull.vulndb.ingest import import_paths

    target = resolve_db(db_path)
    with cli_progress(not quiet) as progress:
        results = import_paths(
            target, list(paths), source=source, kev=kev, epss=epss, fresh=fresh,
            progress=progress,
        )  # fmt: skip
    for res in results:
        click.echo(f"{res.source}: {res.records} records imported from {res.path}", err=True)
        if res.errors:
            click.echo(f"hardhull: warning: {res.errors} unusable records skipped", err=True)
            for sample in res.samples[:5]:
                click.echo(f"  {sample}", err=True)
        for note, count in res.notes:
            click.echo(f"  note: {note} ({count}x)", err=True)
    click.echo(f"database: {target}", err=True)
