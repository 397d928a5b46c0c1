"""Read the values of a BerkeleyDB *hash* database (rpm's old ``Packages`` file).

Only what rpm databases use: a hash meta page (page 0), hash pages whose items come in
key/data pairs, data stored inline (``H_KEYDATA``) or on chains of overflow pages
(``H_OFFPAGE``). Pages are walked in file order, so the bucket structure does not matter.
The byte order of the file is detected from the meta page's magic number.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator

from hardhull.errors import CatalogError

HASH_MAGIC = 0x061561
PAGE_HEADER = 26
P_HASH_UNSORTED = 2
P_OVERFLOW = 7
P_HASHMETA = 8
P_HASH = 13
H_KEYDATA = 1
H_OFFPAGE = 3
_VALID_PAGE_SIZES = frozenset(1 << n for n in range(9, 17))


class BdbError(CatalogError):
    """A BerkeleyDB file is not a hash database or is damaged."""


def is_bdb_hash(head: bytes) -> bool:
    """True if ``head`` (the first bytes of a file) is a BerkeleyDB hash meta page."""
    if len(head) < 26:
        return False
    return HASH_MAGIC in struct.unpack_from("<I", head, 12) + struct.unpack_from(">I", head, 12)


class _Pages:
    def __init__(self, buf: mmap.mmap | bytes) -> None:
        self.buf = buf
        if len(buf) < 512:
            raise BdbError("file is too short for a BerkeleyDB meta page")
        if struct.unpack_from("<I", buf, 12)[0] == HASH_MAGIC:
            self.order = "<"
        elif struct.unpack_from(">I", buf, 12)[0] == HASH_MAGIC:
            self.order = ">"
        else:
            raise BdbError("not a BerkeleyDB hash database (bad magic)")
        (self.pagesize,) = struct.unpack_from(self.order + "I", buf, 20)
        if self.pagesize not in _VALID_PAGE_SIZES:
            raise BdbError(f"invalid page size {self.pagesize}")
        if buf[25] != P_HASHMETA:
            raise BdbError(f"page 0 is of type {buf[25]}, not a hash meta page")
        if buf[24]:
            raise BdbError("encrypted BerkeleyDB databases are not supported")
        self.npages = len(buf) // self.pagesize
        self.u16 = struct.Struct(self.order + "H")
        self.u32 = struct.Struct(self.order + "I")

    def page(self, pgno: int) -> bytes:
        start = pgno * self.pagesize
        return self.buf[start : start + self.pagesize]

    def overflow(self, pgno: int, total: int) -> bytes:
        """The value stored on the overflow chain starting at ``pgno``."""
        parts: list[bytes] = []
        got = 0
        seen: set[int] = set()
        while pgno and got < total:
            if pgno >= self.npages or pgno in seen:
                raise BdbError(f"overflow chain reaches invalid page {pgno}")
            seen.add(pgno)
            page = self.page(pgno)
            if page[25] != P_OVERFLOW:
                raise BdbError(f"overflow chain reaches page {pgno} of type {page[25]}")
            length = self.u16.unpack_from(page, 22)[0]
            if PAGE_HEADER + length > self.pagesize:
                raise BdbError(f"overflow page {pgno} claims {length} bytes")
            parts.append(page[PAGE_HEADER : PAGE_HEADER + length])
            got += length
            pgno = self.u32.unpack_from(page, 16)[0]
        if got < total:
            raise BdbError(f"overflow chain ends after {got} of {total} bytes")
        return b"".join(parts)[:total]

    def item(self, page: bytes, offsets: list[int], i: int) -> tuple[int, bytes, int, int]:
        """``(type, inline bytes, overflow pgno, overflow length)`` of item ``i``."""
        start = offsets[i]
        end = self.pagesize if i == 0 else offsets[i - 1]
        if not PAGE_HEADER <= start < end <= self.pagesize:
            raise BdbError("hash item offsets are inconsistent")
        kind = page[start]
        if kind == H_OFFPAGE:
            if end - start < 12:
                raise BdbError("off-page item is truncated")
            pgno, tlen = struct.unpack_from(self.order + "II", page, start + 4)
            return kind, b"", pgno, tlen
        return kind, page[start + 1 : end], 0, 0


def iter_values(buf: mmap.mmap | bytes) -> Iterator[tuple[bytes, bytes]]:
    """``(key, value)`` for every record of the hash database in ``buf``.

    Raises :class:`BdbError` at the first damage found; records yielded before it stand.
    """
    pages = _Pages(buf)
    for pgno in range(1, pages.npages):
        page = pages.page(pgno)
        if page[25] not in (P_HASH, P_HASH_UNSORTED):
            continue
        entries = pages.u16.unpack_from(page, 20)[0]
        if PAGE_HEADER + 2 * entries > pages.pagesize:
            raise BdbError(f"hash page {pgno} claims {entries} items")
        offsets = [pages.u16.unpack_from(page, PAGE_HEADER + 2 * i)[0] for i in range(entries)]
        for i in range(0, entries - 1, 2):
            kkind, key, kpg, klen = pages.item(page, offsets, i)
            if kkind == H_OFFPAGE:
                key = pages.overflow(kpg, klen)
            dkind, value, dpg, dlen = pages.item(page, offsets, i + 1)
            if dkind == H_OFFPAGE:
                value = pages.overflow(dpg, dlen)
            elif dkind != H_KEYDATA:
                raise BdbError(f"unsupported hash item type {dkind} on page {pgno}")
            yield key, value
