"""The admission audit log: one JSON line per decision, size-capped with rotation.

When the file would grow past ``max_bytes`` it is renamed to ``<path>.1`` (older
backups shift to ``.2`` ... ``.<backups>``, the oldest is dropped) and a new file is
started, so the log never takes more than ``(backups + 1) * max_bytes`` (plus one line).
Writes are serialised by a lock; each line is flushed so a crash loses nothing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import orjson


class AuditLog:
    """An append-only JSON-lines file with rotation."""

    def __init__(self, path: Path, *, max_bytes: int = 10 * 1024 * 1024, backups: int = 3):
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[bytes] = open(path, "ab")  # noqa: SIM115 - kept open for the server's life
        self._size = self._fh.tell()

    def write(self, record: Mapping[str, Any]) -> None:
        """Append one record (a JSON object) as a line."""
        line = orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
        with self._lock:
            if self._fh.closed:
                return
            if self._size and self._size + len(line) > self.max_bytes:
                self._rotate()
            self._fh.write(line)
            self._fh.flush()
            self._size += len(line)

    def _rotate(self) -> None:
        self._fh.close()
        if self.backups == 0:
            self.path.unlink(missing_ok=True)
        else:
            for i in range(self.backups - 1, 0, -1):
                older = self.path.with_name(f"{self.path.name}.{i}")
                if older.exists():
                    os.replace(older, self.path.with_name(f"{self.path.name}.{i + 1}"))
            os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))
        self._fh = open(self.path, "ab")  # noqa: SIM115
        self._size = 0

    def close(self) -> None:
        """Flush and close the file; later writes are dropped."""
        with self._lock:
            self._fh.close()
