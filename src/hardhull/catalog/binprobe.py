"""The ``elf`` selector's reader: probe one executable for Go and Rust build metadata.

It runs for every file with an execute bit in every layer, in worker threads, so it is a
pure function that looks at four bytes before deciding anything: non-ELF files cost one
small read. ELF files need random access (section headers sit at the end), so the stream
is read with bounded memory (see :mod:`hardhull.catalog.elfstream`). The result is a small
frozen value; a truncated or corrupt ELF becomes a result with ``error`` set.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from hardhull.catalog.auditable import MAX_COMPRESSED, AuditableError, AuditInfo, decode_dep_v0
from hardhull.catalog.auditable import SECTION as DEP_SECTION
from hardhull.catalog.elf import (
    EHDR_SIZE,
    ELF_MAGIC,
    ET_DYN,
    ET_EXEC,
    ElfError,
    ElfImage,
    parse_header,
)
from hardhull.catalog.elfstream import KEEP, open_elf
from hardhull.catalog.gobuildinfo import (
    SEARCH_WINDOW,
    BuildInfoError,
    GoBuildInfo,
    read_buildinfo,
)
from hardhull.catalog.spool import TooLargeError, read_exactly
from hardhull.model import FileEntry
from hardhull.sources.base import ReadContext

_GO_SECTION = ".go.buildinfo"
_GO_REGION = 4 * 1024 * 1024 + SEARCH_WINDOW


@dataclass(frozen=True, slots=True)
class ElfProbe:
    """What the probe learned about one ELF file.

    ``error_kind`` is ``unreadable-file`` (truncated/corrupt: ``error`` says why) or
    ``too-large``; metadata that could not be decoded is reported in ``problems`` while
    the rest of the result stays usable.
    """

    elf_type: int = 0
    machine: int = 0
    bits: int = 0
    big_endian: bool = False
    has_interp: bool = False
    go: GoBuildInfo | None = None
    rust: AuditInfo | None = None
    error: str | None = None
    error_kind: str | None = None
    problems: tuple[str, ...] = ()

    def is_executable(self, path: str) -> bool:
        """A program rather than a library: ET_EXEC, or ET_DYN that is a PIE.

        ET_DYN covers shared objects too; one with a loader (PT_INTERP) or whose name is
        not ``*.so``/``*.so.N`` counts as a program. Unreadable ELF files count, so they
        are never silently dropped from coverage.
        """
        if self.error is not None:
            return True
        if self.elf_type == ET_EXEC:
            return True
        if self.elf_type == ET_DYN:
            name = path.rsplit("/", 1)[-1]
            return self.has_interp or not (name.endswith(".so") or ".so." in name)
        return False


def probe_elf(entry: FileEntry, stream: BinaryIO, ctx: ReadContext) -> ElfProbe | None:
    """Selector reader: ``None`` for non-ELF files, else an :class:`ElfProbe`."""
    return probe_stream(stream, ctx.max_size)


def probe_stream(stream: IO[bytes], limit: int, keep: int = KEEP) -> ElfProbe | None:
    """Probe ``stream`` (at most ``limit`` bytes; files over ``keep`` are streamed)."""
    head = read_exactly(stream, EHDR_SIZE)
    if not head.startswith(ELF_MAGIC):
        return None
    try:
        header = parse_header(head)
    except ElfError as exc:
        return ElfProbe(error=str(exc), error_kind="unreadable-file")
    base = ElfProbe(
        elf_type=header.type,
        machine=header.machine,
        bits=header.bits,
        big_endian=header.big_endian,
    )
    try:
        image = open_elf(stream, head, header, limit, keep)
        return _probe_image(image, base)
    except TooLargeError as exc:
        return _with(base, error=f"not examined: {exc}", error_kind="too-large")
    except (OSError, ValueError) as exc:  # ElfError is a ValueError
        return _with(base, error=str(exc), error_kind="unreadable-file")


def _with(base: ElfProbe, **changes: Any) -> ElfProbe:
    return dataclasses.replace(base, **changes)


def _probe_image(image: ElfImage, base: ElfProbe) -> ElfProbe:
    problems: list[str] = []
    go: GoBuildInfo | None = None
    rust: AuditInfo | None = None
    try:
        go = _read_go(image)
    except (BuildInfoError, ElfError) as exc:
        problems.append(f"Go build info: {exc}")
    dep = image.section(DEP_SECTION)
    if dep is not None:
        try:
            if dep.size > MAX_COMPRESSED:
                raise AuditableError(f"section of {dep.size} bytes is too large")
            rust = decode_dep_v0(image.section_data(dep, MAX_COMPRESSED))
        except (AuditableError, ElfError) as exc:
            problems.append(f"cargo-auditable data: {exc}")
    return _with(base, has_interp=image.has_interp, go=go, rust=rust, problems=tuple(problems))


def _read_go(image: ElfImage) -> GoBuildInfo | None:
    sec = image.section(_GO_SECTION)
    if sec is not None:
        region = image.section_data(sec, _GO_REGION)
    elif image.sections:
        return None  # section headers present and no build info section: not a Go binary
    else:
        # No section headers (sstrip, some packers): look where the Go linker puts it.
        seg = image.first_data_segment()
        if seg is None or seg.filesz == 0:
            return None
        region = image.read_at(seg.offset, min(seg.filesz, _GO_REGION, image.size - seg.offset))
    if not region:
        return None
    return read_buildinfo(region, image.read_vaddr)
