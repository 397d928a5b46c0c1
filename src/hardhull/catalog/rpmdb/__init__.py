"""Pure-Python readers for rpm databases: SQLite, BerkeleyDB hash and NDB.

:func:`read_rpmdb` detects the format from the file's first bytes and returns every
package it could read, plus a description of what went wrong if the file is damaged
(it never raises for bad content). :func:`spool_and_read` is the selector reader: it
copies the layer stream into the private workdir (SQLite and the page walks need random
access), parses it, deletes the copy, and keeps only the small records.
"""

from __future__ import annotations

import mmap
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from hardhull.catalog.rpmdb.bdb import BdbError, is_bdb_hash, iter_values
from hardhull.catalog.rpmdb.header import RpmHeaderError, RpmRecord, parse_header
from hardhull.catalog.rpmdb.ndb import NDB_MAGIC, NdbError, iter_blobs
from hardhull.model import FileEntry
from hardhull.sources.base import ReadContext

__all__ = ["RpmDbResult", "RpmRecord", "read_rpmdb", "spool_and_read"]

_SQLITE_MAGIC = b"SQLite format 3\0"
_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class RpmDbResult:
    """What one rpm database held: its format, the records, and any damage found."""

    format: str
    records: tuple[RpmRecord, ...]
    error: str | None = None
    skipped: int = 0


def _sqlite_blobs(path: Path) -> Iterator[bytes]:
    # immutable=1: no locking, no WAL/shm side files (the spooled copy is ours alone)
    con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        for (blob,) in con.execute("SELECT blob FROM Packages ORDER BY hnum"):
            if isinstance(blob, bytes):
                yield blob
    finally:
        con.close()


def _bdb_blobs(buf: mmap.mmap) -> Iterator[bytes]:
    for key, value in iter_values(buf):
        if len(key) == 4 and key == b"\0\0\0\0":
            continue  # key 0 holds rpm's "next instance" counter, not a header
        yield value


def _ndb_blobs(buf: mmap.mmap) -> Iterator[bytes]:
    for _idx, blob in iter_blobs(buf):
        yield blob


def _collect(fmt: str, blobs: Iterator[bytes]) -> RpmDbResult:
    records: list[RpmRecord] = []
    skipped = 0
    first_bad: str | None = None
    error: str | None = None
    try:
        for blob in blobs:
            try:
                records.append(parse_header(blob))
            except RpmHeaderError as exc:
                skipped += 1
                first_bad = first_bad or exc.message
    except (BdbError, NdbError) as exc:
        error = exc.message
    except sqlite3.Error as exc:
        error = f"SQLite: {exc}"
    except (OSError, ValueError, IndexError) as exc:  # short reads and slices of a bad file
        error = f"{type(exc).__name__}: {exc}"
    if error is None and first_bad is not None:
        error = f"{skipped} package header(s) unreadable; first: {first_bad}"
    return RpmDbResult(fmt, tuple(records), error, skipped)


def read_rpmdb(path: Path) -> RpmDbResult:
    """Every package of the rpm database at ``path`` (format detected from content)."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(64)
            if head.startswith(_SQLITE_MAGIC):
                return _collect("sqlite", _sqlite_blobs(path))
            if size == 0:
                return RpmDbResult("unknown", (), "empty file")
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                if head.startswith(NDB_MAGIC):
                    return _collect("ndb", _ndb_blobs(buf))
                if is_bdb_hash(head):
                    return _collect("bdb", _bdb_blobs(buf))
    except OSError as exc:
        return RpmDbResult("unknown", (), f"cannot read: {exc.strerror or exc}")
    return RpmDbResult("unknown", (), "not an SQLite, BerkeleyDB hash or NDB rpm database")


def spool_and_read(entry: FileEntry, stream: BinaryIO, ctx: ReadContext) -> object:
    """Selector reader: spool ``stream`` into ``ctx.workdir``, parse, delete the copy."""
    ctx.workdir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="rpmdb-", dir=ctx.workdir)
    tmp = Path(name)
    try:
        written = 0
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                written += len(chunk)
                if written > ctx.max_size:
                    return RpmDbResult(
                        "unknown", (), f"larger than the {ctx.max_size}-byte limit; not read"
                    )
                out.write(chunk)
        return read_rpmdb(tmp)
    finally:
        tmp.unlink(missing_ok=True)
