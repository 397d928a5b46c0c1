"""Random access to the files of an image archive or layout, without extracting anything.

:class:`ArchiveIndex` indexes a (seekable, uncompressed) tar once and then opens any member
as an independent stream over its byte range, so several threads can read different
layers of the same archive at once with a file handle each. :class:`DirectoryBlobs` does the
same for an OCI layout directory. Both answer the small questions manifests ask (does it
exist, how big, give me these JSON bytes) with bounded memory.
"""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import re
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from hardhull.errors import DigestMismatchError, SourceError

_DIGEST_RE = re.compile(r"^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")
_BUFFER = 1 << 20


def check_digest(digest: object, subject: str) -> str:
    """Return ``digest`` if it is a well-formed sha256/sha512 digest, else raise."""
    if not isinstance(digest, str) or not _DIGEST_RE.match(digest):
        raise SourceError(f"{subject}: invalid digest {digest!r}")
    return digest


def verify_bytes(data: bytes, digest: str, subject: str) -> None:
    """Raise :class:`DigestMismatchError` unless ``data`` hashes to ``digest``."""
    algo, _, expected = digest.partition(":")
    actual = hashlib.new(algo, data).hexdigest()
    if actual != expected:
        raise DigestMismatchError(
            f"{subject}: content hashes to {algo}:{actual}, not {digest} as the manifest says"
        )


class BlobStore(Protocol):
    """Named files of an image container (an archive or a directory)."""

    label: str

    def size(self, name: str) -> int | None: ...

    def read(self, name: str, limit: int) -> bytes: ...

    def opener(self, name: str) -> Callable[[], BinaryIO]: ...


class _Section(io.RawIOBase):
    """A read-only window ``[offset, offset + length)`` of a file, with its own handle."""

    def __init__(self, path: Path, offset: int, length: int) -> None:
        super().__init__()
        self._fh = open(path, "rb", buffering=0)  # noqa: SIM115 - closed in close()
        self._fh.seek(offset)
        self._left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        view = memoryview(buffer)
        if len(view) > self._left:
            view = view[: self._left]
        n = self._fh.readinto(view) or 0
        self._left -= n
        return n

    def close(self) -> None:
        if not self.closed:
            self._fh.close()
        super().close()


def open_section(path: Path, offset: int, length: int) -> BinaryIO:
    """A buffered stream over ``length`` bytes of ``path`` starting at ``offset``."""
    return io.BufferedReader(_Section(path, offset, length), _BUFFER)


@dataclass(frozen=True, slots=True)
class _Member:
    offset: int
    size: int


def _clean(name: str) -> str:
    name = posixpath.normpath("/" + name).lstrip("/")
    return name


class ArchiveIndex:
    """The regular members of a seekable tar archive, by normalised name."""

    def __init__(self, path: Path, label: str) -> None:
        self.path = path
        self.label = label
        self._members: dict[str, _Member] = {}
        links: dict[str, str] = {}
        try:
            with tarfile.open(path, "r:") as tar:
                for info in tar:
                    name = _clean(info.name)
                    if info.isreg() and not info.issparse():
                        self._members[name] = _Member(info.offset_data, info.size)
                    elif info.issym():
                        target = posixpath.join(posixpath.dirname(name), info.linkname)
                        links[name] = _clean(target)
                    elif info.islnk():
                        links[name] = _clean(info.linkname)
        except FileNotFoundError as exc:
            raise SourceError(f"{label}: no such file") from exc
        except IsADirectoryError as exc:
            raise SourceError(f"{label}: is a directory, not an archive") from exc
        except (tarfile.TarError, EOFError) as exc:
            raise SourceError(f"{label}: not a readable tar archive ({exc})") from exc
        except OSError as exc:
            raise SourceError(f"{label}: cannot read ({exc.strerror or exc})") from exc
        actual = path.stat().st_size
        for name, member in self._members.items():
            if member.offset + member.size > actual:
                raise SourceError(f"{label}: truncated archive (member {name} is cut short)")
        for name, target in links.items():
            for _ in range(8):  # follow a short chain of links between members
                if target in self._members:
                    self._members[name] = self._members[target]
                    break
                if target not in links:
                    break
                target = links[target]

    def names(self) -> list[str]:
        """Every regular member name (sorted)."""
        return sorted(self._members)

    def size(self, name: str) -> int | None:
        """The size of member ``name``, or ``None`` when absent."""
        member = self._members.get(_clean(name))
        return None if member is None else member.size

    def read(self, name: str, limit: int) -> bytes:
        """The bytes of a (small) member; raises if absent or bigger than ``limit``."""
        member = self._member(name)
        if member.size > limit:
            raise SourceError(
                f"{self.label}: {name} is {member.size} bytes, more than the {limit} allowed"
            )
        with open_section(self.path, member.offset, member.size) as fh:
            return fh.read(member.size)

    def opener(self, name: str) -> Callable[[], BinaryIO]:
        """A function opening a fresh stream over member ``name`` (checked to exist now)."""
        member = self._member(name)
        path = self.path
        return lambda: open_section(path, member.offset, member.size)

    def _member(self, name: str) -> _Member:
        member = self._members.get(_clean(name))
        if member is None:
            raise SourceError(f"{self.label}: the archive has no {name} (blob missing)")
        return member


class DirectoryBlobs:
    """Files of an OCI layout directory, never leaving it."""

    def __init__(self, root: Path, label: str) -> None:
        self.root = root
        self.label = label

    def _path(self, name: str) -> Path:
        clean = _clean(name)
        if not clean or clean.startswith("../"):
            raise SourceError(f"{self.label}: refusing path {name!r} outside the layout")
        return self.root / clean

    def size(self, name: str) -> int | None:
        """Size of regular file ``name`` (symlinks not followed), or ``None``."""
        try:
            st = os.lstat(self._path(name))
        except OSError:
            return None
        return st.st_size if _is_reg(st.st_mode) else None

    def read(self, name: str, limit: int) -> bytes:
        """The bytes of a (small) file; raises if absent or bigger than ``limit``."""
        size = self.size(name)
        if size is None:
            raise SourceError(f"{self.label}: {name} is missing (blob missing)")
        if size > limit:
            raise SourceError(
                f"{self.label}: {name} is {size} bytes, more than the {limit} allowed"
            )
        try:
            with open(self._path(name), "rb") as fh:
                return fh.read(limit + 1)[:limit]
        except OSError as exc:
            raise SourceError(f"{self.label}: cannot read {name} ({exc.strerror})") from exc

    def opener(self, name: str) -> Callable[[], BinaryIO]:
        """A function opening a fresh stream over file ``name`` (checked to exist now)."""
        size = self.size(name)
        if size is None:
            raise SourceError(f"{self.label}: {name} is missing (blob missing)")
        path = self._path(name)
        return lambda: open_section(path, 0, size)


def _is_reg(mode: int) -> bool:
    return (mode & 0o170000) == 0o100000


def blob_name(digest: str) -> str:
    """``sha256:abc`` -> ``blobs/sha256/abc`` (the digest must be checked first)."""
    algo, _, hexpart = digest.partition(":")
    return f"blobs/{algo}/{hexpart}"
