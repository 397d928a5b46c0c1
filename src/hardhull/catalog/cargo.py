"""CargoLockCataloger: placeholder until implemented."""

from __future__ import annotations

from hardhull.catalog.base import CatalogResult
from hardhull.model import Distro
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree


class CargoLockCataloger:
    """Not implemented yet: finds nothing."""

    name = "cargo"
    version = "0"
    selectors: tuple[Selector, ...] = ()

    def catalog(self, tree: FileTree, distro: Distro | None) -> CatalogResult:
        return CatalogResult()
