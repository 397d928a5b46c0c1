"""RpmCataloger: RPM packages from the rpm database, read without librpm.

Databases, by preference: ``rpmdb.sqlite`` (rpm >= 4.16: Fedora, RHEL 9, UBI 9),
``Packages.db`` (NDB: SUSE), ``Packages`` (BerkeleyDB hash: RHEL/CentOS <= 8, Amazon
Linux 2), each under ``/usr/lib/sysimage/rpm`` or ``/var/lib/rpm``. Only one database
is used: the first found in that order (the others are leftovers of a migration).

``Package.version`` is ``[epoch:]version-release`` (what rpm compares, and what Syft
reports). purl form, as the brief and Trivy write it::

    pkg:rpm/<distro id>/<name>@<version>-<release>?arch=<arch>&epoch=<epoch>&distro=<id>-<ver>

The source package comes from ``SOURCERPM`` (``name-version-release.src.rpm``); an SRPM
file name carries no epoch, so the binary's epoch is prefixed to ``source_version``.
"""

from __future__ import annotations

from hardhull.catalog.base import CatalogResult
from hardhull.catalog.distro import add_aliases, merged_usr_aliases
from hardhull.catalog.purl import make_purl
from hardhull.catalog.rpmdb import RpmDbResult, RpmRecord, spool_and_read
from hardhull.model import Distro, FileEntry, Gap, Location, Package, PackageType
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree

SEL_RPMDB = "rpmdb"

_DIRS = ("/usr/lib/sysimage/rpm", "/var/lib/rpm")
_FILES = ("rpmdb.sqlite", "Packages.db", "Packages")
DATABASE_PATHS = tuple(f"{d}/{f}" for f in _FILES for d in _DIRS)
_PATHS = frozenset(DATABASE_PATHS)


def _match(entry: FileEntry) -> bool:
    return entry.path in _PATHS


def split_sourcerpm(sourcerpm: str | None) -> tuple[str, str] | None:
    """``openssl-3.0.7-27.el9.src.rpm`` -> ``("openssl", "3.0.7-27.el9")``; ``None`` if odd."""
    if not sourcerpm or sourcerpm == "(none)":
        return None
    base = sourcerpm
    for suffix in (".src.rpm", ".nosrc.rpm"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    else:
        return None
    parts = base.rsplit("-", 2)
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], f"{parts[1]}-{parts[2]}"


def evr(rec: RpmRecord) -> str:
    """``[epoch:]version-release`` of a record."""
    vr = f"{rec.version}-{rec.release}" if rec.release else rec.version
    return f"{rec.epoch}:{vr}" if rec.epoch is not None else vr


def rpm_purl(rec: RpmRecord, distro: Distro | None) -> str:
    """The rpm purl of one record (see the module docstring for the form)."""
    version = f"{rec.version}-{rec.release}" if rec.release else rec.version
    qualifiers = {
        "arch": rec.arch if rec.arch and rec.arch != "(none)" else "",
        "epoch": str(rec.epoch) if rec.epoch is not None else "",
        "distro": distro.purl_qualifier if distro else "",
    }
    namespace = distro.id if distro else None
    return make_purl("rpm", rec.name, version, namespace=namespace, qualifiers=qualifiers)


class RpmCataloger:
    """Installed RPM packages with source package, licence and owned files."""

    name = "rpm"
    version = "1"
    selectors: tuple[Selector, ...] = (
        Selector(
            SEL_RPMDB,
            _match,
            read=spool_and_read,
            max_size=2 * 1024 * 1024 * 1024,
            suffixes=tuple(sorted(_PATHS)),
        ),
    )

    def catalog(self, tree: FileTree, distro: Distro | None) -> CatalogResult:
        """Read the preferred rpm database; damage becomes a coverage gap."""
        chosen = self._choose(tree)
        if chosen is None:
            return CatalogResult()
        entry, value = chosen
        gaps: list[Gap] = []
        if not isinstance(value, RpmDbResult):
            gaps.append(Gap("unparsable-database", entry.path, "content was not read"))
            return CatalogResult(package_databases=(entry.path,), gaps=tuple(gaps))
        if value.error:
            gaps.append(Gap("unparsable-database", entry.path, f"{value.format}: {value.error}"))
        wal = tree.get(entry.path + "-wal")
        if wal is not None and wal.size > 0:
            gaps.append(
                Gap(
                    "unparsable-database",
                    wal.path,
                    "uncheckpointed SQLite write-ahead log not read; recent changes may be missing",
                )
            )
        location = (Location(entry.path, entry.layer),)
        packages: list[Package] = []
        owned: set[str] = set()
        for rec in value.records:
            owned.update(rec.files)
            packages.append(self._package(rec, location, distro))
        owned = add_aliases(owned, merged_usr_aliases(tree))
        return CatalogResult(
            packages=tuple(packages),
            owned_files=frozenset(owned),
            package_databases=(entry.path,),
            gaps=tuple(gaps),
        )

    @staticmethod
    def _choose(tree: FileTree) -> tuple[FileEntry, object] | None:
        for path in DATABASE_PATHS:
            entry = tree.resolve(path)
            if entry is not None and entry.is_regular:
                return entry, tree.capture(SEL_RPMDB, entry.path)
        return None

    def _package(
        self, rec: RpmRecord, location: tuple[Location, ...], distro: Distro | None
    ) -> Package:
        version = evr(rec)
        source = split_sourcerpm(rec.sourcerpm)
        if source is None:
            src_name, src_version = rec.name, version
        else:
            src_name = source[0]
            src_version = f"{rec.epoch}:{source[1]}" if rec.epoch is not None else source[1]
        metadata = [("release", rec.release)]
        if rec.epoch is not None:
            metadata.append(("epoch", str(rec.epoch)))
        if rec.sourcerpm and rec.sourcerpm != "(none)":
            metadata.append(("sourcerpm", rec.sourcerpm))
        if rec.vendor:
            metadata.append(("vendor", rec.vendor))
        return Package(
            name=rec.name,
            version=version,
            type=PackageType.RPM,
            purl=rpm_purl(rec, distro),
            locations=location,
            found_by=self.name,
            licenses=(rec.license,) if rec.license and rec.license != "(none)" else (),
            arch=rec.arch if rec.arch and rec.arch != "(none)" else None,
            source_name=src_name,
            source_version=src_version,
            distro=distro.purl_qualifier if distro else None,
            metadata=tuple(sorted(metadata)),
        )
