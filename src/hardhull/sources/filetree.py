"""The squashed file view of an image or directory, with captured content."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator, Mapping

from hardhull.model import FileEntry, FileKind, Gap, LayerInfo

_MAX_LINK_HOPS = 40


def resolve_links(path: str, link_of: Callable[[str], str | None]) -> str | None:
    """``path`` with every symlink component followed without leaving the root:
    ``link_of(p)`` is the target of the symlink at normalized path ``p`` (or ``None``);
    absolute targets are relative to the root, ``..`` stops at ``/``. ``None`` for loops
    (more than 40 hops)."""
    parts = [p for p in normalize(path).split("/") if p]
    hops = 0
    current = "/"
    while parts:
        part = parts.pop(0)
        candidate = normalize(posixpath.join(current, part))
        target = link_of(candidate)
        if target is not None:
            hops += 1
            if hops > _MAX_LINK_HOPS:
                return None
            base = "/" if target.startswith("/") else current
            parts = [p for p in normalize(posixpath.join(base, target)).split("/") if p] + parts
            current = "/"
            continue
        current = candidate
    return current


def normalize(path: str) -> str:
    """``usr/bin/../lib/x`` -> ``/usr/lib/x``; never climbs above ``/``."""
    out = posixpath.normpath("/" + path.lstrip("/"))
    return "/" if out in ("/", "//") else out.rstrip("/") or "/"


class FileTree:
    """Paths -> entries after all layers, plus what selectors captured.

    Built by :func:`hardhull.sources.layers.build_tree` or the directory source; read by
    catalogers and later stages. ``captures[selector][path]`` is whatever the selector's
    reader returned (``bytes`` for plain captures).
    """

    def __init__(
        self,
        entries: Mapping[str, FileEntry],
        captures: Mapping[str, Mapping[str, object]],
        layers: tuple[LayerInfo, ...] = (),
        gaps: tuple[Gap, ...] = (),
        history: Mapping[str, tuple[tuple[str, str, object], ...]] | None = None,
    ) -> None:
        self._entries = dict(entries)
        self._sorted: list[FileEntry] | None = None
        self._captures = {k: dict(v) for k, v in captures.items()}
        self._history = dict(history or {})
        self.layers = layers
        self.gaps = gaps

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and normalize(path) in self._entries

    def entries(self) -> Iterator[FileEntry]:
        """All entries, sorted by path (sorted once, then reused: the tree is read-only)."""
        if self._sorted is None:
            self._sorted = [self._entries[path] for path in sorted(self._entries)]
        return iter(self._sorted)

    def get(self, path: str) -> FileEntry | None:
        """The entry stored at exactly ``path`` (symlinks not followed)."""
        return self._entries.get(normalize(path))

    def resolve(self, path: str) -> FileEntry | None:
        """Follow symlinks (in every path component) without ever leaving the root.

        Absolute link targets are taken relative to the image root; ``..`` stops at ``/``.
        Returns ``None`` for dangling links and loops.
        """
        resolved = resolve_links(path, self._link_of)
        return self._entries.get(resolved) if resolved is not None else None

    def _link_of(self, path: str) -> str | None:
        entry = self._entries.get(path)
        if entry is not None and entry.kind is FileKind.SYMLINK:
            return entry.link
        return None

    def captured(self, selector: str) -> Iterator[tuple[FileEntry, object]]:
        """``(entry, value)`` for every file the named selector captured, sorted by path."""
        values = self._captures.get(selector, {})
        for path in sorted(values):
            entry = self._entries.get(path)
            if entry is not None:
                yield entry, values[path]

    def capture(self, selector: str, path: str) -> object | None:
        """What ``selector`` captured at ``path``, or ``None``."""
        return self._captures.get(selector, {}).get(normalize(path))

    def read_bytes(self, selector: str, path: str) -> bytes | None:
        """Captured bytes at ``path`` (``None`` if not captured or not bytes)."""
        value = self.capture(selector, path)
        return value if isinstance(value, bytes) else None

    def history(self, selector: str) -> Iterator[tuple[str, str, object]]:
        """``(layer digest, path, value)`` for everything a ``keep_deleted`` selector
        captured in any layer, including files deleted or replaced later, in layer order."""
        yield from self._history.get(selector, ())
