"""Build a database into a new file next to the target, validate it, swap it in atomically.

Every ``db import`` and ``db update`` goes through :class:`Builder`:

1. take an exclusive lock (``<db>.lock``) so two builds never race;
2. create ``.<db-name>.<pid>.<random>.tmp`` in the target's directory, either empty or as a
   copy of the current database (incremental work);
3. write advisories, sources, KEV and EPSS with journaling off (a crash only loses the
   temporary file, which the next build removes);
4. validate it (``quick_check``, schema version, record counts), ``fsync``, then
   ``os.replace`` it over the target and ``fsync`` the directory.

An interruption anywhere before step 4 (even ``kill -9``) leaves the previous database
untouched; step 4 is atomic.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from hardhull.model import Advisory
from hardhull.vulndb import schema
from hardhull.vulndb.codec import encode_affected, encode_body
from hardhull.vulndb.errors import DatabaseError
from hardhull.vulndb.names import normalize_name


def now_iso() -> str:
    """The current UTC time, RFC 3339 with a ``Z``."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_temps(target: Path) -> None:
    for temp in target.parent.glob(f".{target.name}.*.tmp"):
        parts = temp.name.rsplit(".", 3)
        if len(parts) == 4 and parts[1].isdigit() and not _pid_alive(int(parts[1])):
            with contextlib.suppress(OSError):
                temp.unlink()


def usable(path: Path) -> bool:
    """Whether ``path`` is a database of the current schema (used to decide on a copy)."""
    if not path.is_file():
        return False
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        schema.check(conn, path)
        return bool(conn.execute("PRAGMA quick_check").fetchone()[0] == "ok")
    except (DatabaseError, sqlite3.Error):
        return False
    finally:
        conn.close()


class Builder:
    """A new database being written; becomes the target only on :meth:`commit`."""

    def __init__(self, target: Path, *, copy_existing: bool = True) -> None:
        self.target = Path(target)
        self.copy_existing = copy_existing
        self.copied = False
        self.temp = self.target.parent / (
            f".{self.target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        )
        self._lock_fd: int | None = None
        self._conn: sqlite3.Connection | None = None

    # -- lifecycle -------------------------------------------------------------------
    def __enter__(self) -> Builder:
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self._lock_fd = os.open(f"{self.target}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise DatabaseError(f"{self.target}: cannot create the database ({exc})") from None
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            self._lock_fd = None
            raise DatabaseError(
                f"{self.target}: another hardhull db import/update is writing it; "
                "try again when it is done"
            ) from None
        _remove_stale_temps(self.target)
        try:
            if self.copy_existing and usable(self.target):
                shutil.copyfile(self.target, self.temp)
                self.copied = True
            conn = sqlite3.connect(self.temp, isolation_level=None)
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("PRAGMA cache_size = -65536")
            if not self.copied:
                schema.create(conn)
            conn.execute("BEGIN")
            self._conn = conn
        except (OSError, sqlite3.Error) as exc:
            self._abort()
            raise DatabaseError(f"{self.temp}: cannot write a new database ({exc})") from None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._abort()

    def _abort(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
        with contextlib.suppress(OSError):
            self.temp.unlink()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    @property
    def conn(self) -> sqlite3.Connection:
        """The connection to the temporary database."""
        if self._conn is None:
            raise DatabaseError(f"{self.temp}: the build is not open")
        return self._conn

    # -- content ---------------------------------------------------------------------
    def source_state(self, name: str) -> dict[str, str | None] | None:
        """The recorded state of a source in the database being built (copied one)."""
        row = self.conn.execute(
            "SELECT updated, cursor, etag, last_modified FROM sources WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            return None
        return dict(zip(("updated", "cursor", "etag", "last_modified"), row, strict=True))

    def clear_source(self, source: str) -> None:
        """Drop every advisory of ``source`` (before a full reload of it)."""
        conn = self.conn
        sub = "SELECT rowid FROM advisories WHERE source = ?"
        conn.execute(f"DELETE FROM affected WHERE advisory IN ({sub})", (source,))
        conn.execute(f"DELETE FROM aliases WHERE advisory IN ({sub})", (source,))
        conn.execute("DELETE FROM advisories WHERE source = ?", (source,))

    def add(self, adv: Advisory, source: str) -> None:
        """Insert ``adv`` under ``source``, replacing a record of the same id there."""
        conn = self.conn
        old = conn.execute(
            "SELECT rowid FROM advisories WHERE source = ? AND id = ?", (source, adv.id)
        ).fetchone()
        if old is not None:
            conn.execute("DELETE FROM affected WHERE advisory = ?", old)
            conn.execute("DELETE FROM aliases WHERE advisory = ?", old)
            conn.execute("DELETE FROM advisories WHERE rowid = ?", old)
        cur = conn.execute(
            "INSERT INTO advisories (source, id, modified, published, withdrawn, summary, body)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                source,
                adv.id,
                adv.modified,
                adv.published,
                adv.withdrawn,
                adv.summary,
                encode_body(adv),
            ),
        )
        rowid = cur.lastrowid
        conn.executemany(
            "INSERT INTO affected VALUES (?, ?, ?, ?)",
            [
                (rowid, a.ecosystem, normalize_name(a.ecosystem, a.name), encode_affected(a))
                for a in adv.affected
            ],
        )
        if adv.aliases:
            conn.executemany(
                "INSERT INTO aliases VALUES (?, ?)", [(alias, rowid) for alias in adv.aliases]
            )

    def set_source(
        self,
        name: str,
        kind: str,
        *,
        cursor: str | None = None,
        url: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        records: int | None = None,
    ) -> None:
        """Record that ``name`` was updated now (advisory counts are filled at commit)."""
        self.conn.execute(
            "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (name, kind, records or 0, now_iso(), cursor, url, etag, last_modified),
        )

    def replace_kev(
        self, rows: Iterable[tuple[str, str, str | None, str | None, str | None]]
    ) -> int:
        """Replace the KEV table with ``(cve, date_added, due_date, ransomware, name)``."""
        self.conn.execute("DELETE FROM kev")
        cur = self.conn.executemany("INSERT OR REPLACE INTO kev VALUES (?, ?, ?, ?, ?)", rows)
        return int(self.conn.execute("SELECT count(*) FROM kev").fetchone()[0] or cur.rowcount)

    def replace_epss(self, rows: Iterable[tuple[str, float, float | None]]) -> int:
        """Replace the EPSS table with ``(cve, score, percentile)``."""
        self.conn.execute("DELETE FROM epss")
        self.conn.executemany("INSERT OR REPLACE INTO epss VALUES (?, ?, ?)", rows)
        return int(self.conn.execute("SELECT count(*) FROM epss").fetchone()[0])

    def set_meta(self, key: str, value: str) -> None:
        """Set one ``meta`` value."""
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- finish ----------------------------------------------------------------------
    def commit(self) -> None:
        """Validate the new database and atomically make it the target."""
        conn = self.conn
        conn.execute(
            "UPDATE sources SET records = (SELECT count(*) FROM advisories a"
            " WHERE a.source = sources.name) WHERE kind = 'advisories'"
        )
        self.set_meta("built", now_iso())
        conn.execute("COMMIT")
        self._validate(conn)
        conn.close()
        self._conn = None
        with open(self.temp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(self.temp, self.target)
        dir_fd = os.open(self.target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _validate(self, conn: sqlite3.Connection) -> None:
        schema.check(conn, self.temp)
        verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise DatabaseError(f"{self.temp}: the new database fails its check ({verdict})")
        counted = conn.execute(
            "SELECT (SELECT count(*) FROM advisories),"
            " (SELECT coalesce(sum(records), 0) FROM sources WHERE kind = 'advisories')"
        ).fetchone()
        if counted[0] != counted[1]:
            raise DatabaseError(
                f"{self.temp}: {counted[0]} advisories but sources account for {counted[1]}"
            )
