"""Parse one RPM header blob as stored in an rpm database (no lead, no header magic).

Layout (all big-endian): ``il`` (number of index entries, u32), ``dl`` (data size, u32),
``il`` index entries of 16 bytes (tag, type, offset into data, count), then ``dl`` bytes
of data. The first entry is usually a region tag (``HEADERIMMUTABLE``) that the reader
does not need; entries appended after the region at install time override earlier ones
with the same tag, so the last occurrence wins.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from hardhull.errors import CatalogError

TAG_NAME = 1000
TAG_VERSION = 1001
TAG_RELEASE = 1002
TAG_EPOCH = 1003
TAG_VENDOR = 1011
TAG_LICENSE = 1014
TAG_OLDFILENAMES = 1027
TAG_ARCH = 1022
TAG_SOURCERPM = 1044
TAG_DIRINDEXES = 1116
TAG_BASENAMES = 1117
TAG_DIRNAMES = 1118

_WANTED = frozenset(
    {
        TAG_NAME,
        TAG_VERSION,
        TAG_RELEASE,
        TAG_EPOCH,
        TAG_VENDOR,
        TAG_LICENSE,
        TAG_OLDFILENAMES,
        TAG_ARCH,
        TAG_SOURCERPM,
        TAG_DIRINDEXES,
        TAG_BASENAMES,
        TAG_DIRNAMES,
    }
)

TYPE_INT32 = 4
TYPE_STRING = 6
TYPE_BIN = 7
TYPE_STRING_ARRAY = 8
TYPE_I18NSTRING = 9

_MAX_INDEX = 0xFFFF
_MAX_DATA = 256 * 1024 * 1024


class RpmHeaderError(CatalogError):
    """An RPM header blob is truncated or inconsistent."""


@dataclass(frozen=True, slots=True)
class RpmRecord:
    """The parts of one installed RPM header hardhull uses."""

    name: str
    version: str
    release: str
    epoch: int | None
    arch: str | None
    license: str | None
    sourcerpm: str | None
    vendor: str | None
    files: tuple[str, ...]


class _Blob:
    """Index and data store of one header, with typed accessors."""

    def __init__(self, blob: bytes) -> None:
        if len(blob) < 8:
            raise RpmHeaderError(f"header blob of {len(blob)} bytes is too short")
        il, dl = struct.unpack_from(">II", blob, 0)
        if il > _MAX_INDEX or dl > _MAX_DATA:
            raise RpmHeaderError(f"header claims {il} entries and {dl} data bytes")
        start = 8 + 16 * il
        if start + dl > len(blob):
            raise RpmHeaderError(
                f"header needs {start + dl} bytes but the blob has {len(blob)} (truncated)"
            )
        self.data = blob[start : start + dl]
        self.entries: dict[int, tuple[int, int, int]] = {}
        for tag, typ, offset, count in struct.iter_unpack(">4I", blob[8:start]):
            if tag in _WANTED:
                if offset >= dl and count:
                    raise RpmHeaderError(f"tag {tag} points past the data store")
                self.entries[tag] = (typ, offset, count)

    def string(self, tag: int) -> str | None:
        found = self.entries.get(tag)
        if found is None:
            return None
        typ, offset, count = found
        if typ not in (TYPE_STRING, TYPE_STRING_ARRAY, TYPE_I18NSTRING) or not count:
            return None
        end = self.data.find(b"\0", offset)
        if end < 0:
            raise RpmHeaderError(f"string tag {tag} is not terminated")
        return self.data[offset:end].decode("utf-8", errors="replace")

    def strings(self, tag: int) -> list[str]:
        found = self.entries.get(tag)
        if found is None:
            return []
        typ, offset, count = found
        if typ not in (TYPE_STRING_ARRAY, TYPE_I18NSTRING, TYPE_STRING):
            return []
        parts = self.data[offset:].split(b"\0", count)
        if len(parts) <= count:
            raise RpmHeaderError(f"string array tag {tag} is truncated")
        return [p.decode("utf-8", errors="replace") for p in parts[:count]]

    def ints(self, tag: int) -> tuple[int, ...]:
        found = self.entries.get(tag)
        if found is None:
            return ()
        typ, offset, count = found
        if typ != TYPE_INT32:
            return ()
        if offset + 4 * count > len(self.data):
            raise RpmHeaderError(f"integer tag {tag} runs past the data store")
        return struct.unpack_from(f">{count}i", self.data, offset)


def parse_header(blob: bytes) -> RpmRecord:
    """An :class:`RpmRecord` from a header blob; raises :class:`RpmHeaderError` if bad."""
    hdr = _Blob(blob)
    name = hdr.string(TAG_NAME)
    if not name:
        raise RpmHeaderError("header has no NAME")
    epochs = hdr.ints(TAG_EPOCH)
    return RpmRecord(
        name=name,
        version=hdr.string(TAG_VERSION) or "",
        release=hdr.string(TAG_RELEASE) or "",
        epoch=epochs[0] if epochs else None,
        arch=hdr.string(TAG_ARCH),
        license=hdr.string(TAG_LICENSE),
        sourcerpm=hdr.string(TAG_SOURCERPM),
        vendor=hdr.string(TAG_VENDOR),
        files=_files(hdr),
    )


def _files(hdr: _Blob) -> tuple[str, ...]:
    basenames = hdr.strings(TAG_BASENAMES)
    if not basenames:
        return tuple(hdr.strings(TAG_OLDFILENAMES))
    dirnames = hdr.strings(TAG_DIRNAMES)
    indexes = hdr.ints(TAG_DIRINDEXES)
    if len(indexes) != len(basenames):
        raise RpmHeaderError("DIRINDEXES and BASENAMES differ in length")
    ndirs = len(dirnames)
    out = []
    for base, idx in zip(basenames, indexes, strict=True):
        if not 0 <= idx < ndirs:
            raise RpmHeaderError(f"directory index {idx} out of range")
        out.append(dirnames[idx] + base)
    return tuple(out)
