"""Build the binary-cataloger fixtures with real toolchains, cached between test sessions.

Go: ``go build`` of ``tests/fixtures/catalog_bin/go/hello`` in a throw-away git work tree
(so vcs settings are stamped), offline through a file-based module proxy built here from
``goproxy/`` (GOSUMDB off; go.sum is produced by the build itself). Rust: ``rustc``, then
``objcopy --add-section .dep-v0=...`` with zlib-compressed JSON in the cargo-auditable
format, because cargo-auditable itself cannot be installed offline. Old Go build info
(before 1.18, pointer format): a C program laid out the same way, built by gcc.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tests.support.imagekit import require, run

from hardhull.model import FileEntry, FileKind
from hardhull.sources.base import ReadContext, Selector
from hardhull.sources.filetree import FileTree

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "catalog_bin"

PROXY_MODULES = {
    # (module path served, version): fixture folder
    ("example.org/colors", "v1.4.0"): "colors",
    ("example.org/shapesfork", "v0.2.1"): "shapesfork",
    ("example.org/shapes", "v0.2.0"): "shapesfork",
}

GO_VARIANTS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "hello-amd64": ({"GOARCH": "amd64"}, ()),
    "hello-stripped": ({"GOARCH": "amd64"}, ("-ldflags=-s -w",)),
    "hello-ldflags": ({"GOARCH": "amd64"}, ("-ldflags=-X main.version=v2.3.4",)),
    "hello-arm64": ({"GOARCH": "arm64"}, ()),
    "hello-386": ({"GOARCH": "386"}, ()),
    "hello-s390x": ({"GOARCH": "s390x"}, ()),
    "hello-pie": ({"GOARCH": "amd64"}, ("-buildmode=pie",)),
}


def _tree_hash() -> str:
    h = hashlib.sha256()
    for p in sorted(FIXTURES.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(FIXTURES)).encode())
            h.update(p.read_bytes())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()[:16]


def _write_proxy(root: Path) -> None:
    for (mod, ver), folder in PROXY_MODULES.items():
        src = FIXTURES / "goproxy" / folder
        vdir = root / mod / "@v"
        vdir.mkdir(parents=True, exist_ok=True)
        listing = vdir / "list"
        known = listing.read_text().split() if listing.exists() else []
        listing.write_text("\n".join([*known, ver]) + "\n")
        (vdir / f"{ver}.info").write_text(
            json.dumps({"Version": ver, "Time": "2023-05-01T12:00:00Z"})
        )
        # the fork's go.mod declares the path it replaces, as Go requires
        (vdir / f"{ver}.mod").write_text((src / "go.mod").read_text())
        with zipfile.ZipFile(vdir / f"{ver}.zip", "w") as zf:
            for f in sorted(src.iterdir()):
                zf.write(f, f"{mod}@{ver}/{f.name}")


def _git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_AUTHOR_DATE": "2024-01-02T15:04:05Z",
        "GIT_COMMITTER_DATE": "2024-01-02T15:04:05Z",
    }
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


@dataclass(frozen=True)
class GoBuilds:
    """Paths of the built Go binaries and ``go version -m`` output for each."""

    dir: Path
    expected: dict[str, str]

    def path(self, name: str) -> Path:
        return self.dir / name


def build_go(cache: Path) -> GoBuilds:
    """Build every Go variant (and the old-format C mimic) once per fixture change."""
    require("go", "git", "gcc")
    out = cache / f"go-{_tree_hash()}"
    done = out / "expected.json"
    if done.exists():
        return GoBuilds(out, json.loads(done.read_text()))
    if out.exists():
        shutil.rmtree(out)
    work = out / "work"
    shutil.copytree(FIXTURES / "go", work / "src")
    _write_proxy(work / "proxy")
    hello = work / "src" / "hello"
    _git(work / "src", "init", "-q")
    _git(work / "src", "add", ".")
    _git(work / "src", "commit", "-q", "-m", "fixture")
    env = {
        **os.environ,
        "GOPROXY": (work / "proxy").as_uri(),
        "GOSUMDB": "off",
        "GOFLAGS": "-mod=mod",
        "GOPATH": str(work / "gopath"),
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "0",
    }
    # resolve modules once (writes go.sum) and commit it, so the tree is clean for vcs
    subprocess.run(["go", "mod", "tidy"], cwd=hello, env=env, check=True, capture_output=True)
    _git(work / "src", "add", ".")
    _git(work / "src", "commit", "-q", "-m", "go.sum")
    expected: dict[str, str] = {}
    for name, (extra_env, flags) in GO_VARIANTS.items():
        target = out / name
        subprocess.run(
            ["go", "build", "-o", str(target), *flags, "."],
            cwd=hello,
            env={**env, **extra_env},
            check=True,
            capture_output=True,
        )
    sstripped = out / "hello-sstripped"
    sstripped.write_bytes(remove_section_headers((out / "hello-amd64").read_bytes()))
    sstripped.chmod(0o755)
    run("gcc", "-no-pie", "-O0", "-o", out / "oldgo", FIXTURES / "c" / "oldgo.c")
    for f in sorted(out.iterdir()):
        if f.is_file():
            text = run("go", "version", "-m", f).decode()
            expected[f.name] = text.split(": ", 1)[1]
    shutil.rmtree(work / "gopath", ignore_errors=True)  # read-only module cache files
    subprocess.run(["chmod", "-R", "u+w", str(work)], check=False)
    shutil.rmtree(work, ignore_errors=True)
    done.write_text(json.dumps(expected))
    return GoBuilds(out, expected)


def remove_section_headers(data: bytes) -> bytes:
    """Zero e_shoff/e_shnum/e_shstrndx of an ELF64 little-endian file (like ``sstrip``)."""
    b = bytearray(data)
    b[0x28:0x30] = bytes(8)  # e_shoff
    b[0x3C:0x40] = bytes(4)  # e_shnum, e_shstrndx
    return bytes(b)


@dataclass(frozen=True)
class RustBuilds:
    """A plain rustc binary and the same binary with a ``.dep-v0`` section."""

    plain: Path
    auditable: Path


def build_rust(cache: Path) -> RustBuilds:
    """``rustc`` the fixture, then add the cargo-auditable section with ``objcopy``."""
    require("rustc", "objcopy")
    out = cache / f"rust-{_tree_hash()}"
    plain, auditable = out / "hello-rust", out / "hello-rust-auditable"
    if auditable.exists():
        return RustBuilds(plain, auditable)
    out.mkdir(parents=True, exist_ok=True)
    run("rustc", "-O", "-o", plain, FIXTURES / "rust" / "hello.rs")
    blob = out / "dep-v0.bin"
    blob.write_bytes(zlib.compress((FIXTURES / "rust" / "dep-v0.json").read_bytes(), 9))
    run("objcopy", "--add-section", f".dep-v0={blob}", plain, auditable)
    return RustBuilds(plain, auditable)


class OneWay(io.RawIOBase):
    """A non-seekable view of a file, like a member streamed out of a compressed layer."""

    def __init__(self, f: BinaryIO) -> None:
        super().__init__()
        self._f = f

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._f.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def make_tree(
    files: dict[str, Path | bytes],
    selectors: tuple[Selector, ...],
    workdir: Path,
    *,
    mode: int = 0o755,
    seekable: bool = False,
    layer: str = "sha256:" + "ab" * 32,
) -> FileTree:
    """Apply ``selectors`` to ``{image path: file or bytes}`` the way a source would."""
    entries: dict[str, FileEntry] = {}
    captures: dict[str, dict[str, object]] = {s.name: {} for s in selectors}
    for path, src in files.items():
        data_path = src if isinstance(src, Path) else None
        size = data_path.stat().st_size if data_path else len(src)  # type: ignore[arg-type]
        entry = FileEntry(path, FileKind.FILE, mode, size, layer=layer)
        entries[path] = entry
        for sel in selectors:
            if not sel.match(entry):
                continue
            raw: BinaryIO = open(data_path, "rb") if data_path else io.BytesIO(src)  # type: ignore[arg-type]  # noqa: SIM115
            with raw:
                stream: BinaryIO = raw if seekable else io.BufferedReader(OneWay(raw))  # type: ignore[arg-type]
                ctx = ReadContext(workdir, sel.max_size)
                value = sel.read(entry, stream, ctx) if sel.read else stream.read()
            if value is not None:
                captures[sel.name][path] = value
    return FileTree(entries, captures)
