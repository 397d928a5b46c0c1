"""Small helpers shared by the language-package catalogers (npm, Python, gem, ...)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import orjson

from hardhull.catalog.base import CatalogResult
from hardhull.errors import CatalogError
from hardhull.model import FileEntry, Gap, Location, Package
from hardhull.sources.filetree import FileTree

T = TypeVar("T")

UNPARSABLE = "unparsable-database"


def unparsable(path: str, reason: str) -> Gap:
    """The coverage gap for a package database or manifest that could not be parsed."""
    return Gap(UNPARSABLE, path, reason)


def location(entry: FileEntry) -> Location:
    """The package location for a file of the tree."""
    return Location(entry.path, entry.layer)


def parent(path: str) -> str:
    """``/a/b/c`` -> ``/a/b`` (``/`` for a top-level path); plain string work, no normpath."""
    head = path.rpartition("/")[0]
    return head or "/"


def captured_bytes(tree: FileTree, selector: str) -> Iterator[tuple[FileEntry, bytes]]:
    """``(entry, bytes)`` for every capture of ``selector`` that holds bytes, sorted by path."""
    for entry, value in tree.captured(selector):
        if isinstance(value, bytes | bytearray | memoryview):
            yield entry, bytes(value)


class JsonError(CatalogError, ValueError):
    """A JSON document could not be decoded or had the wrong top-level shape."""


def load_json(data: bytes) -> object:
    """Decode JSON with orjson (a leading UTF-8 BOM is tolerated); raise :class:`JsonError`."""
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise JsonError(f"invalid JSON: {exc}") from None


def load_json_object(data: bytes) -> dict[str, object]:
    """Decode a JSON document whose top level must be an object."""
    value = load_json(data)
    if not isinstance(value, dict):
        raise JsonError(f"expected a JSON object, found {type(value).__name__}")
    return value


def text(value: object) -> str | None:
    """``value`` if it is a non-empty string (stripped), else ``None``."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Non-empty values, first occurrence kept, order preserved."""
    seen: dict[str, None] = {}
    for v in values:
        if v and v not in seen:
            seen[v] = None
    return tuple(seen)


@dataclass(slots=True)
class Findings:
    """What a manifest cataloger has found so far; :meth:`result` freezes it."""

    packages: list[Package] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    databases: list[str] = field(default_factory=list)
    identified: set[str] = field(default_factory=set)

    def documents(
        self, tree: FileTree, selector: str, parse: Callable[[bytes], T]
    ) -> Iterator[tuple[FileEntry, T]]:
        """Each captured file of ``selector`` parsed; a ``ValueError`` becomes a gap."""
        for entry, data in captured_bytes(tree, selector):
            try:
                doc = parse(data)
            except ValueError as exc:  # JsonError, TOMLDecodeError, UnicodeDecodeError
                self.gaps.append(unparsable(entry.path, str(exc)))
                continue
            yield entry, doc

    def reject(self, entry: FileEntry, reason: str) -> None:
        """Record that ``entry`` parsed but does not have the expected shape."""
        self.gaps.append(unparsable(entry.path, reason))

    def result(self) -> CatalogResult:
        """The frozen :class:`CatalogResult`."""
        return CatalogResult(
            packages=tuple(self.packages),
            package_databases=tuple(self.databases),
            identified_files=frozenset(self.identified),
            gaps=tuple(self.gaps),
        )
