"""npm packages: installed ``node_modules`` manifests and ``package-lock.json`` files.

* Installed packages: only the manifest that sits directly at
  ``.../node_modules/<name>/package.json`` or ``.../node_modules/@scope/<name>/package.json``
  (test fixtures deeper inside a package are not packages). A reader parses each
  manifest while the layer streams past and keeps only name, version, licences and the
  declared ``bin`` paths, so tens of thousands of manifests cost little memory.
* Lockfiles: ``lockfileVersion`` 2 and 3 list packages in ``packages`` keyed by their
  install path (``node_modules/a/node_modules/b``); version 1 nests ``dependencies``.
  The root project (key ``""``), workspace members and ``link`` entries are not
  dependencies and are skipped. Development dependencies (``dev: true``) are skipped too,
  as Syft and Trivy do by default: they are usually not installed in an image, and when
  they are, their installed manifest reports them. A lockfile inside ``node_modules`` was
  published with a package and describes its author's machine, not the image: ignored.
* A lockfile entry whose installed manifest is in the tree (same version) is reported
  once, as the installed package, with the lockfile as a second location.
* ``package_databases`` lists the outermost ``node_modules`` directories and the lockfiles.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from hardhull.catalog.base import CatalogResult
from hardhull.catalog.lang_util import (
    JsonError,
    load_json_object,
    location,
    parent,
    text,
    unique,
    unparsable,
)
from hardhull.catalog.purl import make_purl
from hardhull.model import Distro, FileEntry, Gap, Location, Package, PackageType
from hardhull.sources.base import ReadContext, Selector
from hardhull.sources.filetree import FileTree, normalize

PACKAGE_SELECTOR = "npm-package"
LOCK_SELECTOR = "npm-lock"
_MANIFEST = "/package.json"
_MAX_MANIFEST = 8 * 1024 * 1024


def _match_package(entry: FileEntry) -> bool:
    path = entry.path
    if not path.endswith(_MANIFEST):
        return False
    pkg_dir = path[: -len(_MANIFEST)]
    holder = pkg_dir[: pkg_dir.rfind("/")]
    if holder.endswith("/node_modules"):
        return True
    cut = holder.rfind("/")
    return holder[cut + 1 : cut + 2] == "@" and holder[:cut].endswith("/node_modules")


def _match_lock(entry: FileEntry) -> bool:
    path = entry.path
    return path.endswith("/package-lock.json") and "/node_modules/" not in path


@dataclass(frozen=True, slots=True)
class Manifest:
    """What the cataloger keeps of one installed ``package.json``."""

    name: str | None = None
    version: str | None = None
    licenses: tuple[str, ...] = ()
    bins: tuple[str, ...] = ()
    error: str | None = None


def licenses_of(doc: dict[str, object]) -> tuple[str, ...]:
    """``license`` (SPDX string, or legacy ``{type}`` object or list) and legacy ``licenses``."""
    found: list[str] = []
    for key in ("license", "licenses"):
        value = doc.get(key)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict):
                item = item.get("type")
            name = text(item)
            if name:
                found.append(name)
    return unique(found)


def _bins(doc: dict[str, object]) -> tuple[str, ...]:
    value = doc.get("bin")
    if isinstance(value, str):
        return (value,)
    if isinstance(value, dict):
        return tuple(v for v in value.values() if isinstance(v, str) and v)
    return ()


def parse_manifest(data: bytes) -> Manifest:
    """Parse an installed ``package.json``; a broken one becomes ``Manifest(error=...)``."""
    try:
        doc = load_json_object(data)
    except JsonError as exc:
        return Manifest(error=str(exc))
    return Manifest(
        name=text(doc.get("name")),
        version=text(doc.get("version")),
        licenses=licenses_of(doc),
        bins=_bins(doc),
    )


def read_manifest(entry: FileEntry, stream: BinaryIO, ctx: ReadContext) -> Manifest:
    """Selector reader: parse the manifest as it streams past, keep the small summary."""
    limit = min(ctx.max_size, _MAX_MANIFEST)
    data = stream.read(limit + 1)
    if len(data) > limit:
        return Manifest(error=f"package.json larger than {limit} bytes")
    return parse_manifest(data)


# Names and versions made only of these need no escaping or case folding in a purl.
_PLAIN_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
_PLAIN_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def npm_purl(name: str, version: str) -> str:
    """``pkg:npm/%40scope/name@1.0.0`` (the purl spec percent-encodes the scope's ``@``).

    Plain names and versions (nearly all of them) are written directly: building a purl
    through ``packageurl`` costs about 17 µs, which adds up over tens of thousands of
    packages. Anything else goes through :func:`make_purl`; a test checks both agree.
    """
    scope, sep, bare = name.rpartition("/")
    if (
        _PLAIN_NAME.fullmatch(bare)
        and _PLAIN_VERSION.fullmatch(version)
        and (not sep or (scope[:1] == "@" and _PLAIN_NAME.fullmatch(scope[1:])))
    ):
        return f"pkg:npm/%40{scope[1:]}/{bare}@{version}" if sep else f"pkg:npm/{bare}@{version}"
    return make_purl("npm", bare if sep else name, version, namespace=scope or None)


@dataclass(slots=True)
class _Found:
    name: str
    version: str
    licenses: tuple[str, ...]
    locations: list[Location]


def _lock_entries(doc: dict[str, object]) -> Iterator[tuple[str, dict[str, object]]]:
    """``(install path relative to the lockfile, entry)`` for each non-dev dependency."""
    packages = doc.get("packages")
    if isinstance(packages, dict):
        for key, value in packages.items():
            if not key or "node_modules/" not in key or not isinstance(value, dict):
                continue
            if value.get("link") or value.get("dev"):
                continue
            yield key, value
        return
    deps = doc.get("dependencies")
    stack: list[tuple[str, object]] = [("", deps)]
    while stack:
        prefix, level = stack.pop()
        if not isinstance(level, dict):
            continue
        for name, value in level.items():
            if not isinstance(value, dict) or value.get("dev"):
                continue
            key = f"{prefix}node_modules/{name}"
            yield key, {"name": name, **value}
            stack.append((key + "/", value.get("dependencies")))


def _lock_name_version(key: str, value: dict[str, object]) -> tuple[str, str] | None:
    version = text(value.get("version"))
    if version is None or version.startswith(("file:", "link:")):
        return None
    name = text(value.get("name")) or key.rpartition("node_modules/")[2]
    if version.startswith("npm:"):  # v1 alias: "npm:real-name@1.2.3"
        real, _, aliased = version[4:].rpartition("@")
        if not real or not aliased:
            return None
        name, version = real, aliased
    return name, version


def _bin_files(tree: FileTree, pkg_dir: str, bins: tuple[str, ...]) -> Iterator[str]:
    """The files a manifest's ``bin`` declares that exist in the tree, inside the package."""
    for rel in bins:
        path = normalize(posixpath.join(pkg_dir, rel))
        if not path.startswith(pkg_dir + "/"):
            continue
        found = tree.get(path)
        if found is not None and found.is_regular:
            yield path


class NpmCataloger:
    """Finds npm packages installed in ``node_modules`` and pinned by ``package-lock.json``."""

    name = "npm"
    version = "1"
    selectors: tuple[Selector, ...] = (
        Selector(PACKAGE_SELECTOR, _match_package, read_manifest, suffixes=(_MANIFEST,)),
        Selector(LOCK_SELECTOR, _match_lock, suffixes=("/package-lock.json",)),
    )

    def catalog(self, tree: FileTree, distro: Distro | None) -> CatalogResult:
        """Installed manifests first, then lockfile entries not installed in the tree."""
        gaps: list[Gap] = []
        installed: dict[str, _Found] = {}
        identified: set[str] = set()
        roots: set[str] = set()
        for entry, value in tree.captured(PACKAGE_SELECTOR):
            manifest = parse_manifest(value) if isinstance(value, bytes) else value
            if not isinstance(manifest, Manifest):
                continue
            if manifest.error is not None:
                gaps.append(unparsable(entry.path, manifest.error))
                continue
            if manifest.name is None or manifest.version is None:
                continue
            installed[entry.path] = _Found(
                manifest.name, manifest.version, manifest.licenses, [location(entry)]
            )
            roots.add(entry.path[: entry.path.find("/node_modules/") + 13])
            if manifest.bins:
                identified.update(_bin_files(tree, parent(entry.path), manifest.bins))
        locked: dict[tuple[str, str, str], _Found] = {}
        databases = sorted(roots)
        for entry, data in tree.captured(LOCK_SELECTOR):
            if not isinstance(data, bytes):
                continue
            try:
                doc = load_json_object(data)
            except JsonError as exc:
                gaps.append(unparsable(entry.path, str(exc)))
                continue
            databases.append(entry.path)
            self._read_lock(entry, doc, installed, locked)
        found = [*installed.values(), *locked.values()]
        packages = tuple(
            Package(
                name=f.name,
                version=f.version,
                type=PackageType.NPM,
                purl=npm_purl(f.name, f.version),
                locations=tuple(f.locations),
                found_by=self.name,
                licenses=f.licenses,
            )
            for f in found
        )
        return CatalogResult(
            packages=packages,
            package_databases=tuple(databases),
            identified_files=frozenset(identified),
            gaps=tuple(gaps),
        )

    @staticmethod
    def _read_lock(
        entry: FileEntry,
        doc: dict[str, object],
        installed: dict[str, _Found],
        locked: dict[tuple[str, str, str], _Found],
    ) -> None:
        lock_dir = parent(entry.path)
        here = location(entry)
        for key, value in _lock_entries(doc):
            pair = _lock_name_version(key, value)
            if pair is None:
                continue
            manifest = normalize(f"{lock_dir}/{key}/package.json")
            existing = installed.get(manifest)
            if existing is not None and existing.version == pair[1]:
                if here not in existing.locations:
                    existing.locations.append(here)
                continue
            name, version = pair
            ident = (name, version, entry.path)
            if ident not in locked:
                locked[ident] = _Found(name, version, licenses_of(value), [here])
