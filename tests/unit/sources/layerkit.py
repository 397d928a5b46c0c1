"""Build real tar layers in memory for the layer-reading tests."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

import zstandard

from hardhull.model import LayerInfo
from hardhull.sources.base import LayerBlob


@dataclass(frozen=True)
class M:
    """One member: ``kind`` in file, dir, symlink, hardlink, char, block, fifo."""

    kind: str
    path: str
    data: bytes = b""
    link: str = ""
    mode: int = 0o644


def f(path: str, data: bytes | str = b"", mode: int = 0o644) -> M:
    return M("file", path, data.encode() if isinstance(data, str) else data, mode=mode)


def d(path: str) -> M:
    return M("dir", path, mode=0o755)


def sym(path: str, target: str) -> M:
    return M("symlink", path, link=target, mode=0o777)


def hard(path: str, target: str) -> M:
    return M("hardlink", path, link=target)


def wh(path: str) -> M:
    head, _, base = path.rpartition("/")
    return f(f"{head}/.wh.{base}")


def opq(directory: str) -> M:
    return f(f"{directory.rstrip('/')}/.wh..wh..opq")


_TYPES = {
    "file": tarfile.REGTYPE,
    "dir": tarfile.DIRTYPE,
    "symlink": tarfile.SYMTYPE,
    "hardlink": tarfile.LNKTYPE,
    "char": tarfile.CHRTYPE,
    "block": tarfile.BLKTYPE,
    "fifo": tarfile.FIFOTYPE,
}


def tar_bytes(*members: M, fmt: int = tarfile.PAX_FORMAT) -> bytes:
    """An uncompressed tar of ``members`` (names stored exactly as given)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for m in members:
            info = tarfile.TarInfo(m.path)
            info.type = _TYPES[m.kind]
            info.mode = m.mode
            info.linkname = m.link
            info.mtime = 1_700_000_000
            if m.kind == "file":
                info.size = len(m.data)
                tar.addfile(info, io.BytesIO(m.data))
            else:
                tar.addfile(info)
    return buf.getvalue()


def compress(data: bytes, how: str) -> bytes:
    if how == "gzip":
        return gzip.compress(data, mtime=0)
    if how == "zstd":
        return zstandard.ZstdCompressor().compress(data)
    return data


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def blob_of(
    tar: bytes,
    how: str = "none",
    *,
    digest: str | None = None,
    diff_id: str | None = None,
    opener: Callable[[bytes], BinaryIO] | None = None,
) -> LayerBlob:
    """A LayerBlob over ``tar`` compressed with ``how``; digests right unless overridden.

    ``diff_id=""`` describes a layer whose uncompressed digest is unknown.
    """
    data = compress(tar, how)
    info = LayerInfo(
        digest=digest or sha(data),
        media_type="application/vnd.oci.image.layer.v1.tar",
        size=len(data),
        diff_id=sha(tar) if diff_id is None else (diff_id or None),
    )
    open_ = opener or io.BytesIO
    return LayerBlob(info=info, open=lambda: open_(data))


def layer(*members: M, how: str = "none") -> LayerBlob:
    return blob_of(tar_bytes(*members), how)
