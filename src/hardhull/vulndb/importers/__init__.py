"""Advisory importers behind one interface, and the auto-detecting reader of a path.

:data:`IMPORTERS` is the explicit tuple of formats; :func:`read_path` walks a file or a
directory, handing Node.js security WG trees to their importer and every OSV-shaped file
(JSON, YAML, JSON Lines, gzip, zip) to the OSV importer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from hardhull.model import Advisory
from hardhull.vulndb.errors import FeedError
from hardhull.vulndb.importers.base import (
    DEFAULT_LIMITS,
    Importer,
    ImportLog,
    Limits,
    RecordError,
)
from hardhull.vulndb.importers.nodejs import NodejsWgImporter
from hardhull.vulndb.importers.osv import OsvImporter, is_osv_file

__all__ = [
    "DEFAULT_LIMITS",
    "IMPORTERS",
    "ImportLog",
    "Importer",
    "Limits",
    "RecordError",
    "read_path",
]

_NODEJS = NodejsWgImporter()
_OSV = OsvImporter()

#: Every importer, most specific first.
IMPORTERS: tuple[Importer, ...] = (_NODEJS, _OSV)


def read_path(path: Path, log: ImportLog) -> Iterator[Advisory]:
    """Every usable advisory in ``path`` (file, archive or directory, format detected).

    Raises :class:`FeedError` when ``path`` does not exist or is of no known format.
    """
    if not path.exists():
        raise FeedError(f"{path}: no such file or directory")
    if path.is_dir():
        yield from _walk(path, log)
    elif is_osv_file(path):
        yield from _OSV.read_file(path, log)
    else:
        raise FeedError(
            f"{path}: not an advisory format hardhull reads "
            "(.json, .yaml, .jsonl, .ndjson, any of them .gz, .zip, a directory)"
        )


def _walk(folder: Path, log: ImportLog) -> Iterator[Advisory]:
    if _NODEJS.accepts(folder):
        try:
            yield from _NODEJS.read(folder, log)
        except RecordError as exc:
            log.error(str(folder), str(exc))
        return
    try:
        children = sorted(folder.iterdir())
    except OSError as exc:
        log.error(str(folder), f"cannot list: {exc}")
        return
    for child in children:
        if child.name.startswith(".") or child.is_symlink():
            continue
        if child.is_dir():
            yield from _walk(child, log)
        elif is_osv_file(child):
            yield from _OSV.read_file(child, log)
