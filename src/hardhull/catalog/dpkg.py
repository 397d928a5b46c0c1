"""DpkgCataloger: Debian packages from ``/var/lib/dpkg/status`` and distroless ``status.d``.

purl form (the one Syft writes, so that tools agree)::

    pkg:deb/<distro id|debian>/<name>@<version>?arch=<arch>&distro=<id>-<version_id>
        [&upstream=<source>]            when the source package's name differs
        [&upstream=<source>@<version>]  when the source package's version differs

Trivy writes the same without ``upstream``; the source package is also carried on the
:class:`~hardhull.model.Package` itself (``source_name``/``source_version``), which is
what Debian advisories are matched on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from hardhull.catalog.base import CatalogResult
from hardhull.catalog.distro import add_aliases, merged_usr_aliases
from hardhull.catalog.purl import make_purl
from hardhull.model import Distro, FileEntry, Gap, Location, Package, PackageType
from hardhull.sources.base import ReadContext, Selector
from hardhull.sources.filetree import FileTree

STATUS = "/var/lib/dpkg/status"
STATUS_D = "/var/lib/dpkg/status.d/"
INFO = "/var/lib/dpkg/info/"
DOC = "/usr/share/doc/"

SEL_STATUS = "dpkg-status"
SEL_LIST = "dpkg-list"
SEL_COPYRIGHT = "dpkg-copyright"

_COPYRIGHT_MAX = 1024 * 1024


def _match_status(entry: FileEntry) -> bool:
    path = entry.path
    return path == STATUS or path.startswith(STATUS_D)


def _match_list(entry: FileEntry) -> bool:
    path = entry.path
    return path.startswith(INFO) and path.endswith(".list")


def _match_copyright(entry: FileEntry) -> bool:
    path = entry.path
    # /usr/share/doc/<pkg>/copyright: exactly one component between the two
    return path.endswith("/copyright") and path.startswith(DOC) and path.count("/") == 5


def read_copyright_licenses(entry: FileEntry, stream: BinaryIO, ctx: ReadContext) -> object:
    """``License:`` values of a machine-readable (DEP-5) copyright file, in first-seen order.

    Files in the old free-form style give an empty tuple: guessing licences from prose is
    not cheap and not reliable.
    """
    data = stream.read(min(ctx.max_size, _COPYRIGHT_MAX))
    if not data.startswith(b"Format:"):
        return ()
    seen: dict[str, None] = {}
    for line in data.decode("utf-8", errors="replace").splitlines():
        if line.startswith("License:"):
            value = line[8:].strip()
            if value:
                seen.setdefault(value, None)
    return tuple(seen)


def parse_paragraphs(text: str) -> Iterator[dict[str, str]]:
    """RFC-822 style paragraphs of a dpkg database; field names lower-cased.

    Continuation lines (starting with a space or tab) are appended to the field before
    them, separated by a newline. A paragraph ends at an empty (or blank) line.
    """
    fields: dict[str, str] = {}
    last = ""
    for line in text.split("\n"):
        if not line or line.isspace():
            if fields:
                yield fields
                fields = {}
                last = ""
            continue
        first = line[0]
        if first == " " or first == "\t":
            if last:
                fields[last] += "\n" + line[1:]
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue  # junk line: no field name
        last = key.strip().lower()
        fields[last] = value.strip()
    if fields:
        yield fields


def split_source(source: str, name: str, version: str) -> tuple[str, str]:
    """``Source: glibc (2.36-9)`` -> ``("glibc", "2.36-9")``; defaults to the binary's own."""
    source = source.strip()
    if not source:
        return name, version
    src_name, _, rest = source.partition(" ")
    rest = rest.strip()
    if rest.startswith("(") and rest.endswith(")") and len(rest) > 2:
        return src_name, rest[1:-1].strip()
    return src_name, version


def _installed(status: str | None) -> bool:
    if status is None:
        return True  # distroless status.d entries carry no Status: they are installed
    words = status.split()
    return len(words) == 3 and words[2] == "installed" and words[0] in ("install", "hold")


def deb_purl(
    name: str, version: str, arch: str | None, source: tuple[str, str], distro: Distro | None
) -> str:
    """The deb purl for a binary package (see the module docstring for the form)."""
    src_name, src_version = source
    upstream = ""
    if src_version != version:
        upstream = f"{src_name}@{src_version}"
    elif src_name != name:
        upstream = src_name
    qualifiers = {
        "arch": arch or "",
        "distro": distro.purl_qualifier if distro else "",
        "upstream": upstream,
    }
    namespace = distro.id if distro else "debian"
    return make_purl("deb", name, version, namespace=namespace, qualifiers=qualifiers)


class DpkgCataloger:
    """Installed Debian packages, their source packages, owned files and licences."""

    name = "dpkg"
    version = "1"
    selectors: tuple[Selector, ...] = (
        Selector(SEL_STATUS, _match_status, max_size=256 * 1024 * 1024, prefixes=(STATUS,)),
        Selector(SEL_LIST, _match_list, suffixes=(".list",)),
        Selector(
            SEL_COPYRIGHT, _match_copyright, read=read_copyright_licenses, suffixes=("/copyright",)
        ),
    )

    def catalog(self, tree: FileTree, distro: Distro | None) -> CatalogResult:
        """Read every dpkg database in ``tree``; bad paragraphs become coverage gaps."""
        packages: list[Package] = []
        owned: set[str] = set()
        databases: list[str] = []
        gaps: list[Gap] = []
        status_entry = tree.get(STATUS)
        status_d = [(e, v) for e, v in tree.captured(SEL_STATUS) if e.path.startswith(STATUS_D)]
        if status_entry is not None and status_entry.is_regular:
            databases.append(STATUS)
            data = tree.read_bytes(SEL_STATUS, STATUS)
            if data is None:
                gaps.append(Gap("unparsable-database", STATUS, "content was not captured"))
            else:
                self._read_db(tree, status_entry, data, distro, None, packages, owned, gaps)
        if status_d:
            databases.append(STATUS_D.rstrip("/"))
        for entry, value in status_d:
            if entry.path.endswith(".md5sums") or not isinstance(value, bytes):
                continue
            md5 = entry.path + ".md5sums"
            self._read_db(tree, entry, value, distro, md5, packages, owned, gaps)
        owned = add_aliases(owned, merged_usr_aliases(tree))
        return CatalogResult(
            packages=tuple(packages),
            owned_files=frozenset(owned),
            package_databases=tuple(databases),
            gaps=tuple(gaps),
        )

    def _read_db(
        self,
        tree: FileTree,
        entry: FileEntry,
        data: bytes,
        distro: Distro | None,
        md5sums: str | None,
        packages: list[Package],
        owned: set[str],
        gaps: list[Gap],
    ) -> None:
        text = data.decode("utf-8", errors="replace")
        location = (Location(entry.path, entry.layer),)
        bad = 0
        for fields in parse_paragraphs(text):
            name = fields.get("package", "")
            version = fields.get("version", "")
            if not name or not version or " " in name:
                bad += 1
                continue
            if not _installed(fields.get("status")):
                continue
            arch = fields.get("architecture") or None
            source = split_source(fields.get("source", ""), name, version)
            files = self._owned(tree, name, arch, md5sums)
            owned.update(files)
            packages.append(
                Package(
                    name=name,
                    version=version,
                    type=PackageType.DEB,
                    purl=deb_purl(name, version, arch, source, distro),
                    locations=location,
                    found_by=self.name,
                    licenses=self._licenses(tree, name),
                    arch=arch,
                    source_name=source[0],
                    source_version=source[1],
                    distro=distro.purl_qualifier if distro else None,
                )
            )
        if bad:
            gaps.append(
                Gap(
                    "unparsable-database",
                    entry.path,
                    f"{bad} paragraph(s) without a valid Package or Version were skipped",
                )
            )

    @staticmethod
    def _owned(tree: FileTree, name: str, arch: str | None, md5sums: str | None) -> list[str]:
        if md5sums is not None:
            # distroless: "<md5>  <path relative to />" per line
            data = tree.read_bytes(SEL_STATUS, md5sums)
            if data is None:
                data = tree.read_bytes(SEL_STATUS, f"{STATUS_D}{name}.md5sums")
            if data is None:
                return []
            out = []
            for line in data.decode("utf-8", errors="replace").splitlines():
                _, sep, path = line.partition("  ")
                if sep and path:
                    out.append("/" + path.lstrip("/"))
            return out
        data = None
        if arch:
            data = tree.read_bytes(SEL_LIST, f"{INFO}{name}:{arch}.list")
        if data is None:
            data = tree.read_bytes(SEL_LIST, f"{INFO}{name}.list")
        if data is None:
            return []
        return [p for p in data.decode("utf-8", errors="replace").split("\n") if p and p != "/."]

    @staticmethod
    def _licenses(tree: FileTree, name: str) -> tuple[str, ...]:
        entry = tree.resolve(f"{DOC}{name}/copyright")
        if entry is None:
            return ()
        value = tree.capture(SEL_COPYRIGHT, entry.path)
        if isinstance(value, tuple):
            return tuple(str(v) for v in value)
        return ()
