"""PHP packages installed by Composer: ``vendor/composer/installed.json``.

Composer 1 writes a JSON array of packages; Composer 2 writes
``{"packages": [...], "dev": bool, "dev-package-names": [...]}``. Every listed package is
installed in ``vendor/``, so development packages are reported too, marked
``("dev", "true")``.

Versions are reported exactly as Composer wrote them, a leading ``v`` included
(``v5.4.28``), in the package and in its purl (``pkg:composer/symfony/console@v5.4.28``):
that is the version Packagist and the package's tags name, and Syft does the same. The
``version_normalized`` Composer also writes (``5.4.28.0``) is kept in the metadata;
matchers must compare Composer versions with the leading ``v`` ignored, as Composer does.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from hardhull.catalog.base import CatalogResult
from hardhull.catalog.lang_util import (
    Findings,
    load_json,
    location,
    parent,
    text,
    unique,
)
from hardhull.catalog.purl import make_purl
from hardhull.model import Distro, FileEntry, Package, PackageType
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree, normalize

SELECTOR = "composer-installed"


def _match(entry: FileEntry) -> bool:
    return entry.path.endswith("/composer/installed.json")


def _licenses(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    return unique(v for v in (text(i) for i in items) if v)


def composer_purl(name: str, version: str) -> str:
    """``pkg:composer/<vendor>/<name>@<version>``."""
    vendor, sep, bare = name.partition("/")
    if not sep:
        return make_purl("composer", name, version)
    return make_purl("composer", bare, version, namespace=vendor)


class ComposerCataloger:
    """Finds PHP packages Composer installed into a ``vendor`` directory."""

    name = "composer"
    version = "1"
    selectors: tuple[Selector, ...] = (
        Selector(SELECTOR, _match, suffixes=("/composer/installed.json",)),
    )

    def catalog(self, tree: FileTree, distro: Distro | None) -> CatalogResult:
        """Each installed.json: its packages and the ``bin`` files they declare."""
        found = Findings()
        for entry, doc in found.documents(tree, SELECTOR, load_json):
            dev_names: set[str] = set()
            if isinstance(doc, dict):
                listed = doc.get("packages")
                names = doc.get("dev-package-names")
                if isinstance(names, list):
                    dev_names = {n for n in names if isinstance(n, str)}
            else:
                listed = doc
            if not isinstance(listed, list):
                found.reject(entry, "no list of packages")
                continue
            found.databases.append(entry.path)
            for item in listed:
                if not isinstance(item, dict):
                    continue
                pkg = self._package(entry, item, dev_names)
                if pkg is not None:
                    found.packages.append(pkg)
                    found.identified.update(_bin_files(tree, parent(entry.path), item))
        return found.result()

    def _package(
        self, entry: FileEntry, item: dict[str, object], dev_names: set[str]
    ) -> Package | None:
        name = text(item.get("name"))
        version = text(item.get("version"))
        if name is None or version is None:
            return None
        meta: list[tuple[str, str]] = []
        if name in dev_names:
            meta.append(("dev", "true"))
        if normalized := text(item.get("version_normalized")):
            meta.append(("version_normalized", normalized))
        return Package(
            name=name,
            version=version,
            type=PackageType.COMPOSER,
            purl=composer_purl(name, version),
            locations=(location(entry),),
            found_by=self.name,
            licenses=_licenses(item.get("license")),
            metadata=tuple(meta),
        )


def _bin_files(tree: FileTree, composer_dir: str, item: dict[str, object]) -> Iterator[str]:
    """Declared ``bin`` scripts in the package directory and their ``vendor/bin`` proxies."""
    bins = item.get("bin")
    if not isinstance(bins, list):
        return
    vendor = parent(composer_dir)
    install = text(item.get("install-path"))
    name = text(item.get("name")) or ""
    pkg_dir = normalize(posixpath.join(composer_dir, install) if install else f"{vendor}/{name}")
    for rel in bins:
        if not isinstance(rel, str) or not rel:
            continue
        for path in (
            normalize(posixpath.join(pkg_dir, rel)),
            f"{vendor}/bin/{rel.rpartition('/')[2]}",
        ):
            if not path.startswith(vendor + "/"):
                continue
            found = tree.get(path)
            if found is not None and found.is_regular:
                yield path
