"""Bounded-memory random access to an ELF file that arrives as a one-way stream.

ELF section headers usually sit at the very end of the file, so a parser needs random
access. Copying every executable of an image to a spool file costs more than reading the
layer itself (measured: 330 MB of binaries > 8 MB took 1.0 s to spool to disk, against
0.18 s to just read everything), so files are handled in two ways:

* up to ``keep`` bytes (8 MiB): the whole file is held in memory;
* larger: one pass keeps only what the probe can need: the first ``keep`` bytes (headers,
  and with the Go linker the section table), the last ``keep`` bytes (section table and
  names with GNU ld, non-allocated sections such as an ``objcopy``-added ``.dep-v0``), the
  ranges of wanted sections when the section table was already seen, and a window after
  every 16-byte-aligned Go build info magic. Reads outside what was kept raise
  :class:`~hardhull.catalog.elf.ElfError` ("not retained"), which the probe reports.

Seekable streams (a directory source) are read in place without copying.
"""

from __future__ import annotations

import io
from collections import deque
from typing import IO

from hardhull.catalog.elf import SHT_NOBITS, ElfError, ElfHeader, ElfImage
from hardhull.catalog.gobuildinfo import ALIGN, MAGIC
from hardhull.catalog.spool import CHUNK, TooLargeError

KEEP = 8 * 1024 * 1024
_MAX_WINDOWS = 4
_SECTION_MAX = 16 * 1024 * 1024
_SMALL_SECTION = 1024 * 1024
_PLAN_BUDGET = 8 * 1024 * 1024


class BytesSource:
    """All of a file in memory."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)

    def read_at(self, offset: int, n: int) -> bytes:
        if offset < 0 or offset + n > len(self._data):
            raise ElfError(f"read of {n} bytes at {offset} past the end")
        return bytes(self._data[offset : offset + n])


class StreamSource:
    """A seekable stream, read in place."""

    def __init__(self, stream: IO[bytes], start: int) -> None:
        self._stream = stream
        self._start = start

    def read_at(self, offset: int, n: int) -> bytes:
        self._stream.seek(self._start + offset)
        data = self._stream.read(n)
        if len(data) != n:
            raise ElfError(f"short read at {offset}")
        return data


class SparseSource:
    """The retained pieces of a large file."""

    def __init__(self) -> None:
        self.pieces: list[tuple[int, bytes]] = []

    def add(self, offset: int, data: bytes) -> None:
        if data:
            self.pieces.append((offset, data))

    def read_at(self, offset: int, n: int) -> bytes:
        for start, data in self.pieces:
            if start <= offset and offset + n <= start + len(data):
                return data[offset - start : offset - start + n]
        raise ElfError(f"{n} bytes at offset {offset} were not retained while streaming")


def _seekable_start(stream: IO[bytes], head: bytes) -> int | None:
    try:
        if stream.seekable():
            return stream.tell() - len(head)
    except (AttributeError, OSError, ValueError):
        return None
    return None


def open_elf(
    stream: IO[bytes], head: bytes, header: ElfHeader, limit: int, keep: int = KEEP
) -> ElfImage:
    """Parse the ELF whose first bytes ``head`` were already read from ``stream``."""
    start = _seekable_start(stream, head)
    if start is not None:
        size = stream.seek(0, io.SEEK_END) - start
        if size > limit:
            raise TooLargeError(f"{size} bytes, over the {limit}-byte limit")
        return ElfImage(StreamSource(stream, start), size, header)
    buf = bytearray(head)
    while len(buf) <= keep:
        chunk = stream.read(CHUNK)
        if not chunk:
            return ElfImage(BytesSource(bytes(buf)), len(buf), header)
        buf += chunk
    if len(buf) > limit:
        raise TooLargeError(f"over the {limit}-byte limit")
    return _stream_large(stream, bytes(buf), header, limit, keep)


def _planned_ranges(head: bytes, header: ElfHeader) -> list[tuple[int, int]]:
    """Section ranges worth keeping, when the section table is inside ``head``.

    When the table is there but its names are not (Go's linker writes ``.shstrtab`` after
    the code), keep the names and every small section, up to ``_PLAN_BUDGET`` bytes.
    """
    probe = SparseSource()
    probe.add(0, head)
    try:
        image = ElfImage(probe, 1 << 62, header, names_optional=True)
    except ElfError:
        return []
    if not image.names_missing:
        return [
            (sec.offset, sec.offset + min(sec.size, _SECTION_MAX))
            for sec in image.sections
            if sec.name in (".go.buildinfo", ".dep-v0")
        ]
    assert image.name_table is not None
    offset, size = image.name_table
    wanted = [(offset, offset + size)]
    budget = _PLAN_BUDGET
    for sec in image.sections:
        if sec.type != SHT_NOBITS and 0 < sec.size <= min(budget, _SMALL_SECTION):
            wanted.append((sec.offset, sec.offset + sec.size))
            budget -= sec.size
    return wanted


def _stream_large(
    stream: IO[bytes], first: bytes, header: ElfHeader, limit: int, keep: int
) -> ElfImage:
    src = SparseSource()
    src.add(0, first[:keep])
    wanted = _planned_ranges(first[:keep], header)
    kept: dict[tuple[int, int], bytearray] = {r: bytearray() for r in wanted}
    windows: dict[int, bytearray] = {}
    window_size = 4 * 1024 * 1024 + 64 * 1024
    tail: deque[tuple[int, bytes]] = deque()
    tail_len = 0
    carry = b""  # the last bytes of the previous chunk, for magics across chunk borders
    pos = keep
    chunk = first[keep:]
    while chunk:
        end = pos + len(chunk)
        if end > limit:
            raise TooLargeError(f"over the {limit}-byte limit")
        for (lo, hi), acc in kept.items():
            a, b = max(lo, pos), min(hi, end)
            if a < b:
                acc += chunk[a - pos : b - pos]
        for acc in windows.values():
            room = window_size - len(acc)
            if room > 0:  # windows start in an earlier chunk
                acc += chunk[:room]
        hay = carry + chunk
        base = pos - len(carry)
        i = hay.find(MAGIC)
        while i >= 0 and len(windows) < _MAX_WINDOWS:
            at = base + i
            if at % ALIGN == 0 and at >= keep and at not in windows:
                windows[at] = bytearray(hay[i : i + window_size])
            i = hay.find(MAGIC, i + 1)
        carry = chunk[-(len(MAGIC) - 1) :]
        tail.append((pos, chunk))
        tail_len += len(chunk)
        while tail and tail_len - len(tail[0][1]) >= keep:
            tail_len -= len(tail.popleft()[1])
        pos = end
        chunk = stream.read(CHUNK)
    if tail:
        src.add(tail[0][0], b"".join(c for _, c in tail))
    for (lo, _hi), acc in kept.items():
        src.add(lo, bytes(acc))
    for wstart, acc in windows.items():
        src.add(wstart, bytes(acc))
    return ElfImage(src, pos, header)
