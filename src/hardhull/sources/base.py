"""Interfaces shared by every image and filesystem source.

A source turns a TARGET into a :class:`~hardhull.sources.filetree.FileTree`: the squashed
view of an image that remembers which layer brought each path. Content is never extracted
to disk: while layers stream past, each regular file is offered to the *selectors* that
catalogers declared, and only what they ask for is kept (small files as bytes, large
binaries as the small result of a reader that parses them on the fly).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

from hardhull.model import FileEntry, LayerInfo, SourceInfo

DEFAULT_MAX_CAPTURE = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ReadContext:
    """Handed to selector readers: where they may spool, and the limits to respect."""

    workdir: Path
    max_size: int


Reader = Callable[[FileEntry, BinaryIO, ReadContext], object]


@dataclass(frozen=True, slots=True)
class Selector:
    """A cataloger's request for file content.

    ``match`` decides from the entry alone (path, mode, size) and must be cheap: it runs
    for every regular file of every layer. When ``read`` is ``None`` the file's bytes are
    captured (up to ``max_size``; larger files become a ``too-large`` coverage gap).
    Otherwise ``read`` consumes the stream (which may not be seekable) and returns a small
    value that is stored instead; it runs in worker threads, so it must be pure. A reader
    may return ``None`` to store nothing.

    ``suffixes``/``prefixes`` are optional path hints that let sources skip ``match`` for
    most files with one C-level string test: when either is given, ``match`` is only
    called for paths that end with one of ``suffixes`` or start with one of ``prefixes``
    (``match`` stays the authority). Give none for selectors that decide on other things
    (mode, case-insensitive names).

    ``keep_deleted``: also keep what this selector captured from files that a later layer
    deleted or replaced (secrets in deleted files still ship in the image); read them with
    :meth:`FileTree.history`.
    """

    name: str
    match: Callable[[FileEntry], bool]
    read: Reader | None = None
    max_size: int = DEFAULT_MAX_CAPTURE
    suffixes: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    keep_deleted: bool = False


class Progress(Protocol):
    """Progress of long work (layer reads, downloads); the CLI draws it with rich."""

    def start(self, key: str, label: str, total: int | None) -> None: ...

    def advance(self, key: str, nbytes: int) -> None: ...

    def finish(self, key: str) -> None: ...


class NullProgress:
    """A progress sink that ignores everything."""

    def start(self, key: str, label: str, total: int | None) -> None:
        return None

    def advance(self, key: str, nbytes: int) -> None:
        return None

    def finish(self, key: str) -> None:
        return None


@dataclass(frozen=True, slots=True)
class LayerBlob:
    """A layer to read: its description and a way to open its (compressed) blob stream.

    ``open`` may be called from a worker thread; each call returns a fresh stream.
    """

    info: LayerInfo
    open: Callable[[], BinaryIO]


@dataclass(frozen=True, slots=True)
class ResolvedImage:
    """An image whose manifest and config were read; layers not yet."""

    info: SourceInfo
    layers: tuple[LayerBlob, ...]


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """Options that apply to every source; each source uses what concerns it."""

    platform: str | None = None
    insecure: bool = False
    username: str | None = None
    password: str | None = None
    docker_config: Path | None = None
    podman_socket: str | None = None
    docker_socket: str | None = None
    verify_digests: bool = True
    workers: int = 2
    progress: Progress = field(default_factory=NullProgress)
