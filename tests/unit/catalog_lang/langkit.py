"""Build FileTrees from fixture directories for the language cataloger tests.

Walks a directory as if it were an image root, records every path as a
:class:`FileEntry` and offers regular files to the selectors exactly as a source does:
plain captures store the bytes, readers get a stream and a :class:`ReadContext`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from hardhull.catalog.base import Cataloger, CatalogResult
from hardhull.model import FileEntry, FileKind
from hardhull.sources.base import ReadContext, Selector
from hardhull.sources.filetree import FileTree

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "catalog_lang"


def _kind(mode: int) -> FileKind:
    if stat.S_ISLNK(mode):
        return FileKind.SYMLINK
    if stat.S_ISDIR(mode):
        return FileKind.DIR
    return FileKind.FILE


def tree_from(
    root: Path, selectors: Iterable[Selector], *, layer: str | None = "sha256:fixture"
) -> FileTree:
    """A FileTree of everything under ``root`` (mapped to ``/``), captured by ``selectors``."""
    sels = list(selectors)
    entries: dict[str, FileEntry] = {}
    captures: dict[str, dict[str, object]] = {s.name: {} for s in sels}
    ctx = ReadContext(workdir=root, max_size=32 * 1024 * 1024)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            full = Path(dirpath, name)
            st = full.lstat()
            path = "/" + full.relative_to(root).as_posix()
            kind = _kind(st.st_mode)
            link = os.readlink(full) if kind is FileKind.SYMLINK else None
            entry = FileEntry(
                path, kind, stat.S_IMODE(st.st_mode), st.st_size, layer=layer, link=link
            )
            entries[path] = entry
            if kind is not FileKind.FILE:
                continue
            for sel in sels:
                if not sel.match(entry):
                    continue
                with full.open("rb") as fh:
                    if sel.read is None:
                        captures[sel.name][path] = fh.read()
                    else:
                        value = sel.read(entry, fh, ctx)
                        if value is not None:
                            captures[sel.name][path] = value
    return FileTree(entries, captures)


def catalog_dir(cataloger: Cataloger, root: Path) -> CatalogResult:
    """Run ``cataloger`` on the tree of ``root``."""
    return cataloger.catalog(tree_from(root, cataloger.selectors), None)


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create ``files`` (relative path -> content) under ``root``; returns ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root
