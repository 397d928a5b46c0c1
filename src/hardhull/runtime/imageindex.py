"""The file index of a container image, for binary drift detection.

An :class:`ImageIndex` maps every regular file of an image's squashed view to its mode,
size and (for executables) SHA-256 digest, and keeps the image's symlinks so that a
lookup resolves them *inside the image root* (``/bin -> usr/bin`` makes ``/bin/sh`` and
``/usr/bin/sh`` the same file). It is built by hardhull's own streaming image reader
(:func:`hardhull.sources.target.open_target`): layers are read as streams, executables
are hashed as they pass, nothing is extracted and nothing from the image is ever run.

:class:`ImageIndexCache` hands out indexes per image identity (image id, else manifest
digest): from memory, from the on-disk cache, or by building one in a background thread.
While a build runs, ``get`` answers ``None`` and the caller reports *drift unknown*.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import orjson

from hardhull.errors import HardhullError
from hardhull.model import FileEntry, FileKind
from hardhull.model.event import ContainerInfo
from hardhull.sources.base import ReadContext, Selector, SourceOptions
from hardhull.sources.filetree import normalize, resolve_links

FORMAT = 1
_CHUNK = 1024 * 1024
DIGEST_SELECTOR = "hardhull.drift.digest"
MAX_HASHED = 512 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One regular file of the image: permission bits, size, ``sha256:...`` or ``None``."""

    mode: int
    size: int
    digest: str | None = None


class ImageIndex:
    """Path -> :class:`IndexEntry` for one image, with in-image symlink resolution."""

    def __init__(
        self,
        key: str,
        files: Mapping[str, IndexEntry],
        links: Mapping[str, str],
        *,
        image: str = "",
    ) -> None:
        self.key = key
        self.image = image
        self._files = dict(files)
        self._links = dict(links)

    def __len__(self) -> int:
        return len(self._files)

    def resolve(self, path: str) -> str | None:
        """``path`` with every symlink component followed inside the image root
        (absolute targets are relative to the image root, ``..`` stops at ``/``);
        ``None`` for loops."""
        return resolve_links(path, self._links.get)

    def lookup(self, path: str) -> IndexEntry | None:
        """The regular file ``path`` names in the image (symlinks followed), or ``None``."""
        entry = self._files.get(path)
        if entry is not None:
            return entry
        resolved = self.resolve(path)
        return self._files.get(resolved) if resolved is not None else None

    def to_json(self) -> bytes:
        doc = {
            "format": FORMAT,
            "key": self.key,
            "image": self.image,
            "files": {p: [e.mode, e.size, e.digest] for p, e in sorted(self._files.items())},
            "links": dict(sorted(self._links.items())),
        }
        return orjson.dumps(doc)

    @classmethod
    def from_json(cls, data: bytes) -> ImageIndex:
        """Read :meth:`to_json` output; ``ValueError`` when it is not that."""
        doc = orjson.loads(data)
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError("not a hardhull image index (or an older format)")
        files: dict[str, IndexEntry] = {}
        raw_files = doc.get("files")
        raw_links = doc.get("links")
        if not isinstance(raw_files, dict) or not isinstance(raw_links, dict):
            raise ValueError("image index without files/links")
        for path, value in raw_files.items():
            if not (isinstance(value, list) and len(value) == 3):
                raise ValueError(f"bad image index entry for {path!r}")
            mode, size, digest = value
            if not isinstance(mode, int) or not isinstance(size, int):
                raise ValueError(f"bad image index entry for {path!r}")
            files[path] = IndexEntry(mode, size, digest if isinstance(digest, str) else None)
        links = {str(k): str(v) for k, v in raw_links.items()}
        return cls(str(doc.get("key", "")), files, links, image=str(doc.get("image", "")))


def _hash_reader(entry: FileEntry, stream: BinaryIO, ctx: ReadContext) -> object:
    h = hashlib.sha256()
    while data := stream.read(_CHUNK):
        h.update(data)
    return f"sha256:{h.hexdigest()}"


def _is_executable(entry: FileEntry) -> bool:
    return entry.kind is FileKind.FILE and bool(entry.mode & 0o111)


DIGEST = Selector(
    name=DIGEST_SELECTOR, match=_is_executable, read=_hash_reader, max_size=MAX_HASHED
)


def index_from_entries(
    key: str, entries: Iterable[FileEntry], digests: Mapping[str, str], *, image: str = ""
) -> ImageIndex:
    """Build an index from a tree's entries and the executables' digests."""
    files: dict[str, IndexEntry] = {}
    links: dict[str, str] = {}
    hardlinks: dict[str, str] = {}
    for entry in entries:
        if entry.kind is FileKind.FILE:
            files[entry.path] = IndexEntry(entry.mode & 0o7777, entry.size, digests.get(entry.path))
        elif entry.kind is FileKind.SYMLINK and entry.link is not None:
            links[entry.path] = entry.link
        elif entry.kind is FileKind.HARDLINK and entry.link is not None:
            hardlinks[entry.path] = normalize(entry.link)
    for path, target in hardlinks.items():
        shared = files.get(target)
        if shared is not None:
            files[path] = shared
    return ImageIndex(key, files, links, image=image)


def build_index(
    target: str, key: str, options: SourceOptions | None = None, *, tmp_root: Path | None = None
) -> ImageIndex:
    """Read the image ``target`` (a hardhull TARGET such as ``podman:<image id>`` or
    ``oci-archive:path``) once, as a stream, and index it under ``key``.

    Raises :class:`~hardhull.errors.HardhullError` (a ``SourceError``) when the image
    cannot be read.
    """
    from hardhull.sources.target import open_target, parse_target

    workdir = Path(tempfile.mkdtemp(prefix="hardhull-drift-", dir=tmp_root))
    try:
        workdir.chmod(0o700)
        info, tree = open_target(
            parse_target(target), options or SourceOptions(), [DIGEST], workdir
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    digests = {
        entry.path: value
        for entry, value in tree.captured(DIGEST_SELECTOR)
        if isinstance(value, str)
    }
    return index_from_entries(key, tree.entries(), digests, image=info.name or target)


def image_key(container: ContainerInfo) -> str:
    """The identity an index is cached under: the image id, else the manifest digest."""
    if container.image_id:
        ident = container.image_id
        return ident if ":" in ident else f"sha256:{ident}"
    return container.image_digest


def engine_target(container: ContainerInfo) -> str:
    """The TARGET that reads a container's image from its engine's store by image id."""
    engine = container.engine if container.engine in ("podman", "docker") else "podman"
    ref = container.image_id or container.image_digest or container.image
    if ref.startswith("sha256:"):
        ref = ref[len("sha256:") :]
    return f"{engine}:{ref}"


Builder = Callable[[ContainerInfo, str], ImageIndex]
"""(container, key) -> index; raises on failure."""


@dataclass(frozen=True, slots=True)
class IndexCacheStats:
    ready: int
    building: int
    built: int
    loaded_from_disk: int
    failed: int
    last_error: str = ""


class ImageIndexCache:
    """Image indexes per image identity: memory (LRU, ``max_images``), then the disk
    cache (``cache_dir``, optional), then a build in one background worker thread.

    ``get`` never blocks on a build: it answers ``None`` until the index is ready. A
    failed build is remembered and retried after ``retry_after`` seconds.
    """

    def __init__(
        self,
        builder: Builder | None = None,
        *,
        options: SourceOptions | None = None,
        cache_dir: Path | None = None,
        max_images: int = 64,
        retry_after: float = 300.0,
    ) -> None:
        self._options = options or SourceOptions()
        self._builder: Builder = builder or self._engine_builder
        self._cache_dir = cache_dir
        self._max_images = max(1, max_images)
        self._retry_after = retry_after
        self._lock = threading.Lock()
        self._ready: OrderedDict[str, ImageIndex] = OrderedDict()
        self._pending: dict[str, Future[None]] = {}
        self._failed: dict[str, float] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hardhull-index")
        self._built = 0
        self._loaded = 0
        self._failures = 0
        self._last_error = ""

    def _engine_builder(self, container: ContainerInfo, key: str) -> ImageIndex:
        return build_index(engine_target(container), key, self._options)

    def get(self, container: ContainerInfo) -> ImageIndex | None:
        """The index of ``container``'s image when ready; else start building it."""
        key = image_key(container)
        if not key:
            return None
        with self._lock:
            index = self._ready.get(key)
            if index is not None:
                self._ready.move_to_end(key)
                return index
            if key in self._pending:
                return None
            failed_at = self._failed.get(key)
            if failed_at is not None and time.monotonic() - failed_at < self._retry_after:
                return None
            self._pending[key] = self._pool.submit(self._build, container, key)
        return None

    def wait(self, container: ContainerInfo, timeout: float) -> ImageIndex | None:
        """Start (if needed) and wait up to ``timeout`` s for ``container``'s index."""
        index = self.get(container)
        if index is not None:
            return index
        with self._lock:
            future = self._pending.get(image_key(container))
        if future is not None:
            future.result(timeout=timeout)
        return self.get(container)

    def _disk_path(self, key: str) -> Path | None:
        if self._cache_dir is None:
            return None
        name = hashlib.sha256(key.encode()).hexdigest()
        return self._cache_dir / f"{name}.json"

    def _build(self, container: ContainerInfo, key: str) -> None:
        index: ImageIndex | None = None
        error = ""
        loaded = False
        disk = self._disk_path(key)
        try:
            if disk is not None and disk.is_file():
                try:
                    index = ImageIndex.from_json(disk.read_bytes())
                    loaded = index.key == key
                    if not loaded:
                        index = None
                except (OSError, ValueError):
                    index = None
            if index is None:
                index = self._builder(container, key)
                if disk is not None:
                    self._store(disk, index)
        except HardhullError as exc:
            error = f"{key}: {exc}"
        except Exception as exc:  # a broken image must not kill the worker
            error = f"{key}: {type(exc).__name__}: {exc}"
        with self._lock:
            self._pending.pop(key, None)
            if index is None:
                self._failed[key] = time.monotonic()
                self._failures += 1
                self._last_error = error
                return
            self._failed.pop(key, None)
            if loaded:
                self._loaded += 1
            else:
                self._built += 1
            self._ready[key] = index
            while len(self._ready) > self._max_images:
                self._ready.popitem(last=False)

    @staticmethod
    def _store(path: Path, index: ImageIndex) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(index.to_json())
            tmp.replace(path)
        except OSError:
            pass  # the disk cache is an optimisation only

    def stats(self) -> IndexCacheStats:
        with self._lock:
            return IndexCacheStats(
                ready=len(self._ready),
                building=len(self._pending),
                built=self._built,
                loaded_from_disk=self._loaded,
                failed=self._failures,
                last_error=self._last_error,
            )

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
