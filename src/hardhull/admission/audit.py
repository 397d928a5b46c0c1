"""The admission audit log: one JSON line per decision, size-capped with rotation.

When the file would grow past ``max_bytes`` it is renamed to ``<path>.1`` (older
backups shift to ``.2`` ... ``.<backups>``, the oldest is dropped) and a new file is
started, so the log never takes more than ``(backups + 1) * max_bytes`` (plus one line).
Writes are serialised by a lock; each line is flushed so a crash loses nothing.

With ``shared=True`` (several server worker processes writing one log), every line is
one ``write`` on an ``O_APPEND`` descriptor, a worker that finds the file rotated by
another reopens it, and rotation itself runs under an ``flock`` on ``<path>.lock``.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import orjson


class AuditLog:
    """An append-only JSON-lines file with rotation."""

    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int = 10 * 1024 * 1024,
        backups: int = 3,
        shared: bool = False,
    ):
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self.shared = shared
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[bytes]
        self._size: int
        self._ino: int
        self._open()

    def _open(self) -> None:
        """Open ``path`` for appending (kept open for the server's life) and note the
        file's size and inode."""
        self._fh = open(self.path, "ab")  # noqa: SIM115
        st = os.fstat(self._fh.fileno())
        self._ino, self._size = st.st_ino, st.st_size

    def write(self, record: Mapping[str, Any]) -> None:
        """Append one record (a JSON object) as a line."""
        line = orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
        with self._lock:
            if self._fh.closed:
                return
            if self.shared:
                self._shared_prepare(len(line))
            elif self._size and self._size + len(line) > self.max_bytes:
                self._rotate()
            self._fh.write(line)
            self._fh.flush()
            self._size += len(line)

    def _shared_prepare(self, incoming: int) -> None:
        """Follow another worker's rotation; rotate (under the file lock) when full."""
        self._follow()
        if self._size and self._size + incoming > self.max_bytes:
            with open(self.path.with_name(self.path.name + ".lock"), "ab") as lock:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
                self._follow()  # someone may have rotated while we waited
                if self._size and self._size + incoming > self.max_bytes:
                    self._rotate()

    def _follow(self) -> None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            st = None
        if st is None or st.st_ino != self._ino:
            self._fh.close()
            self._open()
        else:
            self._size = st.st_size

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
        self._open()

    def close(self) -> None:
        """Flush and close the file; later writes are dropped."""
        with self._lock:
            self._fh.close()
