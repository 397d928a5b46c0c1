"""``db import``: read advisory files offline into a new database and swap it in."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hardhull.sources.base import NullProgress, Progress
from hardhull.vulndb.build import Builder
from hardhull.vulndb.enrich import parse_epss, parse_kev
from hardhull.vulndb.errors import FeedError
from hardhull.vulndb.importers import DEFAULT_LIMITS, ImportLog, Limits, read_path


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What one input gave: records accepted, records rejected (with the first few
    messages) and counted notes."""

    source: str
    path: str
    records: int
    errors: int
    samples: tuple[str, ...] = ()
    notes: tuple[tuple[str, int], ...] = ()


def _input_size(path: Path) -> int | None:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(folder, name)).st_size
            except OSError:
                continue
    return total


def default_source(path: Path) -> str:
    """The source name of an imported path: ``local/<file or directory name>``."""
    return f"local/{path.resolve().name}"


def import_paths(
    target: Path,
    paths: list[Path],
    *,
    source: str | None = None,
    kev: Path | None = None,
    epss: Path | None = None,
    fresh: bool = False,
    progress: Progress | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> list[ImportResult]:
    """Import ``paths`` (and optional KEV/EPSS files) into ``target``, atomically.

    Each path replaces its source's records (``--source`` or ``local/<name>``). A path that
    yields no usable record raises :class:`FeedError` and nothing is changed.
    """
    progress = progress or NullProgress()
    results: list[ImportResult] = []
    with Builder(target, copy_existing=not fresh) as builder:
        cleared: set[str] = set()
        for path in paths:
            name = source or default_source(path)
            if name not in cleared:
                builder.clear_source(name)
                cleared.add(name)
            key = f"import:{path}"
            progress.start(key, f"importing {path.name}", _input_size(path))
            log = ImportLog(limits=limits, progress=progress, progress_key=key)
            try:
                for adv in read_path(path, log):
                    builder.add(adv, name)
            finally:
                progress.finish(key)
            if log.records == 0:
                first = f"; first: {log.samples[0]}" if log.samples else ""
                raise FeedError(
                    f"{path}: no usable advisory records ({log.errors} unusable{first})"
                )
            builder.set_source(name, "advisories", url=str(path.resolve()))
            results.append(
                ImportResult(
                    source=name,
                    path=str(path),
                    records=log.records,
                    errors=log.errors,
                    samples=tuple(log.samples),
                    notes=tuple(sorted(log.notes.items())),
                )
            )
        if kev is not None:
            catalog = parse_kev(_read(kev), str(kev))
            builder.replace_kev(catalog.rows)
            builder.set_source("kev", "kev", url=str(kev), records=len(catalog.rows))
            builder.set_meta("kev_catalog_version", catalog.version)
        if epss is not None:
            scores = parse_epss(_read(epss), str(epss))
            builder.replace_epss(scores.rows)
            builder.set_source("epss", "epss", url=str(epss), records=len(scores.rows))
            builder.set_meta("epss_model_version", scores.model_version)
            builder.set_meta("epss_score_date", scores.score_date)
        builder.commit()
    return results


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FeedError(f"{path}: cannot read ({exc.strerror or exc})") from None
