"""The SQLite schema of the vulnerability database and its version checks.

``PRAGMA user_version`` holds :data:`SCHEMA_VERSION`; the ``meta`` table repeats it with the
build time; ``sources`` records, per source, its record count, when it was last updated,
the incremental-update cursor and the HTTP validators (ETag, Last-Modified) of its feed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hardhull.vulndb.errors import REBUILD_HINT, DatabaseError

SCHEMA_VERSION = 1

_DDL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE sources (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  records INTEGER NOT NULL DEFAULT 0,
  updated TEXT NOT NULL,
  cursor TEXT,
  url TEXT,
  etag TEXT,
  last_modified TEXT
) WITHOUT ROWID;
CREATE TABLE advisories (
  rowid INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  id TEXT NOT NULL,
  modified TEXT NOT NULL,
  published TEXT,
  withdrawn TEXT,
  summary TEXT NOT NULL,
  body BLOB NOT NULL,
  UNIQUE (source, id)
);
CREATE TABLE affected (
  advisory INTEGER NOT NULL,
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  entry BLOB NOT NULL
);
CREATE INDEX affected_package ON affected (ecosystem, name);
CREATE INDEX affected_advisory ON affected (advisory);
CREATE TABLE aliases (alias TEXT NOT NULL, advisory INTEGER NOT NULL);
CREATE INDEX aliases_alias ON aliases (alias);
CREATE INDEX aliases_advisory ON aliases (advisory);
CREATE TABLE kev (
  cve TEXT PRIMARY KEY,
  date_added TEXT NOT NULL,
  due_date TEXT,
  ransomware TEXT,
  name TEXT
) WITHOUT ROWID;
CREATE TABLE epss (cve TEXT PRIMARY KEY, score REAL NOT NULL, percentile REAL) WITHOUT ROWID;
"""

_TABLES = frozenset({"meta", "sources", "advisories", "affected", "aliases", "kev", "epss"})


def create(conn: sqlite3.Connection) -> None:
    """Create every table of an empty database and stamp the schema version."""
    conn.executescript(_DDL)
    conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def check(conn: sqlite3.Connection, path: Path) -> None:
    """Raise :class:`DatabaseError` unless ``conn`` is a hardhull database of this schema."""
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(
            f"{path}: not a usable vulnerability database ({exc})", hint=REBUILD_HINT
        ) from None
    if not tables >= _TABLES:
        raise DatabaseError(
            f"{path}: not a hardhull vulnerability database (tables missing)", hint=REBUILD_HINT
        )
    if version != SCHEMA_VERSION:
        raise DatabaseError(
            f"{path}: vulnerability database schema {version}, this hardhull needs "
            f"{SCHEMA_VERSION}",
            hint=REBUILD_HINT,
        )
