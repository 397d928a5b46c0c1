"""Read-only access to the vulnerability database during scans.

:meth:`VulnStore.lookup` returns the advisories that name a package, each cut down to its
``affected[]`` entries for that (ecosystem, name). Withdrawn records are never returned.
Names are normalised the same way on import and lookup (PEP 503 for PyPI, ...; see
:mod:`hardhull.vulndb.names`).

The file is opened with ``mode=ro&immutable=1``: hardhull never writes a database in
place (every import or update builds a new file and renames it over the old one), so a
scan keeps reading the inode it opened even while an update swaps in a new one.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hardhull.model import Advisory, Affected, DbInfo
from hardhull.vulndb import schema
from hardhull.vulndb.codec import decode_advisory, decode_affected
from hardhull.vulndb.errors import REBUILD_HINT, DatabaseError
from hardhull.vulndb.names import normalize_name
from hardhull.vulndb.paths import default_db_path

__all__ = ["DEFAULT_MAX_AGE_DAYS", "DatabaseError", "VulnStore", "default_db_path"]

#: ``db status`` and scans warn when a source is older than this.
DEFAULT_MAX_AGE_DAYS = 7.0

_LOOKUP = """
SELECT a.rowid, a.id, a.source, a.modified, a.published, a.withdrawn, a.summary, a.body,
       f.ecosystem, f.entry
FROM affected f JOIN advisories a ON a.rowid = f.advisory
WHERE f.ecosystem = ? AND f.name = ? AND a.withdrawn IS NULL
ORDER BY a.id, a.source, f.rowid
"""


def parse_time(text: str) -> datetime | None:
    """An RFC 3339 time as an aware datetime, or ``None`` when it does not parse."""
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


class VulnStore:
    """An open, read-only advisory database."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path) -> VulnStore:
        """Open ``path`` read-only; :class:`DatabaseError` if it cannot be used."""
        path = Path(path)
        if not path.is_file():
            raise DatabaseError(f"{path}: no vulnerability database there", hint=REBUILD_HINT)
        uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
        try:
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        except sqlite3.Error as exc:
            raise DatabaseError(f"{path}: cannot open ({exc})", hint=REBUILD_HINT) from None
        try:
            schema.check(conn, path)
        except DatabaseError:
            conn.close()
            raise
        return cls(conn, path)

    def _query(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        try:
            return list(self._conn.execute(sql, args))
        except sqlite3.Error as exc:
            raise DatabaseError(
                f"{self.path}: the database is damaged ({exc})", hint=REBUILD_HINT
            ) from None

    def lookup(self, ecosystem: str, name: str) -> list[Advisory]:
        """Advisories for ``name`` in ``ecosystem`` (``Debian:12``, ``PyPI``, ...)."""
        rows = self._query(_LOOKUP, (ecosystem, normalize_name(ecosystem, name)))
        found: list[Advisory] = []
        current: int | None = None
        head: tuple[str, str, str, str | None, str | None, str, bytes] | None = None
        entries: list[Affected] = []
        for row in rows:
            rowid = row[0]
            if rowid != current:
                if head is not None:
                    found.append(decode_advisory(head, tuple(entries)))
                current, entries = rowid, []  # type: ignore[assignment]
                head = row[1:8]  # type: ignore[assignment]
            entries.append(decode_affected(row[8], row[9]))  # type: ignore[arg-type]
        if head is not None:
            found.append(decode_advisory(head, tuple(entries)))
        return found

    def ecosystems(self) -> frozenset[str]:
        """Every ecosystem (with release suffix) that at least one record names."""
        rows = self._query("SELECT DISTINCT ecosystem FROM affected")
        return frozenset(str(row[0]) for row in rows)

    def kev(self, cve: str) -> bool:
        """True when CISA's Known Exploited Vulnerabilities catalogue lists ``cve``."""
        return bool(self._query("SELECT 1 FROM kev WHERE cve = ?", (cve.upper(),)))

    def epss(self, cve: str) -> float | None:
        """FIRST EPSS probability for ``cve``, if known."""
        rows = self._query("SELECT score FROM epss WHERE cve = ?", (cve.upper(),))
        return float(rows[0][0]) if rows else None  # type: ignore[arg-type]

    def sources(self) -> list[dict[str, object]]:
        """Every source: name, kind, record count, last update, feed URL and validators."""
        cols = ("name", "kind", "records", "updated", "cursor", "url", "etag", "last_modified")
        rows = self._query(f"SELECT {', '.join(cols)} FROM sources ORDER BY name")
        return [dict(zip(cols, row, strict=True)) for row in rows]

    def meta(self, key: str) -> str | None:
        """A value of the ``meta`` table (``schema_version``, ``built``, ``epss_model`` ...)."""
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def info(
        self, max_age_days: float = DEFAULT_MAX_AGE_DAYS, now: datetime | None = None
    ) -> DbInfo:
        """What the database holds and how old it is; ``stale`` when any source is older
        than ``max_age_days`` (or there is none), with one warning line per problem."""
        now = now or datetime.now(UTC)
        sources = self.sources()
        records = int(self._query("SELECT count(*) FROM advisories")[0][0])  # type: ignore[call-overload]
        warnings: list[str] = []
        limit = timedelta(days=max_age_days)
        if not sources:
            warnings.append(f"{self.path}: the vulnerability database holds no source")
        for src in sources:
            updated = parse_time(str(src["updated"]))
            if updated is None or now - updated > limit:
                age = "of unknown age" if updated is None else f"{(now - updated).days} days old"
                warnings.append(
                    f"vulnerability data from {src['name']} is {age} "
                    f"(limit {max_age_days:g} days); run 'hardhull db update'"
                )
        return DbInfo(
            path=str(self.path),
            schema_version=schema.SCHEMA_VERSION,
            built=self.meta("built") or "",
            sources=tuple((str(s["name"]), str(s["updated"])) for s in sources),
            records=records,
            stale=bool(warnings),
            warnings=tuple(warnings),
        )

    def close(self) -> None:
        """Release the connection."""
        self._conn.close()

    def __enter__(self) -> VulnStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
