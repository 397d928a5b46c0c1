"""Installed Python distributions: ``*.dist-info`` and ``*.egg-info``, anywhere in the tree.

Sources, per the Python packaging specs:

* ``<site>/<name>-<ver>.dist-info/METADATA`` (wheels, pip), with ``RECORD`` listing the
  installed files relative to ``<site>``;
* ``<site>/<name>.egg-info/PKG-INFO`` (setuptools, Debian), with the optional
  ``installed-files.txt`` listing files relative to the ``.egg-info`` directory;
* ``<site>/<name>-<ver>.egg-info`` as a single file (distutils, Debian);
* ``<site>/<name>.egg/EGG-INFO/PKG-INFO`` (eggs).

Only the header block of METADATA/PKG-INFO is kept (a reader stops at the first blank
line), so long descriptions never reach memory. The package location is the
METADATA/PKG-INFO path, which is also the path a distro package database lists, so
Debian-installed distributions are dropped as OS-owned by the scan.

The header parser is our own: on the 45 distributions of the project venv it takes about
13 µs per header block against 77 µs for ``email.parser.BytesHeaderParser``.
"""

from __future__ import annotations

import csv
import posixpath
import re
from typing import BinaryIO

from hardhull.catalog.base import CatalogResult
from hardhull.catalog.lang_util import captured_bytes, location, parent, unique, unparsable
from hardhull.catalog.purl import make_purl
from hardhull.errors import CatalogError
from hardhull.model import Distro, FileEntry, Gap, Package, PackageType
from hardhull.sources.base import ReadContext, Selector
from hardhull.sources.filetree import FileTree, normalize

METADATA_SELECTOR = "python-metadata"
FILES_SELECTOR = "python-files"

_METADATA_SUFFIXES = (
    ".dist-info/METADATA",
    ".egg-info/PKG-INFO",
    "/EGG-INFO/PKG-INFO",
    ".egg-info",
)
_FILES_SUFFIXES = (".dist-info/RECORD", ".egg-info/installed-files.txt")
# Files a RECORD lists that can never be executables: not looked up in the tree.
_NOT_EXECUTABLE = (".py", ".pyc", ".pyi", ".pyo", ".typed", ".txt", ".md", ".rst", ".pth")
_MAX_HEADER = 1024 * 1024
_CHUNK = 16 * 1024
_WANTED = frozenset({"name", "version", "license", "license-expression", "classifier"})
_PEP503 = re.compile(r"[-_.]+")


def _match_metadata(entry: FileEntry) -> bool:
    return entry.path.endswith(_METADATA_SUFFIXES)


def _match_files(entry: FileEntry) -> bool:
    return entry.path.endswith(_FILES_SUFFIXES)


def read_header_block(entry: FileEntry, stream: BinaryIO, ctx: ReadContext) -> bytes:
    """Read a METADATA/PKG-INFO stream up to its first blank line (the header block)."""
    buf = bytearray()
    limit = min(ctx.max_size, _MAX_HEADER)
    scanned = 0
    while len(buf) < limit:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        buf += chunk
        end = buf.find(b"\n\n", max(scanned - 1, 0))
        if end < 0:
            end = buf.find(b"\n\r\n", max(scanned - 2, 0))
        if end >= 0:
            return bytes(buf[: end + 1])
        scanned = len(buf)
    return bytes(buf[:limit])


class MetadataError(CatalogError, ValueError):
    """A METADATA/PKG-INFO header block without the fields every distribution has."""


def parse_metadata(data: bytes) -> dict[str, list[str]]:
    """Parse the header block of core metadata (RFC 822 style) into lower-cased fields.

    Only the fields the cataloger uses are kept. Continuation lines (leading space or tab)
    extend the previous value; parsing stops at the first empty line (the body).
    """
    text = data.decode("utf-8", "replace")
    fields: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in text.split("\n"):
        line = raw.rstrip("\r")
        if not line:
            break
        if line[0] in " \t":
            if current is not None:
                current[-1] += "\n" + line.strip()
            continue
        key, sep, value = line.partition(":")
        if not sep:
            current = None
            continue
        key = key.strip().lower()
        if key not in _WANTED:
            current = None
            continue
        current = fields.setdefault(key, [])
        current.append(value.strip())
    return fields


def pep503(name: str) -> str:
    """The PEP 503 normalized form of a distribution name."""
    return _PEP503.sub("-", name).lower()


def licenses_of(fields: dict[str, list[str]]) -> tuple[str, ...]:
    """License-Expression, else a one-line License field, else ``License ::`` classifiers."""
    expression = [v for v in fields.get("license-expression", ()) if v]
    if expression:
        return unique(expression)
    declared = [
        v
        for v in fields.get("license", ())
        if v and "\n" not in v and len(v) <= 120 and v.upper() != "UNKNOWN"
    ]
    if declared:
        return unique(declared)
    found = []
    for classifier in fields.get("classifier", ()):
        parts = [p.strip() for p in classifier.split("::")]
        if parts[0] != "License" or len(parts) < 2:
            continue
        if len(parts) == 2 and parts[1] == "OSI Approved":
            continue
        found.append(parts[-1])
    return unique(found)


def _site_dir(path: str) -> str:
    """The directory the distribution was installed into (site-packages or similar)."""
    if path.endswith(".egg-info"):
        return parent(path)
    meta_dir = parent(path)
    if meta_dir.endswith("/EGG-INFO"):
        return parent(parent(meta_dir))
    return parent(meta_dir)


def _record_paths(data: bytes, base: str, *, record: bool) -> list[str]:
    """Absolute paths listed by RECORD (``path,hash,size``) or installed-files.txt."""
    out = []
    for raw in data.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if not line:
            continue
        if record:
            if line[0] == '"':
                row = next(csv.reader([line]), None)
                if not row:
                    continue
                rel = row[0]
            else:
                rel = line.rsplit(",", 2)[0]
        else:
            rel = line
        if not rel or rel.endswith(_NOT_EXECUTABLE) or ".dist-info/" in rel:
            continue
        out.append(normalize(rel if rel.startswith("/") else posixpath.join(base, rel)))
    return out


class PythonCataloger:
    """Finds installed Python distributions (pip, setuptools, distutils, Debian)."""

    name = "python"
    version = "1"
    selectors: tuple[Selector, ...] = (
        Selector(
            METADATA_SELECTOR, _match_metadata, read_header_block, suffixes=_METADATA_SUFFIXES
        ),
        Selector(FILES_SELECTOR, _match_files, suffixes=_FILES_SUFFIXES),
    )

    def catalog(self, tree: FileTree, distro: Distro | None) -> CatalogResult:
        """Read every captured METADATA/PKG-INFO; attribute RECORD-listed files."""
        packages: list[Package] = []
        gaps: list[Gap] = []
        sites: set[str] = set()
        meta_dirs: set[str] = set()
        for entry, data in captured_bytes(tree, METADATA_SELECTOR):
            try:
                pkg = self._package(entry, data)
            except MetadataError as exc:
                gaps.append(unparsable(entry.path, str(exc)))
                continue
            packages.append(pkg)
            sites.add(_site_dir(entry.path))
            meta_dirs.add(entry.path if entry.path.endswith(".egg-info") else parent(entry.path))
        identified: set[str] = set()
        for entry, data in captured_bytes(tree, FILES_SELECTOR):
            meta_dir = parent(entry.path)
            if meta_dir not in meta_dirs:
                continue
            is_record = entry.path.endswith("/RECORD")
            base = parent(meta_dir) if is_record else meta_dir
            for path in _record_paths(data, base, record=is_record):
                found = tree.get(path)
                if found is not None and found.is_regular:
                    identified.add(path)
        return CatalogResult(
            packages=tuple(packages),
            package_databases=tuple(sorted(sites)),
            identified_files=frozenset(identified),
            gaps=tuple(gaps),
        )

    def _package(self, entry: FileEntry, data: bytes) -> Package:
        fields = parse_metadata(data)
        names = fields.get("name")
        versions = fields.get("version")
        name = names[0] if names else ""
        version = versions[0] if versions else ""
        if not name or not version:
            missing = " and ".join(f for f, v in (("Name", name), ("Version", version)) if not v)
            raise MetadataError(f"no {missing} field in the metadata header")
        return Package(
            name=name,
            version=version,
            type=PackageType.PYTHON,
            purl=make_purl("pypi", pep503(name), version),
            locations=(location(entry),),
            found_by=self.name,
            licenses=licenses_of(fields),
        )
