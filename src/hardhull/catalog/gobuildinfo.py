"""Go build information embedded in executables (what ``go version -m`` prints).

Layout (from the Go toolchain's ``debug/buildinfo`` and ``cmd/link``): a 32-byte header,
16-byte aligned, starting with the magic ``\\xff Go buildinf:``, then one byte of pointer
size and one flags byte. Since Go 1.18 the flags carry bit 2 ("inline") and the header is
followed by two uvarint-length-prefixed strings: the toolchain version and the module
info. Before 1.18 the header holds two pointers (virtual addresses) to Go string headers
``{data pointer, length}``; flags bit 1 means big-endian. The module info text is framed
by two 16-byte sentinels that are stripped before parsing.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from hardhull.errors import CatalogError

MAGIC = b"\xff Go buildinf:"
HEADER_SIZE = 32
ALIGN = 16
SEARCH_WINDOW = 64 * 1024
_MAX_STRING = 4 * 1024 * 1024
_FLAG_BIG_ENDIAN = 1
_FLAG_INLINE = 2

ReadVaddr = Callable[[int, int], bytes | None]


class BuildInfoError(CatalogError, ValueError):
    """Build info is present but malformed."""


@dataclass(frozen=True, slots=True)
class GoModule:
    """A module line (``mod``/``dep``) with its optional ``=>`` replacement."""

    path: str
    version: str
    sum: str = ""
    replace: GoModule | None = None


@dataclass(frozen=True, slots=True)
class GoBuildInfo:
    """Toolchain version, main package path, modules and build settings of a Go binary."""

    go_version: str
    path: str = ""
    main: GoModule | None = None
    deps: tuple[GoModule, ...] = ()
    settings: tuple[tuple[str, str], ...] = ()

    def setting(self, key: str) -> str | None:
        """The value of build setting ``key`` (``GOARCH``, ``-ldflags``, ``vcs.revision``)."""
        for k, v in self.settings:
            if k == key:
                return v
        return None

    def render(self) -> str:
        """The text Go 1.19's ``go version -m FILE`` prints after ``FILE: ``, byte for byte."""
        lines = [self.go_version]
        body: list[str] = []
        if self.path:
            body.append(f"path\t{self.path}")
        if self.main is not None:
            body.extend(_format_module("mod", self.main))
        for dep in self.deps:
            body.extend(_format_module("dep", dep))
        for key, value in self.settings:
            k = go_quote(key) if _needs_key_quote(key) else key
            v = go_quote(value) if _needs_value_quote(value) else value
            body.append(f"build\t{k}={v}")
        lines.extend("\t" + line for line in body)
        return "\n".join(lines) + "\n"


def _format_module(word: str, m: GoModule) -> list[str]:
    # Go 1.19's BuildInfo.String() shows an empty version as "(devel)" and ends a
    # replaced module with an extra newline; reproduced so the output compares exactly.
    version = m.version or "(devel)"
    if m.replace is None:
        return [f"{word}\t{m.path}\t{version}\t{m.sum}"]
    return [f"{word}\t{m.path}\t{version}", *_format_module("=>", m.replace), ""]


def _needs_key_quote(key: str) -> bool:
    return not key or any(c in key for c in '= \t\r\n"`')


def _needs_value_quote(value: str) -> bool:
    return any(c in value for c in ' \t\r\n"`')


_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
            "\v": "\\v", "\\": "\\\\", '"': '\\"'}  # fmt: skip


def go_quote(s: str) -> str:
    """Quote like Go's ``strconv.Quote`` for the characters build settings contain."""
    out = ['"']
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


_UNESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
              "\\": "\\", '"': '"', "'": "'"}  # fmt: skip


def go_unquote_prefix(s: str) -> tuple[str, int]:
    """Decode the Go double-quoted string at the start of ``s``: (value, characters used)."""
    if not s.startswith('"'):
        raise BuildInfoError("expected a quoted string")
    out: list[str] = []
    i = 1
    while i < len(s):
        ch = s[i]
        if ch == '"':
            return "".join(out), i + 1
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        esc = s[i + 1 : i + 2]
        if esc in _UNESCAPES:
            out.append(_UNESCAPES[esc])
            i += 2
        elif esc in ("x", "u", "U"):
            width = {"x": 2, "u": 4, "U": 8}[esc]
            digits = s[i + 2 : i + 2 + width]
            try:
                out.append(chr(int(digits, 16)))
            except ValueError as exc:
                raise BuildInfoError(f"bad escape in {s!r}") from exc
            i += 2 + width
        elif esc.isdigit():
            out.append(chr(int(s[i + 1 : i + 4], 8)))
            i += 4
        else:
            raise BuildInfoError(f"bad escape in {s!r}")
    raise BuildInfoError("unterminated quoted string")


def find_header(data: bytes) -> int:
    """Offset of the first 16-byte-aligned build info header in ``data``, or -1."""
    i = data.find(MAGIC)
    while i >= 0:
        if i % ALIGN == 0 and len(data) - i >= HEADER_SIZE:
            return i
        if len(data) - i < HEADER_SIZE:
            return -1
        i = data.find(MAGIC, i + 1)
    return -1


def _uvarint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(data) and shift < 64:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7
    raise BuildInfoError("truncated varint in build info")


def _inline_string(data: bytes, pos: int) -> tuple[bytes, int]:
    n, pos = _uvarint(data, pos)
    if n > _MAX_STRING or pos + n > len(data):
        raise BuildInfoError("build info string runs past its section")
    return data[pos : pos + n], pos + n


def decode_header(blob: bytes, read_vaddr: ReadVaddr) -> tuple[str, str]:
    """``(go version, module info text)`` from ``blob``, which starts at the header.

    ``read_vaddr(addr, n)`` reads mapped memory for the pre-1.18 pointer format.
    """
    if len(blob) < HEADER_SIZE or not blob.startswith(MAGIC):
        raise BuildInfoError("build info header truncated")
    ptr_size, flags = blob[14], blob[15]
    if flags & _FLAG_INLINE:
        vers, pos = _inline_string(blob, HEADER_SIZE)
        mod, _ = _inline_string(blob, pos)
    else:
        if ptr_size not in (4, 8):
            raise BuildInfoError(f"bad pointer size {ptr_size}")
        order = ">" if flags & _FLAG_BIG_ENDIAN else "<"
        code = order + ("I" if ptr_size == 4 else "Q")

        def read_string(ptr: int) -> bytes:
            hdr = read_vaddr(ptr, 2 * ptr_size)
            if hdr is None:
                raise BuildInfoError(f"string header at {ptr:#x} is not mapped")
            addr, length = (
                struct.unpack(code, hdr[:ptr_size])[0],
                struct.unpack(code, hdr[ptr_size:])[0],
            )
            if length > _MAX_STRING:
                raise BuildInfoError("build info string too long")
            if length == 0:
                return b""
            data = read_vaddr(addr, length)
            if data is None:
                raise BuildInfoError(f"string data at {addr:#x} is not mapped")
            return data

        vers = read_string(struct.unpack_from(code, blob, 16)[0])
        mod = read_string(struct.unpack_from(code, blob, 16 + ptr_size)[0])
    if not vers:
        raise BuildInfoError("empty Go version in build info")
    # strip the 16-byte sentinels that frame the text; without them there is none
    mod = mod[16:-16] if len(mod) >= 33 and mod[-17] == 0x0A else b""
    return vers.decode("utf-8", "replace"), mod.decode("utf-8", "replace")


def _module(fields: list[str], line: str) -> GoModule:
    if len(fields) not in (2, 3):
        raise BuildInfoError(f"malformed module line {line!r}")
    return GoModule(fields[0], fields[1], fields[2] if len(fields) == 3 else "")


def parse_modinfo(go_version: str, text: str) -> GoBuildInfo:
    """Parse the module info text (``path``/``mod``/``dep``/``=>``/``build`` lines)."""
    path = ""
    main: GoModule | None = None
    deps: list[GoModule] = []
    settings: list[tuple[str, str]] = []
    last: str | None = None  # "mod" or "dep": what a "=>" line replaces
    for line in text.splitlines():
        word, _, rest = line.partition("\t")
        if word == "path":
            path = rest
        elif word == "mod":
            main = _module(rest.split("\t"), line)
            last = "mod"
        elif word == "dep":
            deps.append(_module(rest.split("\t"), line))
            last = "dep"
        elif word == "=>":
            fields = rest.split("\t")
            if len(fields) != 3:
                raise BuildInfoError(f"malformed replacement line {line!r}")
            repl = GoModule(fields[0], fields[1], fields[2])
            if last == "mod" and main is not None:
                main = GoModule(main.path, main.version, "", repl)
            elif last == "dep" and deps:
                d = deps[-1]
                deps[-1] = GoModule(d.path, d.version, "", repl)
            else:
                raise BuildInfoError("replacement without a module line")
            last = None
        elif word == "build":
            settings.append(_setting(rest))
        elif word == "go" and not go_version:
            go_version = rest
    return GoBuildInfo(go_version, path, main, tuple(deps), tuple(settings))


def _setting(kv: str) -> tuple[str, str]:
    if kv.startswith('"'):
        key, used = go_unquote_prefix(kv)
        if kv[used : used + 1] != "=":
            raise BuildInfoError(f"malformed build setting {kv!r}")
        raw = kv[used + 1 :]
    elif "=" in kv:
        key, _, raw = kv.partition("=")
    else:
        raise BuildInfoError(f"malformed build setting {kv!r}")
    value = go_unquote_prefix(raw)[0] if raw.startswith('"') else raw
    return key, value


def read_buildinfo(region: bytes, read_vaddr: ReadVaddr) -> GoBuildInfo | None:
    """Find and decode build info in ``region`` (a section or data segment prefix).

    Returns ``None`` when there is no aligned header; raises :class:`BuildInfoError` when
    there is one but it cannot be decoded.
    """
    at = find_header(region)
    if at < 0:
        return None
    vers, mod = decode_header(region[at:], read_vaddr)
    return parse_modinfo(vers, mod)
