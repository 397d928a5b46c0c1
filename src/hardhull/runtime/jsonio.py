"""Line-oriented JSON input shared by the non-kernel event sources.

* :func:`open_input` opens a path (``-`` for standard input; ``.gz`` and ``.zst`` are
  decompressed on the fly) as a binary stream, or raises :class:`SensorError` with one
  clear line.
* :class:`LineReader` yields the lines of a stream with a bounded length: a line longer
  than ``max_line`` is *skipped without being held in memory* and reported as ``None`` so
  the caller can count it as malformed. With ``follow=True`` it waits at end of file for
  more data (``tail -f``) until :meth:`LineReader.stop` is called.
* :func:`parse_time_ns` turns an RFC 3339 timestamp (nanosecond precision) into
  nanoseconds since the epoch.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, cast

from hardhull.errors import SensorError

#: Default longest accepted line (bytes, newline included). Larger lines are malformed.
MAX_LINE = 1 << 20

_CHUNK = 1 << 16


def open_input(path: str | Path) -> BinaryIO:
    """A binary stream for ``path`` (``-``: standard input), decompressing ``.gz``/``.zst``."""
    name = str(path)
    if name == "-":
        return sys.stdin.buffer
    p = Path(name)
    try:
        raw: BinaryIO = open(p, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    except FileNotFoundError as exc:
        raise SensorError(f"{p}: no such events file") from exc
    except IsADirectoryError as exc:
        raise SensorError(f"{p}: is a directory, expected an events file") from exc
    except OSError as exc:
        raise SensorError(f"{p}: cannot open ({exc.strerror})") from exc
    if p.suffix == ".gz":
        from isal import igzip

        return cast(BinaryIO, igzip.IGzipFile(fileobj=raw, mode="rb"))  # type: ignore[no-untyped-call]
    if p.suffix == ".zst":
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)
        return cast(BinaryIO, io.BufferedReader(reader, buffer_size=1 << 20))
    return raw


class LineReader:
    """Bounded-length lines of a binary stream; ``None`` stands for an oversized line."""

    def __init__(
        self,
        stream: BinaryIO,
        *,
        max_line: int = MAX_LINE,
        follow: bool = False,
        poll_s: float = 0.2,
        name: str = "<stream>",
    ) -> None:
        self.stream = stream
        self.max_line = max_line
        self.follow = follow
        self.poll_s = poll_s
        self.name = name
        self._stop = threading.Event()

    def stop(self) -> None:
        """Make a following reader return at its next end-of-file check."""
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def _read(self, limit: int) -> bytes:
        try:
            return self.stream.readline(limit)
        except EOFError as exc:  # a truncated .gz
            raise SensorError(f"{self.name}: truncated compressed input ({exc})") from exc
        except Exception as exc:  # OSError, closed stream, corrupt .gz/.zst (IsalError...)
            if self._stop.is_set():
                return b""
            raise SensorError(f"{self.name}: cannot read ({exc})") from exc

    def _discard_rest(self) -> None:
        """Skip to the end of the current (oversized) line, chunk by chunk."""
        while not self._stop.is_set():
            chunk = self._read(_CHUNK)
            if chunk.endswith(b"\n"):
                return
            if not chunk:
                if not self.follow:
                    return
                self._stop.wait(self.poll_s)

    def __iter__(self) -> Iterator[bytes | None]:
        limit = self.max_line
        read = self._read
        pending = b""
        while True:
            line = read(limit + 1 - len(pending))
            if pending:
                line = pending + line
                pending = b""
            if not line:
                if not self.follow or self._stop.is_set():
                    return
                self._stop.wait(self.poll_s)
                continue
            if line.endswith(b"\n"):
                if len(line) > limit:
                    yield None
                else:
                    yield line
                continue
            if len(line) > limit:  # no newline within the limit: oversized
                self._discard_rest()
                yield None
                continue
            # end of data without a newline
            if self.follow and not self._stop.is_set():
                pending = line  # a writer is mid-line: wait for the rest
                self._stop.wait(self.poll_s)
                continue
            yield line


_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9})\d*)?"
    r"(?:([Zz])|([+-])(\d\d):?(\d\d))?\s*\Z"
)


def parse_time_ns(text: str) -> int:
    """Nanoseconds since the epoch for an RFC 3339 timestamp (``Z`` assumed when no
    offset is given). Raises ``ValueError`` for anything else."""
    m = _RFC3339.match(text)
    if m is None:
        raise ValueError(f"not an RFC 3339 time: {text[:64]!r}")
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    frac = m.group(7) or ""
    offset = 0
    if m.group(9):
        offset = int(m.group(10)) * 3600 + int(m.group(11)) * 60
        if m.group(9) == "-":
            offset = -offset
    base = dt.datetime(year, month, day, hour, minute, min(second, 59), tzinfo=dt.UTC)
    seconds = int(base.timestamp()) - offset
    return seconds * 1_000_000_000 + int(frac.ljust(9, "0") if frac else 0)


def format_time_ns(ns: int) -> str:
    """RFC 3339 UTC with nanoseconds, as Falco prints ``time``."""
    seconds, frac = divmod(ns, 1_000_000_000)
    stamp = dt.datetime.fromtimestamp(seconds, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{frac:09d}Z"
