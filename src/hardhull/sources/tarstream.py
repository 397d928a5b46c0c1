"""A lean, forward-only tar reader for layer streams.

The standard library's ``tarfile`` in stream mode spends most of its time copying its read
buffer; this reader parses the 512-byte headers itself (ustar, GNU long names, PAX
extended headers, GNU sparse headers) over one reusable buffer and skips unread member data
in large chunks. It reads; it never writes, and never seeks backwards.

Formats follow POSIX.1-2001 ``pax`` / ustar and the GNU tar documentation.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from hardhull.errors import SourceError

BLOCK = 512
_CHUNK = 1 << 20
_ZERO = bytes(BLOCK)
_MAX_META = 1 << 20  # PAX headers and GNU long names larger than this are refused

# Entry kinds as single letters (the tar type flags after normalisation).
REG = "0"
LNK = "1"
SYM = "2"
CHR = "3"
BLK = "4"
DIR = "5"
FIFO = "6"


class RawSource(Protocol):
    """Anything with ``readinto`` (a raw or buffered binary stream)."""

    def readinto(self, buffer: memoryview, /) -> int | None: ...


class TarFormatError(SourceError):
    """The stream is not a well-formed tar (or ends early)."""


@dataclass(slots=True)
class TarHeader:
    """One member: name as stored, type letter, metadata, and whether it is sparse."""

    name: str
    type: str
    mode: int
    uid: int
    gid: int
    size: int
    linkname: str
    sparse: bool = False


def _num(field: bytes) -> int:
    try:  # the common case: octal digits, then NULs or spaces
        return int(field.rstrip(b"\0"), 8)
    except ValueError:
        return _num_slow(field)


def _num_slow(field: bytes) -> int:
    if field and field[0] & 0x80:
        if field[0] == 0xFF:
            raise TarFormatError("negative number in tar header")
        return int.from_bytes(field[1:], "big")
    text = field.split(b"\0", 1)[0].strip()
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        raise TarFormatError(f"invalid number {text[:20]!r} in tar header") from None


def _text(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("utf-8", "backslashreplace")


def _checksum_ok(block: bytes) -> bool:
    try:
        stored = _num(block[148:156])
    except TarFormatError:
        return False
    unsigned = sum(block) - sum(block[148:156]) + 8 * 32
    if unsigned == stored:
        return True
    signed = unsigned - 2 * sum(b for b in block if b > 127)
    signed += 2 * sum(b for b in block[148:156] if b > 127)
    return signed == stored


def _pax_int(pax: dict[str, str], key: str, default: int) -> int:
    value = pax.get(key)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise TarFormatError(f"invalid PAX {key} {value[:20]!r}") from None


def _parse_pax(data: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        if data[pos] == 0:
            break
        space = data.find(b" ", pos)
        if space < 0:
            raise TarFormatError("malformed PAX header")
        try:
            length = int(data[pos:space])
        except ValueError:
            raise TarFormatError("malformed PAX header length") from None
        if length <= 0 or pos + length > len(data):
            raise TarFormatError("malformed PAX header record")
        record = data[space + 1 : pos + length - 1]
        key, eq, value = record.partition(b"=")
        if eq:
            out[key.decode("utf-8", "backslashreplace")] = value.decode("utf-8", "backslashreplace")
        pos += length
    return out


class TarStream:
    """Iterate the members of a tar read from ``source`` (any object with ``readinto``)."""

    def __init__(self, source: RawSource) -> None:
        self._src = source
        self._buf = bytearray(_CHUNK)
        self._view = memoryview(self._buf)
        self._start = 0
        self._end = 0
        self._left = 0  # unread data bytes of the current member, padding included
        self._data_left = 0  # unread data bytes of the current member, padding excluded
        self.done = False
        self._seen = False

    # -- buffer primitives -------------------------------------------------
    def _fill(self, need: int) -> bool:
        """Make ``need`` (<= chunk) bytes available; False at a clean end of stream."""
        avail = self._end - self._start
        if avail >= need:
            return True
        if self._start:
            self._buf[0:avail] = self._view[self._start : self._end]
            self._start, self._end = 0, avail
        while self._end < need:
            n = self._src.readinto(self._view[self._end :]) or 0
            if not n:
                return False
            self._end += n
        return True

    def _take(self, n: int) -> bytes:
        if not self._fill(n):
            raise TarFormatError("unexpected end of data (truncated tar)")
        out = bytes(self._view[self._start : self._start + n])
        self._start += n
        return out

    def _skip(self, n: int) -> None:
        avail = self._end - self._start
        if n <= avail:
            self._start += n
            return
        n -= avail
        self._start = self._end = 0
        view = self._view
        while n > 0:
            got = self._src.readinto(view[: min(n, _CHUNK)])
            if not got:
                raise TarFormatError("unexpected end of data (truncated tar)")
            n -= got

    def _read_meta(self, size: int, what: str) -> bytes:
        if size > _MAX_META:
            raise TarFormatError(f"{what} of {size} bytes is too large")
        padded = -(-size // BLOCK) * BLOCK
        data = self._take(size) if size else b""
        self._skip(padded - size)
        return data

    # -- members -----------------------------------------------------------
    def next(self) -> TarHeader | None:
        """The next member's header (skipping any unread data), or ``None`` at the end."""
        if self.done:
            return None
        if self._left:
            self._skip(self._left)
            self._left = self._data_left = 0
        pax: dict[str, str] = {}
        meta = 0  # bytes of extended headers before this member
        long_name: str | None = None
        long_link: str | None = None
        while True:
            if not self._fill(BLOCK):
                if self._end - self._start or self._seen:
                    raise TarFormatError("unexpected end of data (truncated tar)")
                self.done = True  # an empty stream: an empty layer
                return None

            block = bytes(self._view[self._start : self._start + BLOCK])
            self._start += BLOCK
            if block == _ZERO:
                self.done = True
                return None
            # The checksum guards the first header (is this a tar at all?) and non-ustar
            # ones; later ustar headers are covered by the layer digests.
            if (not self._seen or block[257:262] != b"ustar") and not _checksum_ok(block):
                raise TarFormatError("bad tar header checksum (not a tar, or corrupt)")
            self._seen = True
            flag = block[156:157]
            size = _num(block[124:136])
            if flag in (b"x", b"X", b"g", b"L", b"K"):
                meta += size
                if meta > _MAX_META:
                    raise TarFormatError(f"{meta} bytes of extended headers for one member")
            if flag in (b"x", b"X"):
                pax.update(_parse_pax(self._read_meta(size, "PAX header")))
                continue
            if flag == b"g":
                self._read_meta(size, "PAX global header")
                continue
            if flag == b"L":
                long_name = _text(self._read_meta(size, "GNU long name"))
                continue
            if flag == b"K":
                long_link = _text(self._read_meta(size, "GNU long link"))
                continue
            return self._member(block, flag, size, pax, long_name, long_link)

    def _member(
        self,
        block: bytes,
        flag: bytes,
        size: int,
        pax: dict[str, str],
        long_name: str | None,
        long_link: str | None,
    ) -> TarHeader:
        name = long_name
        if name is None:
            name = _text(block[0:100])
            if block[257:263] == b"ustar\x00" and block[345] != 0:
                name = _text(block[345:500]) + "/" + name
        linkname = long_link if long_link is not None else _text(block[157:257])
        kind = flag.decode("latin-1") if flag else REG
        sparse = False
        real_size = size
        if kind == "S":  # old GNU sparse: extension blocks follow the header
            sparse = True
            real_size = _num(block[483:495])
            extended = block[482]
            while extended:
                ext = self._take(BLOCK)
                extended = ext[504]
            kind = REG
        elif kind in ("\0", "7"):
            kind = DIR if name.endswith("/") else REG
        if pax:
            name = pax.get("path", name)
            linkname = pax.get("linkpath", linkname)
            size = _pax_int(pax, "size", size)
            if "GNU.sparse.realsize" in pax or "GNU.sparse.size" in pax:
                sparse = True
                real_size = _pax_int(pax, "GNU.sparse.realsize", -1)
                if real_size < 0:
                    real_size = _pax_int(pax, "GNU.sparse.size", 0)
                name = pax.get("GNU.sparse.name", name)
            else:
                real_size = size
        mode = _num(block[100:108]) & 0o7777
        uid = _pax_int(pax, "uid", -1) if "uid" in pax else _num(block[108:116])
        gid = _pax_int(pax, "gid", -1) if "gid" in pax else _num(block[116:124])
        # Like tar itself: only regular (and unknown) members carry data.
        stored = 0 if kind in (LNK, SYM, CHR, BLK, DIR, FIFO) else size
        if stored == 0 and kind != REG:
            real_size = 0
        if stored < 0 or real_size < 0:
            raise TarFormatError("negative size in tar header")
        self._data_left = stored
        self._left = -(-stored // BLOCK) * BLOCK
        return TarHeader(name, kind, mode, uid, gid, real_size, linkname, sparse)

    def member_reader(self) -> BinaryIO:
        """A stream over the current member's data (valid until :meth:`next`)."""
        return io.BufferedReader(_MemberData(self), 256 * 1024)

    def read_data(self, buffer: memoryview) -> int:
        """Copy up to ``len(buffer)`` bytes of the current member's data into ``buffer``."""
        want = min(len(buffer), self._data_left)
        if want <= 0:
            return 0
        avail = self._end - self._start
        if not avail:
            self._start = self._end = 0
            n = self._src.readinto(self._view)
            if not n:
                raise TarFormatError("unexpected end of data (truncated tar member)")
            self._end = n
            avail = n
        n = min(want, avail)
        buffer[:n] = self._view[self._start : self._start + n]
        self._start += n
        self._data_left -= n
        self._left -= n
        return n

    def drain(self) -> None:
        """Read the source to its end (so digests cover every byte)."""
        self._start = self._end = 0
        while self._src.readinto(self._view):
            pass


class _MemberData(io.RawIOBase):
    def __init__(self, stream: TarStream) -> None:
        super().__init__()
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        return self._stream.read_data(memoryview(buffer).cast("B"))
