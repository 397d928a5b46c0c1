"""Read Java archives (jar/war/ear/...): manifests, ``pom.properties``, nested archives.

Only metadata is read, never classes. Nested archives (``BOOT-INF/lib/*.jar``,
``WEB-INF/lib/*.jar``, ``lib/*.jar``, any ``*.jar`` inside) are opened recursively, each
spooled with bounded memory into the scan's private work directory. Limits make a zip
bomb cost little: nesting depth, entries per archive, declared size and compression ratio
of each member read, and total bytes inflated per top-level archive. Hitting one is an
``unsafe-archive`` problem for that (nested) archive; the rest is still reported.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from hardhull.catalog.spool import CHUNK, random_access

ARCHIVE_SUFFIXES = (".jar", ".war", ".ear", ".par", ".sar", ".jpi", ".hpi", ".kar", ".nar")
_POM = re.compile(r"^META-INF/maven/([^/]+)/([^/]+)/pom\.properties$")
_MANIFEST = "META-INF/MANIFEST.MF"
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, struct.error,
               NotImplementedError, RuntimeError, KeyError)  # fmt: skip


@dataclass(frozen=True, slots=True)
class JarLimits:
    """Safety limits for one top-level archive and everything nested in it."""

    max_depth: int = 4
    max_archives: int = 2048
    max_entries: int = 65536
    max_total_bytes: int = 512 * 1024 * 1024
    max_member_bytes: int = 256 * 1024 * 1024
    max_metadata_bytes: int = 1024 * 1024
    max_ratio: int = 100
    ratio_floor: int = 1024 * 1024  # ratios are only judged for members larger than this


@dataclass(frozen=True, slots=True)
class PomProperties:
    """``META-INF/maven/<group>/<artifact>/pom.properties``."""

    group_id: str
    artifact_id: str
    version: str
    path: str


@dataclass(frozen=True, slots=True)
class ArchiveInfo:
    """Metadata of one archive. ``virtual_path`` is ``outer.jar:BOOT-INF/lib/inner.jar``."""

    virtual_path: str
    filename: str
    depth: int
    manifest: tuple[tuple[str, str], ...] = ()
    poms: tuple[PomProperties, ...] = ()

    def manifest_value(self, key: str) -> str | None:
        """A main-section manifest attribute (names compare case-insensitively)."""
        low = key.lower()
        for k, v in self.manifest:
            if k.lower() == low:
                return v
        return None


@dataclass(frozen=True, slots=True)
class JarScan:
    """Every archive found (the outer one first); problems as (kind, subject, detail)."""

    archives: tuple[ArchiveInfo, ...]
    problems: tuple[tuple[str, str, str], ...] = ()


def is_archive_name(name: str) -> bool:
    """True for the file names the Java cataloger reads."""
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def parse_manifest(data: bytes) -> tuple[tuple[str, str], ...]:
    """Main section of a manifest: ``Name: value`` lines, continuation lines start with a space."""
    pairs: list[list[str]] = []
    for raw in data.decode("utf-8", "replace").splitlines():
        if not raw.strip():
            if pairs:
                break  # end of the main section
            continue
        if raw.startswith(" ") and pairs:
            pairs[-1][1] += raw[1:]
            continue
        key, sep, value = raw.partition(":")
        if sep:
            pairs.append([key.strip(), value.strip()])
    return tuple((k, v) for k, v in pairs)


def parse_properties(data: bytes) -> dict[str, str]:
    """A Java ``.properties`` file (``=``/``:`` separators, ``#``/``!`` comments)."""
    out: dict[str, str] = {}
    lines = data.decode("latin-1").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        while line.endswith("\\") and i < len(lines):
            line = line[:-1] + lines[i].strip()
            i += 1
        if not line or line[0] in "#!":
            continue
        m = re.match(r"([^=:\s]+)\s*[=:\s]\s*(.*)$", line)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


@dataclass
class _Budget:
    left: int
    opened: int = 0
    archives: list[ArchiveInfo] = field(default_factory=list)
    problems: list[tuple[str, str, str]] = field(default_factory=list)


def _entry_count(f: IO[bytes], size: int) -> int | None:
    """Entries claimed by the end-of-central-directory record, before zipfile parses it."""
    tail_len = min(size, 65536 + 22)
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None
    total = int(struct.unpack_from("<H", tail, at + 10)[0])
    if total == 0xFFFF:  # zip64: the real count is in the zip64 record
        z64 = tail.rfind(b"PK\x06\x06", 0, at)
        if z64 >= 0 and z64 + 40 <= len(tail):
            return int(struct.unpack_from("<Q", tail, z64 + 32)[0])
    return total


def _read_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, budget: _Budget, limits: JarLimits
) -> bytes | str:
    """A member's bytes, or a string saying why reading it would be unsafe."""
    if info.file_size > cap:
        return f"{info.filename}: declares {info.file_size} bytes (limit {cap})"
    if (
        info.file_size > limits.ratio_floor
        and info.file_size > max(info.compress_size, 1) * limits.max_ratio
    ):
        return f"{info.filename}: compression ratio over {limits.max_ratio}:1"
    if info.file_size > budget.left:
        return f"{info.filename}: over the archive's {limits.max_total_bytes}-byte read budget"
    parts = []
    got = 0
    with zf.open(info) as member:
        while chunk := member.read(CHUNK):
            got += len(chunk)
            if got > info.file_size or got > cap:
                return f"{info.filename}: inflates past its declared size"
            parts.append(chunk)
    budget.left -= got
    return b"".join(parts)


def scan_archive(
    f: IO[bytes], size: int, path: str, workdir: Path | None, limits: JarLimits | None = None
) -> JarScan:
    """Read ``f`` (a seekable archive of ``size`` bytes found at ``path``)."""
    lim = limits or JarLimits()
    budget = _Budget(lim.max_total_bytes)
    _walk(f, size, path, path.rsplit("/", 1)[-1], 0, workdir, lim, budget)
    return JarScan(tuple(budget.archives), tuple(budget.problems))


def _walk(
    f: IO[bytes],
    size: int,
    vpath: str,
    filename: str,
    depth: int,
    workdir: Path | None,
    lim: JarLimits,
    budget: _Budget,
) -> None:
    try:
        count = _entry_count(f, size)
        if count is not None and count > lim.max_entries:
            budget.problems.append(
                ("unsafe-archive", vpath, f"{count} entries (limit {lim.max_entries})")
            )
            return
        f.seek(0)
        zf = zipfile.ZipFile(f)
    except _ZIP_ERRORS as exc:
        budget.problems.append(("unreadable-file", vpath, f"not a readable zip archive: {exc}"))
        return
    with zf:
        infos = zf.infolist()
        if len(infos) > lim.max_entries:
            budget.problems.append(("unsafe-archive", vpath, f"{len(infos)} entries"))
            return
        manifest: tuple[tuple[str, str], ...] = ()
        poms: list[PomProperties] = []
        nested: list[zipfile.ZipInfo] = []
        for info in infos:
            name = info.filename
            if info.is_dir():
                continue
            if name.upper() == _MANIFEST or (m := _POM.match(name)):
                try:
                    data = _read_member(zf, info, lim.max_metadata_bytes, budget, lim)
                except _ZIP_ERRORS as exc:
                    data = f"{name}: {exc}"
                if isinstance(data, str):
                    budget.problems.append(("unsafe-archive", vpath, data))
                elif name.upper() == _MANIFEST:
                    manifest = parse_manifest(data)
                else:
                    props = parse_properties(data)
                    poms.append(
                        PomProperties(
                            group_id=props.get("groupId", "") or m.group(1),  # type: ignore[union-attr]
                            artifact_id=props.get("artifactId", "") or m.group(2),  # type: ignore[union-attr]
                            version=props.get("version", ""),
                            path=name,
                        )
                    )
            elif is_archive_name(name):
                nested.append(info)
        budget.archives.append(ArchiveInfo(vpath, filename, depth, manifest, tuple(poms)))
        for info in nested:
            inner = f"{vpath}:{info.filename}"
            if depth + 1 > lim.max_depth:
                budget.problems.append(
                    ("unsafe-archive", inner, f"nested deeper than {lim.max_depth}")
                )
                continue
            _open_nested(zf, info, inner, depth + 1, workdir, lim, budget)


def _open_nested(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    vpath: str,
    depth: int,
    workdir: Path | None,
    lim: JarLimits,
    budget: _Budget,
) -> None:
    problem = None
    budget.opened += 1
    if budget.opened > lim.max_archives:
        if budget.opened == lim.max_archives + 1:  # say it once, then skip silently
            budget.problems.append(
                ("unsafe-archive", vpath, f"more than {lim.max_archives} nested archives")
            )
        return
    elif info.file_size > lim.max_member_bytes:
        problem = f"declares {info.file_size} bytes (limit {lim.max_member_bytes})"
    elif (
        info.file_size > lim.ratio_floor
        and info.file_size > max(info.compress_size, 1) * lim.max_ratio
    ):
        problem = f"compression ratio over {lim.max_ratio}:1"
    elif info.file_size > budget.left:
        problem = f"over the {lim.max_total_bytes}-byte read budget of the outer archive"
    if problem is not None:
        budget.problems.append(("unsafe-archive", vpath, problem))
        return
    try:
        with zf.open(info) as member:
            capped = _Capped(member, info.file_size, budget)
            with random_access(capped, b"", workdir, info.file_size) as (g, size):  # type: ignore[arg-type]
                _walk(g, size, vpath, info.filename.rsplit("/", 1)[-1], depth, workdir, lim, budget)
    except _ZIP_ERRORS as exc:
        budget.problems.append(("unreadable-file", vpath, f"{type(exc).__name__}: {exc}"))
    except Exception as exc:  # TooLargeError and friends: never let one member end the scan
        budget.problems.append(("unsafe-archive", vpath, str(exc)))


class _Capped:
    """A non-seekable reader that charges what it reads to the archive's budget."""

    def __init__(self, member: IO[bytes], declared: int, budget: _Budget) -> None:
        self._m = member
        self._left = declared
        self._budget = budget

    def seekable(self) -> bool:
        return False

    def read(self, n: int = -1) -> bytes:
        want = CHUNK if n < 0 else min(n, CHUNK)
        data = self._m.read(want)
        self._budget.left -= len(data)
        self._left -= len(data)
        if self._left < 0 or self._budget.left < 0:
            raise ValueError("nested archive inflates past its declared size or the budget")
        return data
