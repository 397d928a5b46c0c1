"""Build the CO-RE sensor: ``vmlinux.h`` from the kernel's BTF (bpftool), the BPF object
(clang -O2 -g -target bpf), its skeleton (bpftool gen skeleton) and the loader (cc, linked
with libbpf). Outputs live in ``~/.cache/hardhull/bpf/<key>/``, keyed by a hash of the
sources and of ``/sys/kernel/btf/vmlinux``, so a build happens once per kernel and source
version; a failed build raises :class:`SensorError` naming the missing tool or the
compiler's first error lines."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from hardhull.errors import SensorError

SOURCES = Path(__file__).with_name("bpf")
BPF_SOURCE = SOURCES / "hardhull.bpf.c"
LOADER_SOURCE = SOURCES / "hardhull-loader.c"
VMLINUX_BTF = Path("/sys/kernel/btf/vmlinux")
TOOLS = {
    "clang": "clang (Debian package clang)",
    "bpftool": "bpftool (Debian package bpftool)",
}


@dataclass(frozen=True, slots=True)
class Built:
    """The loader executable (with the BPF object embedded through its skeleton)."""

    loader: Path
    key: str
    cached: bool


def cache_root() -> Path:
    """``bpf/`` in hardhull's user cache directory (as the vulnerability database and the
    drift image indexes use it)."""
    return Path(platformdirs.user_cache_dir("hardhull", appauthor=False)) / "bpf"


def _which(name: str) -> str:
    found = shutil.which(name) or (
        f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else ""
    )
    if not found:
        raise SensorError(f"{TOOLS.get(name, name)} is not installed", hint="run `make setup`")
    return found


def build_key() -> str:
    h = hashlib.sha256()
    for src in (BPF_SOURCE, LOADER_SOURCE):
        h.update(src.read_bytes())
    try:
        h.update(VMLINUX_BTF.read_bytes())
    except OSError as exc:
        raise SensorError(
            f"the kernel has no readable BTF ({VMLINUX_BTF}: {exc.strerror})"
        ) from None
    return h.hexdigest()[:20]


def _run(cmd: list[str], what: str, cwd: Path, stdout: Path | None = None) -> None:
    try:
        if stdout is not None:
            with stdout.open("wb") as out:
                res = subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.PIPE, check=False)
        else:
            res = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise SensorError(f"{what}: cannot run {cmd[0]} ({exc.strerror})") from None
    if res.returncode != 0:
        err = res.stderr.decode(errors="replace").strip().splitlines()
        first = [line for line in err if "error" in line.lower()][:3] or err[-3:]
        raise SensorError(f"{what} failed: " + " | ".join(first))


def _libbpf_flags() -> list[str]:
    if not Path("/usr/include/bpf/libbpf.h").exists():
        raise SensorError("libbpf headers are missing (Debian package libbpf-dev)")
    pc = shutil.which("pkg-config")
    if pc:
        res = subprocess.run([pc, "--libs", "libbpf"], capture_output=True, text=True, check=False)
        if res.returncode == 0 and res.stdout.strip():
            return res.stdout.split()
    return ["-lbpf", "-lelf", "-lz"]


def build(*, root: Path | None = None) -> Built:
    """Build (or reuse) the sensor for this kernel; raises :class:`SensorError`."""
    key = build_key()
    out = (root or cache_root()) / key
    loader = out / "hardhull-loader"
    if loader.is_file() and os.access(loader, os.X_OK):
        return Built(loader, key, cached=True)
    clang = _which("clang")
    bpftool = _which("bpftool")
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        raise SensorError("no C compiler for the loader (Debian package gcc)")
    libs = _libbpf_flags()
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=out.parent))
    try:
        _run(
            [bpftool, "btf", "dump", "file", str(VMLINUX_BTF), "format", "c"],
            "bpftool btf dump",
            work,
            stdout=work / "vmlinux.h",
        )
        _run(
            [
                clang,
                "-O2",
                "-g",
                "-target",
                "bpf",
                "-D__TARGET_ARCH_x86",
                "-I",
                str(work),
                "-c",
                str(BPF_SOURCE),
                "-o",
                str(work / "hardhull.bpf.o"),
            ],
            "clang -target bpf",
            work,
        )
        _run(
            [bpftool, "gen", "skeleton", str(work / "hardhull.bpf.o")],
            "bpftool gen skeleton",
            work,
            stdout=work / "hardhull.skel.h",
        )
        _run(
            [
                cc,
                "-O2",
                "-Wall",
                "-I",
                str(work),
                "-o",
                str(work / "hardhull-loader"),
                str(LOADER_SOURCE),
                *libs,
            ],
            "building the loader",
            work,
        )
        (work / "vmlinux.h").unlink()  # 2.8 MB, only needed to compile
        try:
            work.rename(out)
        except OSError:  # another process built it meanwhile
            shutil.rmtree(work, ignore_errors=True)
        return Built(loader, key, cached=False)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
