"""JavaCataloger: Maven artifacts in jar, war, ear (and par, sar, jpi, hpi, kar, nar) files.

Per archive (outer or nested, see :mod:`hardhull.catalog.jar`):

* ``pom.properties`` give ``groupId:artifactId:version``. The one whose artifactId equals
  the name derived from the file name (or the only one) describes the archive itself;
  others are artifacts shaded into it and are reported as their own packages.
* Without a describing ``pom.properties`` the archive is named like Syft does: name and
  version from the file name (``commons-io-2.11.0.jar`` -> ``commons-io`` ``2.11.0``: the
  name is the leading ``-``-separated words that start with a letter, the version starts
  at the first word that starts with a digit, or ``rc``/``build`` + digit; failing that a
  ``_1.2``/``.1.2`` suffix), else from the manifest (``Bundle-Name``,
  ``Implementation-Title``, ...; ``Implementation-Version``, ``Specification-Version``,
  ``Bundle-Version``). The group comes from a reverse-domain manifest attribute when one
  exists, else it is the name (Syft's ``pkg:maven/<name>/<name>`` convention).
  ``name_source``/``version_source``/``group_source`` in the metadata say which applied.

Locations always name the real file in the image; the nested path
(``app.jar:BOOT-INF/lib/x.jar``) is in ``virtual_path``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import BinaryIO

from hardhull.catalog.base import CatalogResult
from hardhull.catalog.jar import ArchiveInfo, JarScan, PomProperties, is_archive_name, scan_archive
from hardhull.catalog.purl import make_purl
from hardhull.catalog.spool import TooLargeError, random_access
from hardhull.model import Distro, FileEntry, Gap, Location, Package, PackageType
from hardhull.sources.base import ReadContext, Selector
from hardhull.sources.filetree import FileTree

SELECTOR = "java-archive"
_MAX_ARCHIVE = 2 * 1024 * 1024 * 1024
_VERSION_WORD = re.compile(r"^(?:\d|rc\d|build\d)", re.IGNORECASE)
_SUFFIX_VERSION = re.compile(r"^(?P<name>.+?)[._](?P<version>\d[\w.\-]*)$")
_REVERSE_DNS = re.compile(r"^(?:com|org|net|io|dev|edu|gov|de|uk|ch|fr|nl|eu|jp|me|app)\.[\w.]+$")
_GROUP_FIELDS = ("Bundle-SymbolicName", "Automatic-Module-Name", "Implementation-Vendor-Id",
                 "Extension-Name", "Main-Class")  # fmt: skip


def _match(entry: FileEntry) -> bool:
    return entry.is_regular and is_archive_name(entry.path)


def read_archive(entry: FileEntry, stream: BinaryIO, ctx: ReadContext) -> JarScan:
    """Selector reader: spool the archive (bounded memory) and scan it."""
    try:
        with random_access(stream, b"", ctx.workdir, ctx.max_size) as (f, size):
            return scan_archive(f, size, entry.path, ctx.workdir)
    except TooLargeError as exc:
        return JarScan((), (("too-large", entry.path, str(exc)),))
    except OSError as exc:
        return JarScan((), (("unreadable-file", entry.path, str(exc)),))


@dataclass(frozen=True, slots=True)
class FileName:
    """Name and version derived from an archive's file name."""

    name: str
    version: str


def split_filename(filename: str) -> FileName:
    """``spring-core-5.3.20.jar`` -> (``spring-core``, ``5.3.20``)."""
    stem = filename.rsplit("/", 1)[-1]
    if "." in stem:
        stem = stem.rsplit(".", 1)[0]
    words = stem.split("-")
    for i, word in enumerate(words):
        if i > 0 and _VERSION_WORD.match(word):
            return FileName("-".join(words[:i]), "-".join(words[i:]))
    m = _SUFFIX_VERSION.match(stem)
    if m and m.group("name")[:1].isalpha():
        return FileName(m.group("name"), m.group("version"))
    return FileName(stem, "")


class JavaCataloger:
    """Maven packages from Java archives, nested ones included."""

    name = "java"
    version = "1"
    selectors: tuple[Selector, ...] = (
        Selector(SELECTOR, _match, read_archive, max_size=_MAX_ARCHIVE),
    )

    def catalog(self, tree: FileTree, distro: Distro | None) -> CatalogResult:
        """Packages for every archive the selector scanned; limits hit become gaps."""
        packages: list[Package] = []
        gaps: list[Gap] = []
        databases: list[str] = []
        for entry, value in tree.captured(SELECTOR):
            if not isinstance(value, JarScan):
                continue
            gaps.extend(Gap(kind, subject, detail) for kind, subject, detail in value.problems)
            if value.archives:
                databases.append(entry.path)
            loc = Location(entry.path, entry.layer)
            seen: set[str] = set()
            for archive in value.archives:
                for pkg in archive_packages(archive, loc, self.name):
                    if pkg.purl not in seen:  # same artifact twice in one file: report once
                        seen.add(pkg.purl)
                        packages.append(pkg)
        return CatalogResult(
            packages=tuple(packages), package_databases=tuple(databases), gaps=tuple(gaps)
        )


def _maven(
    group: str, artifact: str, version: str, loc: Location, found_by: str, meta: dict[str, str]
) -> Package:
    return Package(
        name=artifact,
        version=version,
        type=PackageType.JAVA,
        purl=make_purl("maven", artifact, version or None, namespace=group or None),
        locations=(loc,),
        found_by=found_by,
        metadata=tuple(sorted((k, v) for k, v in meta.items() if v)),
    )


def _guess_group(archive: ArchiveInfo, name: str) -> str | None:
    for key in _GROUP_FIELDS:
        value = (archive.manifest_value(key) or "").split(";", 1)[0].strip()
        if not _REVERSE_DNS.match(value):
            continue
        if key == "Main-Class":
            value = value.rsplit(".", 1)[0]
        last = re.split(r"[-.]", name)[-1]
        head, _, tail = value.rpartition(".")
        return head if tail == last and "." in head else value
    return None


def archive_packages(archive: ArchiveInfo, loc: Location, found_by: str) -> list[Package]:
    """The packages one archive stands for (itself, plus shaded artifacts)."""
    fname = split_filename(archive.filename)
    base = {"virtual_path": archive.virtual_path if archive.depth else ""}
    primary: PomProperties | None = None
    for pom in archive.poms:
        if pom.artifact_id == fname.name:
            primary = pom
    if primary is None and len(archive.poms) == 1:
        primary = archive.poms[0]
    out: list[Package] = []
    if primary is not None:
        meta = {**base, "evidence": "pom.properties", "pom_path": primary.path}
        meta["manifest_name"] = archive.manifest_value("Implementation-Title") or ""
        out.append(
            _maven(primary.group_id, primary.artifact_id, primary.version, loc, found_by, meta)
        )
    else:
        out.extend(_from_manifest(archive, fname, loc, found_by, base))
    for pom in archive.poms:
        if pom is primary:
            continue
        meta = {**base, "evidence": "pom.properties", "pom_path": pom.path, "embedded": "true"}
        out.append(_maven(pom.group_id, pom.artifact_id, pom.version, loc, found_by, meta))
    return out


def _from_manifest(
    archive: ArchiveInfo, fname: FileName, loc: Location, found_by: str, base: dict[str, str]
) -> list[Package]:
    mv = archive.manifest_value
    name, name_source = fname.name, "filename"
    if not name:
        for key in ("Name", "Bundle-Name", "Short-Name", "Extension-Name", "Implementation-Title"):
            if mv(key):
                name, name_source = mv(key) or "", "manifest"
                break
    if not name:
        return []
    version, version_source = fname.version, "filename"
    if not version:
        version_source = "manifest"
        for key in ("Implementation-Version", "Specification-Version", "Bundle-Version"):
            if mv(key):
                version = mv(key) or ""
                break
        else:
            version_source = ""
    group = _guess_group(archive, name)
    meta = {
        **base,
        "evidence": "manifest" if archive.manifest else "filename",
        "name_source": name_source,
        "version_source": version_source,
        "group_source": "manifest" if group else "name",
    }
    for key in ("Implementation-Title", "Implementation-Version", "Implementation-Vendor",
                "Bundle-SymbolicName", "Bundle-Version", "Specification-Title",
                "Specification-Version", "Specification-Vendor"):  # fmt: skip
        meta["manifest." + key] = mv(key) or ""
    return [_maven(group or name, name, version, loc, found_by, meta)]
