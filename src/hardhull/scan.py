"""The single pass over an image, shared by the CLI, the agent and the hub.

``inventory``/``build_sbom``: TARGET -> source -> FileTree -> catalogers -> ownership
filter -> Sbom, with a Coverage that says what was and was not examined. The vulnerability
and hardening scan built on it lives in :mod:`hardhull.scanning`.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hardhull import __version__
from hardhull.catalog.base import Cataloger, CatalogResult
from hardhull.catalog.distro import DISTRO_SELECTORS, identify_distro
from hardhull.catalog.registry import default_catalogers
from hardhull.model import Coverage, Distro, Gap, Package, Sbom, SourceInfo
from hardhull.sources.base import Selector, SourceOptions
from hardhull.sources.filetree import FileTree
from hardhull.sources.target import Target, open_target, parse_target


@dataclass(frozen=True)
class SbomOptions:
    """How to build an SBOM. ``strict`` re-raises cataloger failures (tests use it)."""

    source: SourceOptions = field(default_factory=SourceOptions)
    catalogers: tuple[Cataloger, ...] | None = None
    strict: bool = False
    include_files: bool = True
    tmp_root: Path | None = None


def build_sbom(target: str | Target, options: SbomOptions | None = None) -> Sbom:
    """Catalog ``target`` (a TARGET string or parsed :class:`Target`) into an :class:`Sbom`."""
    return inventory(target, options)[0]


def inventory(
    target: str | Target,
    options: SbomOptions | None = None,
    extra_selectors: Sequence[Selector] = (),
) -> tuple[Sbom, FileTree | None]:
    """The SBOM of ``target`` and the file tree it was built from.

    ``extra_selectors`` let later stages (hardening checks) see file content during the same
    single pass over the layers. The tree is ``None`` for ``sbom:`` targets (no image).
    """
    opts = options or SbomOptions()
    tgt = target if isinstance(target, Target) else parse_target(target)
    if tgt.scheme == "sbom":
        from hardhull.sbomfmt.read import read_sbom

        return read_sbom(Path(tgt.ref)), None
    catalogers = opts.catalogers if opts.catalogers is not None else default_catalogers()
    selectors: list[Selector] = list(DISTRO_SELECTORS)
    for cataloger in catalogers:
        selectors.extend(cataloger.selectors)
    selectors.extend(extra_selectors)
    workdir = Path(tempfile.mkdtemp(prefix="hardhull-", dir=opts.tmp_root))
    try:
        workdir.chmod(0o700)
        info, tree = open_target(tgt, opts.source, selectors, workdir)
        return catalog_tree(info, tree, catalogers, opts), tree
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_catalogers(
    tree: FileTree, distro: Distro | None, catalogers: Sequence[Cataloger], strict: bool
) -> tuple[list[CatalogResult], list[Gap]]:
    """Run every cataloger, turning a failing one into a coverage gap (or raising if strict)."""
    results: list[CatalogResult] = []
    gaps: list[Gap] = []
    for cataloger in catalogers:
        try:
            results.append(cataloger.catalog(tree, distro))
        except Exception as exc:  # a plug-in failure must not end the scan
            if strict:
                raise
            gaps.append(Gap("cataloger-error", cataloger.name, f"{type(exc).__name__}: {exc}"))
    return results, gaps


def drop_os_owned(packages: Sequence[Package], owned: frozenset[str]) -> list[Package]:
    """Language packages whose every location an OS package owns are not reported again."""
    kept = []
    for pkg in packages:
        if (
            not pkg.type.is_os
            and owned
            and pkg.locations
            and all(loc.path in owned for loc in pkg.locations)
        ):
            continue
        kept.append(pkg)
    return kept


def catalog_tree(
    info: SourceInfo, tree: FileTree, catalogers: Sequence[Cataloger], opts: SbomOptions
) -> Sbom:
    """Catalog an already built tree (used by ``build_sbom`` and by tests)."""
    distro = identify_distro(tree)
    results, gaps = run_catalogers(tree, distro, catalogers, opts.strict)
    packages: list[Package] = []
    owned: set[str] = set()
    databases: set[str] = set()
    executables: set[str] = set()
    identified: set[str] = set()
    for result in results:
        packages.extend(result.packages)
        owned |= result.owned_files
        databases.update(result.package_databases)
        executables |= result.executables
        identified |= result.identified_files
        gaps.extend(result.gaps)
    frozen_owned = frozenset(owned)
    packages = drop_os_owned(packages, frozen_owned)
    for pkg in packages:
        identified.update(loc.path for loc in pkg.locations)
    unidentified = sorted(executables - frozen_owned - identified)
    coverage = Coverage(
        layers_read=tuple(layer.digest for layer in tree.layers),
        files_examined=len(tree),
        package_databases=tuple(sorted(databases)),
        catalogers=tuple(c.name for c in catalogers),
        unidentified_executables=tuple(unidentified),
        gaps=tuple(sorted({*tree.gaps, *gaps}, key=lambda g: (g.kind, g.subject, g.detail))),
    )
    return Sbom(
        source=info,
        packages=tuple(sorted(packages, key=Package.sort_key)),
        coverage=coverage,
        distro=distro,
        files=tuple(tree.entries()) if opts.include_files else (),
        tool="hardhull",
        tool_version=__version__,
        created=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    )
