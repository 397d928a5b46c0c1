"""Entries of the squashed file view of an image or directory."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from enum import StrEnum


class FileKind(StrEnum):
    """What a path is, after all layers have been applied."""

    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    CHAR = "char"
    BLOCK = "block"
    FIFO = "fifo"


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One path of the squashed view.

    ``path`` is absolute and normalised (``/usr/bin/env``). ``layer`` is the digest of the
    layer that last brought this path (``None`` for a plain directory source). ``link`` is
    the symlink target as stored, or for a hard link the absolute path it links to.
    """

    path: str
    kind: FileKind
    mode: int
    size: int
    layer: str | None = None
    uid: int = 0
    gid: int = 0
    link: str | None = None
    digest: str | None = None

    @property
    def is_regular(self) -> bool:
        """A regular file (hard links count: they share a regular file's content)."""
        return self.kind in (FileKind.FILE, FileKind.HARDLINK)

    @property
    def is_executable(self) -> bool:
        """A regular file with any execute bit set."""
        return self.is_regular and bool(self.mode & 0o111)

    @property
    def is_setuid(self) -> bool:
        return bool(self.mode & stat.S_ISUID)

    @property
    def is_setgid(self) -> bool:
        return bool(self.mode & stat.S_ISGID)
