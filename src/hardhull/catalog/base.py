"""The cataloger interface: one per package format, explicit registry in ``registry.py``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hardhull.model import Distro, Gap, Package
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree


@dataclass(frozen=True, slots=True)
class CatalogResult:
    """What one cataloger found.

    ``owned_files``: absolute paths an OS package database says it installed (used to not
    report those again as language packages). ``package_databases``: the database or
    manifest files read (coverage). ``executables``: ELF executables seen (only the binary
    cataloger fills it). ``identified_files``: executables this cataloger could attribute
    to a package.
    """

    packages: tuple[Package, ...] = ()
    owned_files: frozenset[str] = frozenset()
    package_databases: tuple[str, ...] = ()
    executables: frozenset[str] = frozenset()
    identified_files: frozenset[str] = frozenset()
    gaps: tuple[Gap, ...] = ()


class Cataloger(Protocol):
    """Finds packages of one format in a file tree."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def selectors(self) -> tuple[Selector, ...]: ...

    def catalog(self, tree: FileTree, distro: Distro | None) -> CatalogResult: ...
