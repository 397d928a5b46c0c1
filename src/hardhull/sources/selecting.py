"""Offering one regular file to the selectors that matched it.

Shared by the layer reader and the directory source. Plain selectors get the file's bytes;
selectors with a reader get a stream. When several selectors want the same file it is read
once: into memory when small, otherwise spooled to a temporary file inside the private
workdir, and each reader gets its own rewound view. Limits become ``too-large`` gaps and
a reader that raises becomes an ``unreadable-file`` gap: a cataloger's bug never ends a scan.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, BinaryIO

from hardhull.errors import SourceError
from hardhull.model import FileEntry, Gap
from hardhull.sources.base import ReadContext, Selector

_IN_MEMORY = 8 * 1024 * 1024

Captured = list[tuple[str, object]]


class SelectorIndex:
    """Finds the selectors that want a file, using their path hints to skip most calls.

    Runs for every regular file of every layer, so the common "nobody wants it" answer costs
    one ``str.endswith`` and one ``str.startswith`` over all hinted selectors together.
    """

    def __init__(self, selectors: Sequence[Selector]) -> None:
        self._always = tuple(s for s in selectors if not (s.suffixes or s.prefixes))
        self._hinted = tuple(s for s in selectors if s.suffixes or s.prefixes)
        self._suffixes = tuple(sorted({x for s in self._hinted for x in s.suffixes}))
        self._prefixes = tuple(sorted({x for s in self._hinted for x in s.prefixes}))

    def matching(self, entry: FileEntry) -> list[Selector]:
        """The selectors whose ``match`` accepts ``entry``."""
        found = [s for s in self._always if s.match(entry)]
        path = entry.path
        if self._hinted and (path.endswith(self._suffixes) or path.startswith(self._prefixes)):
            found.extend(s for s in self._hinted if s.match(entry))
        return found


class Shield(io.RawIOBase):
    """A view of a shared spool that a reader may read, seek and even close harmlessly."""

    def __init__(self, inner: IO[bytes]) -> None:
        super().__init__()
        self._inner = inner
        inner.seek(0)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._inner.seek(offset, whence)

    def tell(self) -> int:
        return self._inner.tell()

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        data = self._inner.read(len(view))
        view[: len(data)] = data
        return len(data)


def offer_file(
    entry: FileEntry,
    matched: Sequence[Selector],
    stream: BinaryIO,
    workdir: Path,
    *,
    sparse: bool = False,
) -> tuple[Captured, list[Gap]]:
    """Run every selector in ``matched`` on ``stream`` (the content of ``entry``).

    Returns ``(selector name, value)`` pairs to store and the gaps met. Errors of the
    underlying stream itself (a truncated layer) propagate as :class:`SourceError`.
    """
    gaps: list[Gap] = []
    ok: list[Selector] = []
    for sel in matched:
        if entry.size > sel.max_size:
            gaps.append(
                Gap(
                    "too-large",
                    entry.path,
                    f"{entry.size} bytes, over the {sel.max_size}-byte limit of {sel.name}",
                )
            )
        elif sparse:
            gaps.append(Gap("unreadable-file", entry.path, f"sparse file not read ({sel.name})"))
        else:
            ok.append(sel)
    out: Captured = []
    if not ok:
        return out, gaps
    if len(ok) == 1:
        sel = ok[0]
        if sel.read is None:
            out.append((sel.name, _read_exact(stream, entry)))
        else:
            _run_reader(sel, entry, stream, workdir, out, gaps)
        return out, gaps
    if entry.size <= _IN_MEMORY:
        data = _read_exact(stream, entry)
        for sel in ok:
            if sel.read is None:
                out.append((sel.name, data))
            else:
                _run_reader(sel, entry, io.BytesIO(data), workdir, out, gaps)
        return out, gaps
    with tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY, dir=str(workdir)) as spool:
        shutil.copyfileobj(stream, spool, 1 << 20)
        if spool.tell() != entry.size:
            raise SourceError(f"{entry.path}: content ends after {spool.tell()} bytes")
        for sel in ok:
            spool.seek(0)
            if sel.read is None:
                out.append((sel.name, spool.read(entry.size)))
            else:
                view = io.BufferedReader(Shield(spool))
                _run_reader(sel, entry, view, workdir, out, gaps)
    return out, gaps


def _read_exact(stream: BinaryIO, entry: FileEntry) -> bytes:
    data = stream.read(entry.size)
    if len(data) != entry.size:
        raise SourceError(f"{entry.path}: content ends after {len(data)} of {entry.size} bytes")
    return data


def _run_reader(
    sel: Selector,
    entry: FileEntry,
    stream: BinaryIO,
    workdir: Path,
    out: Captured,
    gaps: list[Gap],
) -> None:
    assert sel.read is not None
    try:
        value = sel.read(entry, stream, ReadContext(workdir, sel.max_size))
    except SourceError:
        raise
    except Exception as exc:  # a selector's failure is a coverage gap, never a crash
        gaps.append(Gap("unreadable-file", entry.path, f"{sel.name}: {type(exc).__name__}: {exc}"))
        return
    if value is not None:
        out.append((sel.name, value))
