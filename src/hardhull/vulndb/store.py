"""Read-only access to the vulnerability database during scans (interface; placeholder).

:meth:`VulnStore.lookup` returns the advisories that name a package, each cut down to its
``affected[]`` entries for that (ecosystem, name). Withdrawn records are never returned.
Names are normalised the same way on import and lookup (PEP 503 for PyPI, ...).
"""

from __future__ import annotations

from pathlib import Path

from hardhull.errors import HardhullError
from hardhull.model import Advisory, DbInfo


class DatabaseError(HardhullError):
    """The database is missing, corrupt, or of another schema version."""


class VulnStore:
    """An open, read-only advisory database."""

    @classmethod
    def open(cls, path: Path) -> VulnStore:
        """Open ``path`` read-only; :class:`DatabaseError` if it cannot be used."""
        raise NotImplementedError

    def lookup(self, ecosystem: str, name: str) -> list[Advisory]:
        """Advisories for ``name`` in ``ecosystem`` (``Debian:12``, ``PyPI``, ...)."""
        raise NotImplementedError

    def kev(self, cve: str) -> bool:
        """True when CISA's Known Exploited Vulnerabilities catalogue lists ``cve``."""
        raise NotImplementedError

    def epss(self, cve: str) -> float | None:
        """FIRST EPSS probability for ``cve``, if known."""
        raise NotImplementedError

    def info(self) -> DbInfo:
        """What the database holds and how old it is."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the connection."""
        raise NotImplementedError
