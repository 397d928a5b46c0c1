"""The one importer interface, its safety limits, and the per-import log.

An importer turns a path (file, directory or archive) into :class:`Advisory` objects.
A record that cannot be used is reported to the :class:`ImportLog` and skipped; only the
caller decides whether an input that gave nothing at all is an error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from hardhull.model import Advisory
from hardhull.sources.base import NullProgress, Progress


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds that keep hostile or broken feeds from exhausting memory or time.

    The real data stays far below them (largest record seen: 29 kB; most events in one
    range: 12; most ``versions[]``: 611; most ``affected[]``: 24).
    """

    max_record_bytes: int = 8 << 20
    max_file_bytes: int = 512 << 20
    max_archive_bytes: int = 16 << 30
    max_ratio: int = 200
    max_members: int = 2_000_000
    max_affected: int = 5_000
    max_ranges: int = 500
    max_events: int = 1_000
    max_versions: int = 100_000


DEFAULT_LIMITS = Limits()


class RecordError(Exception):
    """One record is unusable; the import goes on without it."""


@dataclass
class ImportLog:
    """What an import read: records accepted, errors (counted, the first few kept) and
    notes (counted by text, e.g. unknown fields ignored for forward compatibility)."""

    limits: Limits = DEFAULT_LIMITS
    progress: Progress = field(default_factory=NullProgress)
    progress_key: str = "import"
    records: int = 0
    errors: int = 0
    damaged: int = 0
    samples: list[str] = field(default_factory=list)
    notes: Counter[str] = field(default_factory=Counter)
    max_samples: int = 20

    def error(self, where: str, message: str) -> None:
        """Count an unusable record (or file) and keep the first few messages."""
        self.errors += 1
        if len(self.samples) < self.max_samples:
            self.samples.append(f"{where}: {message}")

    def damage(self, where: str, message: str) -> None:
        """Count a damaged container (bad zip CRC, cut gzip): the input itself is broken."""
        self.damaged += 1
        self.error(where, message)

    def note(self, message: str) -> None:
        """Count a harmless oddity (reported once, with its count)."""
        self.notes[message] += 1

    def advance(self, nbytes: int) -> None:
        """Report progress in input bytes."""
        self.progress.advance(self.progress_key, nbytes)


class Importer(Protocol):
    """One advisory feed format."""

    name: str
    version: str

    def accepts(self, path: Path) -> bool:
        """Whether ``path`` looks like this importer's format (cheap: names, a peek)."""
        ...

    def read(self, path: Path, log: ImportLog) -> Iterator[Advisory]:
        """Every usable advisory under ``path``; problems go to ``log``."""
        ...


def read_bounded(stream: IO[bytes], limit: int) -> bytes:
    """Read a whole stream, refusing one larger than ``limit`` bytes."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise RecordError(f"larger than the {limit >> 20} MiB limit for one record or file")
    return data
