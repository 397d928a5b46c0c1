"""ApkCataloger: Alpine, Wolfi and Chainguard packages from ``/lib/apk/db/installed``.

The installed database is a list of blocks separated by blank lines; each line is one
letter, a colon and a value (``P`` name, ``V`` version, ``A`` arch, ``L`` licence, ``o``
origin, i.e. the source package, ``T`` description, ``F`` a directory, followed by the
``R`` files in it, ...). purl form, as Syft writes it::

    pkg:apk/<distro id|alpine>/<name>@<version>?arch=<arch>&distro=<id>-<version_id>
        [&upstream=<origin>]   when the origin differs from the name
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hardhull.catalog.base import CatalogResult
from hardhull.catalog.distro import add_aliases, merged_usr_aliases
from hardhull.catalog.purl import make_purl
from hardhull.model import Distro, FileEntry, Gap, Location, Package, PackageType
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree

INSTALLED_PATHS = ("/lib/apk/db/installed", "/usr/lib/apk/db/installed")
SEL_INSTALLED = "apk-installed"


def _match(entry: FileEntry) -> bool:
    return entry.path in INSTALLED_PATHS


@dataclass(slots=True)
class ApkRecord:
    """One block of the installed database (mutable while parsing)."""

    name: str = ""
    version: str = ""
    arch: str = ""
    license: str = ""
    origin: str = ""
    description: str = ""
    url: str = ""
    commit: str = ""
    files: list[str] = field(default_factory=list)


def parse_installed(text: str) -> tuple[list[ApkRecord], int]:
    """Records of an apk installed database, and how many blocks were unusable."""
    records: list[ApkRecord] = []
    bad = 0
    rec = ApkRecord()
    started = False
    directory = ""
    for line in text.split("\n"):
        if len(line) < 2 or line[1] != ":":
            if line.strip():
                started = True  # junk inside a block: ignored, the block may still be good
                continue
            if started:
                if rec.name and rec.version:
                    records.append(rec)
                else:
                    bad += 1
            rec, started, directory = ApkRecord(), False, ""
            continue
        started = True
        key, value = line[0], line[2:]
        if key == "R":
            rec.files.append(f"/{directory}/{value}" if directory else f"/{value}")
        elif key == "F":
            directory = value.strip("/")
            rec.files.append("/" + directory)
        elif key == "P":
            rec.name = value
        elif key == "V":
            rec.version = value
        elif key == "A":
            rec.arch = value
        elif key == "L":
            rec.license = value
        elif key == "o":
            rec.origin = value
        elif key == "T":
            rec.description = value
        elif key == "U":
            rec.url = value
        elif key == "c":
            rec.commit = value
    if started:
        if rec.name and rec.version:
            records.append(rec)
        else:
            bad += 1
    return records, bad


def apk_purl(rec: ApkRecord, distro: Distro | None) -> str:
    """The apk purl of one record (see the module docstring for the form)."""
    qualifiers = {
        "arch": rec.arch,
        "distro": distro.purl_qualifier if distro else "",
        "upstream": rec.origin if rec.origin and rec.origin != rec.name else "",
    }
    namespace = distro.id if distro else "alpine"
    return make_purl("apk", rec.name, rec.version, namespace=namespace, qualifiers=qualifiers)


class ApkCataloger:
    """Installed apk packages with origin (source), licence and owned files."""

    name = "apk"
    version = "1"
    selectors: tuple[Selector, ...] = (
        Selector(SEL_INSTALLED, _match, max_size=256 * 1024 * 1024, suffixes=INSTALLED_PATHS),
    )

    def catalog(self, tree: FileTree, distro: Distro | None) -> CatalogResult:
        """Read the installed database(s); unusable blocks become a coverage gap."""
        packages: list[Package] = []
        owned: set[str] = set()
        databases: list[str] = []
        gaps: list[Gap] = []
        seen: set[str] = set()
        for path in INSTALLED_PATHS:
            entry = tree.resolve(path)
            if entry is None or not entry.is_regular or entry.path in seen:
                continue
            seen.add(entry.path)
            databases.append(entry.path)
            data = tree.read_bytes(SEL_INSTALLED, entry.path)
            if data is None:
                gaps.append(Gap("unparsable-database", entry.path, "content was not captured"))
                continue
            records, bad = parse_installed(data.decode("utf-8", errors="replace"))
            if bad:
                gaps.append(
                    Gap(
                        "unparsable-database",
                        entry.path,
                        f"{bad} block(s) without a package name or version were skipped",
                    )
                )
            location = (Location(entry.path, entry.layer),)
            for rec in records:
                owned.update(rec.files)
                packages.append(
                    Package(
                        name=rec.name,
                        version=rec.version,
                        type=PackageType.APK,
                        purl=apk_purl(rec, distro),
                        locations=location,
                        found_by=self.name,
                        licenses=(rec.license,) if rec.license else (),
                        arch=rec.arch or None,
                        source_name=rec.origin or rec.name,
                        source_version=rec.version,
                        distro=distro.purl_qualifier if distro else None,
                        metadata=tuple(
                            (k, v) for k, v in (("commit", rec.commit), ("url", rec.url)) if v
                        ),
                    )
                )
        owned = add_aliases(owned, merged_usr_aliases(tree))
        return CatalogResult(
            packages=tuple(packages),
            owned_files=frozenset(owned),
            package_databases=tuple(databases),
            gaps=tuple(gaps),
        )
