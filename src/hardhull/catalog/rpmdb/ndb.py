"""Read package blobs from rpm's NDB ``Packages.db`` (SUSE's default backend).

Format (little-endian u32 fields), as laid out by rpm's ``lib/backend/ndb/rpmpkg.c``:

* a 32-byte file header: magic ``RpmP``, version 0, generation, number of slot pages,
  next package index;
* slot pages (4096 bytes each; the first one starts after the header): 16-byte slots of
  magic ``Slot``, package index, block offset, block count (blocks are 16 bytes; a zero
  offset marks a free slot);
* blobs at ``offset * 16``: a 16-byte head (magic ``BlbS``, package index, timestamp,
  length), the header blob, zero padding, and a 12-byte tail (Adler-32 of head, blob and
  padding, length, magic ``BlbE``).
"""

from __future__ import annotations

import mmap
import struct
import zlib
from collections.abc import Iterator

from hardhull.errors import CatalogError

NDB_MAGIC = b"RpmP"
_SLOT_MAGIC = 0x746F6C53  # "Slot"
_HEAD_MAGIC = 0x53626C42  # "BlbS"
_TAIL_MAGIC = 0x45626C42  # "BlbE"
_PAGE = 4096
_BLK = 16
_HEADER = 32


class NdbError(CatalogError):
    """An NDB package database is damaged."""


def iter_blobs(buf: mmap.mmap | bytes) -> Iterator[tuple[int, bytes]]:
    """``(package index, header blob)`` for every used slot, in slot order.

    Raises :class:`NdbError` at the first damage; blobs yielded before it stand.
    """
    if len(buf) < _HEADER or buf[:4] != NDB_MAGIC:
        raise NdbError("not an NDB package database (bad magic)")
    version, _generation, npages = struct.unpack_from("<3I", buf, 4)
    if version != 0:
        raise NdbError(f"unsupported NDB version {version}")
    if npages == 0 or npages * _PAGE > len(buf):
        raise NdbError(f"{npages} slot pages do not fit in {len(buf)} bytes")
    min_blk = npages * _PAGE // _BLK
    total_blk = len(buf) // _BLK
    for off in range(_HEADER, npages * _PAGE, 16):
        magic, pkgidx, blkoff, blkcnt = struct.unpack_from("<4I", buf, off)
        if magic != _SLOT_MAGIC:
            raise NdbError(f"slot at byte {off} has a bad magic")
        if blkoff == 0:
            continue
        if not pkgidx or not blkcnt or blkoff < min_blk or blkoff + blkcnt > total_blk:
            raise NdbError(f"slot of package {pkgidx} points outside the file (truncated?)")
        yield pkgidx, _blob(buf, pkgidx, blkoff, blkcnt)


def _blob(buf: mmap.mmap | bytes, pkgidx: int, blkoff: int, blkcnt: int) -> bytes:
    start = blkoff * _BLK
    magic, idx, _stamp, length = struct.unpack_from("<4I", buf, start)
    if magic != _HEAD_MAGIC or idx != pkgidx:
        raise NdbError(f"blob of package {pkgidx} has a bad head")
    if blkcnt != (16 + length + 12 + _BLK - 1) // _BLK:
        raise NdbError(f"blob of package {pkgidx} has an inconsistent length")
    end = start + blkcnt * _BLK
    adler, tail_len, tail_magic = struct.unpack_from("<3I", buf, end - 12)
    if tail_magic != _TAIL_MAGIC or tail_len != length:
        raise NdbError(f"blob of package {pkgidx} has a bad tail")
    if zlib.adler32(buf[start : end - 12]) & 0xFFFFFFFF != adler:
        raise NdbError(f"blob of package {pkgidx} fails its Adler-32 check")
    return bytes(buf[start + 16 : start + 16 + length])
