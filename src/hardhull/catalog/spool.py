"""Random access to a stream that may not be seekable, with bounded memory.

Selector readers get a stream straight out of a layer tar. ELF section headers and zip
central directories live at the end of the file, so parsing needs random access: a
seekable stream is used as is, anything else is copied into a
:class:`tempfile.SpooledTemporaryFile` that stays in memory up to a small size and moves
to the scan's private work directory beyond it.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from hardhull.errors import CatalogError

CHUNK = 1024 * 1024
SPOOL_MEMORY = 8 * 1024 * 1024


class TooLargeError(CatalogError):
    """The content exceeded the limit the caller allowed."""


def _is_seekable(stream: IO[bytes]) -> bool:
    try:
        if not stream.seekable():
            return False
        stream.tell()
    except (AttributeError, OSError, ValueError):
        return False
    return True


def read_exactly(stream: IO[bytes], n: int) -> bytes:
    """Up to ``n`` bytes from ``stream`` (fewer only at end of stream)."""
    parts: list[bytes] = []
    left = n
    while left > 0:
        part = stream.read(left)
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


@contextmanager
def random_access(
    stream: IO[bytes],
    head: bytes,
    workdir: Path | None,
    limit: int,
    *,
    memory: int = SPOOL_MEMORY,
) -> Iterator[tuple[IO[bytes], int]]:
    """Yield ``(seekable file, size)`` holding ``head`` followed by the rest of ``stream``.

    ``head`` is what the caller already consumed from the start of ``stream``. Raises
    :class:`TooLargeError` when the content is longer than ``limit`` bytes.
    """
    if _is_seekable(stream):
        start = stream.tell() - len(head)
        end = stream.seek(0, io.SEEK_END)
        size = end - start
        if size > limit:
            raise TooLargeError(f"{size} bytes, over the {limit}-byte limit")
        view: IO[bytes] = io.BufferedReader(_Window(stream, start, size))
        yield view, size
        return
    spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115
        max_size=memory, dir=str(workdir) if workdir else None
    )
    try:
        spool.write(head)
        size = len(head)
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise TooLargeError(f"over the {limit}-byte limit")
            spool.write(chunk)
        spool.seek(0)
        yield spool, size
    finally:
        spool.close()


class _Window(io.RawIOBase):
    """A read-only view of ``[start, start + size)`` of a seekable stream."""

    def __init__(self, base: IO[bytes], start: int, size: int) -> None:
        super().__init__()
        self._base = base
        self._start = start
        self._size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        else:
            pos = self._size + offset
        self._pos = max(0, pos)
        return self._pos

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        left = self._size - self._pos
        if left <= 0:
            return 0
        want = min(len(buffer), left)
        self._base.seek(self._start + self._pos)
        data = self._base.read(want)
        n = len(data)
        buffer[:n] = data
        self._pos += n
        return n
