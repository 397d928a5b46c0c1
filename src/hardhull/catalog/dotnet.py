""".NET dependencies: ``*.deps.json`` files written by the SDK next to an application.

``libraries`` maps ``"Name/Version"`` to a ``type``: ``package`` entries are NuGet packages
and become ``pkg:nuget/<Name>@<Version>``; ``project`` (the application and its own
projects), ``reference`` and ``runtimepack`` entries are not NuGet packages and are left
out. The assets each package brings (``targets.<tfm>.<Name/Version>``: ``runtime``,
``native`` and ``runtimeTargets``) are attributed to it when present in the application
directory, under their relative path or flattened to their file name (published apps).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from hardhull.catalog.base import CatalogResult
from hardhull.catalog.lang_util import Findings, load_json_object, location, parent
from hardhull.catalog.purl import make_purl
from hardhull.model import Distro, FileEntry, Package, PackageType
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree, normalize

SELECTOR = "dotnet-deps"
_ASSET_KINDS = ("runtime", "native", "runtimeTargets")


def _match(entry: FileEntry) -> bool:
    return entry.path.endswith(".deps.json")


def _assets(doc: dict[str, object], key: str) -> Iterator[str]:
    """Relative asset paths listed for library ``key`` in every target framework."""
    targets = doc.get("targets")
    if not isinstance(targets, dict):
        return
    for framework in targets.values():
        if not isinstance(framework, dict):
            continue
        lib = framework.get(key)
        if not isinstance(lib, dict):
            continue
        for kind in _ASSET_KINDS:
            assets = lib.get(kind)
            if isinstance(assets, dict):
                yield from (k for k in assets if isinstance(k, str))


class DotnetCataloger:
    """Finds NuGet packages listed in .NET ``*.deps.json`` files."""

    name = "dotnet"
    version = "1"
    selectors: tuple[Selector, ...] = (Selector(SELECTOR, _match, suffixes=(".deps.json",)),)

    def catalog(self, tree: FileTree, distro: Distro | None) -> CatalogResult:
        """Each deps.json: its ``package`` libraries, and the asset files they brought."""
        found = Findings()
        for entry, doc in found.documents(tree, SELECTOR, load_json_object):
            libraries = doc.get("libraries")
            if not isinstance(libraries, dict):
                found.reject(entry, 'no "libraries" object')
                continue
            found.databases.append(entry.path)
            app_dir = parent(entry.path)
            for key, lib in libraries.items():
                if not isinstance(lib, dict) or lib.get("type") != "package":
                    continue
                name, sep, version = key.partition("/")
                if not sep or not name or not version:
                    found.reject(entry, f"library key {key!r} is not Name/Version")
                    continue
                found.packages.append(self._package(entry, name, version, lib))
                found.identified.update(self._files(tree, app_dir, _assets(doc, key)))
        return found.result()

    def _package(
        self, entry: FileEntry, name: str, version: str, lib: dict[str, object]
    ) -> Package:
        meta = tuple(
            (k, v) for k in ("hashPath", "path", "sha512") if isinstance(v := lib.get(k), str) and v
        )
        return Package(
            name=name,
            version=version,
            type=PackageType.NUGET,
            purl=make_purl("nuget", name, version),
            locations=(location(entry),),
            found_by=self.name,
            metadata=meta,
        )

    @staticmethod
    def _files(tree: FileTree, app_dir: str, assets: Iterator[str]) -> Iterator[str]:
        for rel in assets:
            for candidate in (rel, rel.rpartition("/")[2]):
                path = normalize(posixpath.join(app_dir, candidate))
                if not path.startswith(app_dir + "/"):
                    continue
                found = tree.get(path)
                if found is not None and found.is_regular:
                    yield path
