"""Build a FileTree from a fixture directory, capturing content as the selectors ask."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from hardhull.model import FileEntry, FileKind
from hardhull.sources.base import ReadContext, Selector
from hardhull.sources.filetree import FileTree

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "catalog_os"


def _entry(rel: str, st: os.stat_result, full: Path, layer: str | None) -> FileEntry:
    if stat.S_ISLNK(st.st_mode):
        return FileEntry(rel, FileKind.SYMLINK, 0o777, 0, layer=layer, link=os.readlink(full))
    if stat.S_ISDIR(st.st_mode):
        return FileEntry(rel, FileKind.DIR, stat.S_IMODE(st.st_mode), 0, layer=layer)
    return FileEntry(rel, FileKind.FILE, stat.S_IMODE(st.st_mode), st.st_size, layer=layer)


def tree_from_dir(
    root: Path,
    selectors: Iterable[Selector],
    workdir: Path,
    *,
    layer: str | None = "sha256:" + "ab" * 32,
    extra: dict[str, bytes] | None = None,
) -> FileTree:
    """Walk ``root`` and offer every regular file to ``selectors`` like a source would.

    ``extra`` adds in-memory files (path -> bytes) on top, handy for corrupt inputs.
    """
    sels = tuple(selectors)
    entries: dict[str, FileEntry] = {}
    captures: dict[str, dict[str, object]] = {s.name: {} for s in sels}
    files: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            full = Path(dirpath) / name
            rel = "/" + full.relative_to(root).as_posix()
            entry = _entry(rel, full.lstat(), full, layer)
            entries[rel] = entry
            if entry.kind is FileKind.FILE:
                files[rel] = full
    blobs: dict[str, bytes] = {}
    for rel, data in (extra or {}).items():
        entries[rel] = FileEntry(rel, FileKind.FILE, 0o644, len(data), layer=layer)
        blobs[rel] = data
    paths = sorted(set(files) | set(blobs))
    for path in paths:
        entry = entries[path]
        for sel in sels:
            if not sel.match(entry):
                continue
            if sel.read is None:
                if entry.size > sel.max_size:
                    continue
                data = blobs[path] if path in blobs else files[path].read_bytes()
                captures[sel.name][path] = data
                continue
            ctx = ReadContext(workdir=workdir, max_size=sel.max_size)
            if path in blobs:
                value = sel.read(entry, io.BytesIO(blobs[path]), ctx)
            else:
                with files[path].open("rb") as stream:
                    value = sel.read(entry, stream, ctx)
            if value is not None:
                captures[sel.name][path] = value
    return FileTree(entries, captures)
