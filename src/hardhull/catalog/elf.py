"""A small ELF reader: header, program headers, section headers, reads by offset or address.

Only what the binary cataloger needs (ELF spec, System V gABI). Every offset and count is
checked against the file size, so a truncated or corrupt file raises :class:`ElfError`
instead of reading garbage or allocating without bound.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Protocol

from hardhull.errors import CatalogError

ELF_MAGIC = b"\x7fELF"
EHDR_SIZE = 64  # enough for both classes (ELF32 needs 52)

ET_EXEC = 2
ET_DYN = 3
PT_LOAD = 1
PT_INTERP = 3
PF_X = 1
PF_W = 2
SHT_NOBITS = 8

_MAX_PHNUM = 4096
_MAX_SHNUM = 65536
_MAX_READ = 64 * 1024 * 1024


class ElfError(CatalogError, ValueError):
    """The file is not a well-formed ELF file (truncated, corrupt header, bad offsets)."""


@dataclass(frozen=True, slots=True)
class Segment:
    """One program header."""

    type: int
    flags: int
    offset: int
    vaddr: int
    filesz: int


@dataclass(frozen=True, slots=True)
class Section:
    """One section header, with its name resolved."""

    name: str
    type: int
    addr: int
    offset: int
    size: int


@dataclass(frozen=True, slots=True)
class ElfHeader:
    """The identification and header fields hardhull uses."""

    bits: int
    big_endian: bool
    type: int
    machine: int
    phoff: int
    shoff: int
    phentsize: int
    phnum: int
    shentsize: int
    shnum: int
    shstrndx: int


def parse_header(head: bytes) -> ElfHeader:
    """Decode the ELF header from the first bytes of a file."""
    if len(head) < 52 or not head.startswith(ELF_MAGIC):
        raise ElfError("not an ELF file or header truncated")
    ei_class, ei_data = head[4], head[5]
    if ei_class not in (1, 2) or ei_data not in (1, 2):
        raise ElfError(f"bad ELF class/data bytes {ei_class}/{ei_data}")
    end = ">" if ei_data == 2 else "<"
    if ei_class == 2:
        if len(head) < 64:
            raise ElfError("ELF64 header truncated")
        fields = struct.unpack_from(end + "HHIQQQIHHHHHH", head, 16)
    else:
        fields = struct.unpack_from(end + "HHIIIIIHHHHHH", head, 16)
    e_type, machine, _ver, _entry, phoff, shoff, _flags, _ehsz = fields[:8]
    phentsize, phnum, shentsize, shnum, shstrndx = fields[8:]
    return ElfHeader(
        bits=64 if ei_class == 2 else 32,
        big_endian=ei_data == 2,
        type=e_type,
        machine=machine,
        phoff=phoff,
        shoff=shoff,
        phentsize=phentsize,
        phnum=phnum,
        shentsize=shentsize,
        shnum=shnum,
        shstrndx=shstrndx,
    )


class ByteSource(Protocol):
    """Random access to (possibly only parts of) a file's bytes."""

    def read_at(self, offset: int, n: int) -> bytes:
        """Exactly ``n`` bytes at ``offset``, or :class:`ElfError`."""
        ...


class ElfImage:
    """A parsed ELF file over a :class:`ByteSource` of known size."""

    def __init__(
        self, src: ByteSource, size: int, header: ElfHeader, *, names_optional: bool = False
    ) -> None:
        self._src = src
        self.size = size
        self.header = header
        self._names_optional = names_optional
        self.names_missing = False
        self.name_table: tuple[int, int] | None = None  # (offset, size) of .shstrtab
        self._end = ">" if header.big_endian else "<"
        self.segments = self._read_segments()
        self.sections = self._read_sections()

    def read_at(self, offset: int, n: int) -> bytes:
        """Exactly ``n`` bytes at file ``offset``; :class:`ElfError` if out of range."""
        if offset < 0 or n < 0 or offset + n > self.size or n > _MAX_READ:
            raise ElfError(f"read of {n} bytes at {offset} outside the {self.size}-byte file")
        return self._src.read_at(offset, n)

    def read_vaddr(self, addr: int, n: int) -> bytes | None:
        """``n`` bytes at virtual address ``addr`` from a loadable segment, if mapped."""
        for seg in self.segments:
            if seg.type == PT_LOAD and seg.vaddr <= addr < seg.vaddr + seg.filesz:
                avail = seg.vaddr + seg.filesz - addr
                if n > avail:
                    return None
                return self.read_at(seg.offset + addr - seg.vaddr, n)
        return None

    def section(self, name: str) -> Section | None:
        """The first section called ``name``."""
        for sec in self.sections:
            if sec.name == name:
                return sec
        return None

    def section_data(self, sec: Section, limit: int) -> bytes:
        """The content of ``sec`` (at most ``limit`` bytes); empty for NOBITS sections."""
        if sec.type == SHT_NOBITS:
            return b""
        return self.read_at(sec.offset, min(sec.size, limit))

    @property
    def has_interp(self) -> bool:
        """True when a PT_INTERP segment names a dynamic loader (a PIE or dynamic program)."""
        return any(seg.type == PT_INTERP for seg in self.segments)

    def first_data_segment(self) -> Segment | None:
        """The first writable, non-executable PT_LOAD segment (where Go keeps build info)."""
        for seg in self.segments:
            if seg.type == PT_LOAD and seg.flags & (PF_X | PF_W) == PF_W:
                return seg
        return None

    def _read_segments(self) -> tuple[Segment, ...]:
        h = self.header
        if h.phoff == 0 or h.phnum == 0:
            return ()
        if h.phnum > _MAX_PHNUM:
            raise ElfError(f"implausible program header count {h.phnum}")
        if h.bits == 64:
            fmt, need = self._end + "IIQQQQQQ", 56
        else:
            fmt, need = self._end + "IIIIIIII", 32
        if h.phentsize < need:
            raise ElfError(f"program header entry size {h.phentsize} too small")
        table = self.read_at(h.phoff, h.phentsize * h.phnum)
        out = []
        for i in range(h.phnum):
            v = struct.unpack_from(fmt, table, i * h.phentsize)
            if h.bits == 64:
                p_type, flags, offset, vaddr, _pa, filesz = v[:6]
            else:
                p_type, offset, vaddr, _pa, filesz, _memsz, flags = v[:7]
            out.append(Segment(p_type, flags, offset, vaddr, filesz))
        return tuple(out)

    def _read_sections(self) -> tuple[Section, ...]:
        h = self.header
        if h.shoff == 0:
            return ()
        if h.bits == 64:
            fmt, need = self._end + "IIQQQQ", 40
        else:
            fmt, need = self._end + "IIIIII", 24
        if h.shentsize < need:
            raise ElfError(f"section header entry size {h.shentsize} too small")
        shnum, shstrndx = h.shnum, h.shstrndx
        if shnum == 0 or shstrndx == 0xFFFF:  # extended numbering lives in section 0
            zero = self.read_at(h.shoff, need)
            raw0 = struct.unpack_from(fmt, zero, 0)
            if shnum == 0:
                shnum = raw0[5]
            if shstrndx == 0xFFFF:
                shstrndx = struct.unpack_from(self._end + "I", zero, 24 if h.bits == 32 else 40)[0]
        if shnum > _MAX_SHNUM:
            raise ElfError(f"implausible section count {shnum}")
        table = self.read_at(h.shoff, h.shentsize * shnum)
        raw = [struct.unpack_from(fmt, table, i * h.shentsize) for i in range(shnum)]
        names = b""
        if 0 < shstrndx < shnum and raw[shstrndx][1] != SHT_NOBITS:
            s = raw[shstrndx]
            self.name_table = (s[4], min(s[5], 1024 * 1024))
            try:
                names = self.read_at(*self.name_table)
            except ElfError:
                if not self._names_optional:
                    raise
                self.names_missing = True
        out = []
        for name_off, sh_type, _flags, addr, offset, size in raw:
            end = names.find(b"\0", name_off) if name_off < len(names) else -1
            name = names[name_off:end].decode("latin-1") if end >= 0 else ""
            out.append(Section(name, sh_type, addr, offset, size))
        return tuple(out)
