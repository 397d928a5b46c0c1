"""What a scan examined and, just as important, what it did not."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Gap:
    """Something that could not be examined.

    ``kind`` is a stable machine-readable word (``unreadable-layer``, ``unreadable-file``,
    ``unparsable-database``, ``too-large``, ``unsafe-entry``, ``unidentified-executable``,
    ``cataloger-error``, ...); ``subject`` names the path, layer or database; ``detail``
    says why in words.
    """

    kind: str
    subject: str
    detail: str


@dataclass(frozen=True, slots=True)
class Coverage:
    """The honest account of a scan. A report without one is a bug."""

    layers_read: tuple[str, ...] = ()
    files_examined: int = 0
    package_databases: tuple[str, ...] = ()
    catalogers: tuple[str, ...] = ()
    unidentified_executables: tuple[str, ...] = ()
    gaps: tuple[Gap, ...] = ()

    @property
    def has_package_database(self) -> bool:
        """False when nothing that lists installed software was found at all."""
        return bool(self.package_databases)

    @property
    def complete(self) -> bool:
        """True only if everything was read and something was found to read."""
        return self.has_package_database and not self.gaps and not self.unidentified_executables
