"""``hardhull db update``: download OSV, CISA KEV and FIRST EPSS, then swap atomically."""

from __future__ import annotations

from pathlib import Path

import click

from hardhull.cli.db import DB_OPTION_HELP, resolve_db


@click.command("update")
@click.option("--db", "db_path", type=click.Path(path_type=Path), help=DB_OPTION_HELP)
@click.option(
    "--ecosystem", "ecosystems", multiple=True,
    help="OSV ecosystem to update (repeatable; default: all hardhull knows).",
)  # fmt: skip
@click.option(
    "--mirror",
    help="Base URL of a mirror (URL/osv/<Ecosystem>/all.zip, URL/kev/..., URL/epss/...).",
)
@click.option("--no-enrich", is_flag=True, help="Skip CISA KEV and FIRST EPSS.")
@click.option("--full", is_flag=True, help="Download full exports even when incremental works.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def update_cmd(
    db_path: Path | None,
    ecosystems: tuple[str, ...],
    mirror: str | None,
    no_enrich: bool,
    full: bool,
    quiet: bool,
) -> None:
    """Download or refresh the vulnerability database.

    The first run downloads each ecosystem's OSV all.zip; later runs fetch only the
    records listed as modified in OSV's modified_id.csv. Every download is checked
    (HTTP status, length, zip CRCs, JSON); on any failure the previous database is
    left exactly as it was. Feeds: --mirror, or $HARDHULL_MIRROR, or
    $HARDHULL_OSV_URL / $HARDHULL_KEV_URL / $HARDHULL_EPSS_URL.
    """
    from hardhull.cli.progress import cli_progress
    from hardhull.vulndb.update import OSV_ECOSYSTEMS, update

    target = resolve_db(db_path)
    with cli_progress(not quiet) as progress:
        results = update(
            target, ecosystems=list(ecosystems) or list(OSV_ECOSYSTEMS), mirror=mirror,
            enrich=not no_enrich, full=full, progress=progress,
        )  # fmt: skip
    for res in results:
        extra = f", {res.errors} unusable skipped" if res.errors else ""
        click.echo(f"{res.source}: {res.mode}, {res.records} records{extra}", err=True)
    click.echo(f"database: {target}", err=True)
