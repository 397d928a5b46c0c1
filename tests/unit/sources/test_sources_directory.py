"""The ``dir:`` source: a real directory walked without following symlinks."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from tests.support.imagekit import IN_CI

from hardhull.errors import SourceError
from hardhull.model import FileKind
from hardhull.sources.base import Selector, SourceOptions
from hardhull.sources.directory import tree_from_directory


def _tree(root: Path, workdir: Path, *selectors: Selector):  # type: ignore[no-untyped-def]
    return tree_from_directory(root, selectors, workdir, SourceOptions())


@pytest.fixture
def rootfs(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text("ID=debian\n")
    (root / "usr" / "bin").mkdir(parents=True)
    tool = root / "usr" / "bin" / "tool"
    tool.write_bytes(b"\x7fELF" + b"\0" * 60)
    tool.chmod(0o755)
    (root / "bin").symlink_to("usr/bin")
    (root / "etc" / "escape").symlink_to("/../../../../etc/passwd")
    os.mkfifo(root / "etc" / "pipe")
    return root


def test_walk_records_kinds_and_relative_paths(rootfs: Path, tmp_path: Path) -> None:
    info, tree = _tree(rootfs, tmp_path)
    assert info.scheme == "dir"
    assert info.target == str(rootfs)
    osr = tree.get("/etc/os-release")
    assert osr is not None and osr.kind is FileKind.FILE and osr.size == 10 and osr.layer is None
    link = tree.get("/bin")
    assert link is not None and link.kind is FileKind.SYMLINK and link.link == "usr/bin"
    assert tree.get("/etc/pipe").kind is FileKind.FIFO  # type: ignore[union-attr]
    tool = tree.resolve("/bin/tool")
    assert tool is not None and tool.path == "/usr/bin/tool" and tool.is_executable
    # symlinks are never followed out of the root: the escape resolves to nothing
    assert tree.resolve("/etc/escape") is None
    assert tree.layers == ()


def test_selectors_capture_and_read(rootfs: Path, tmp_path: Path) -> None:
    def head(entry, stream, ctx):  # type: ignore[no-untyped-def]
        assert ctx.workdir == tmp_path
        return stream.read(4)

    cap = Selector("osr", lambda e: e.path == "/etc/os-release")
    elf = Selector("elf", lambda e: e.is_executable, read=head)
    _, tree = _tree(rootfs, tmp_path, cap, elf)
    assert tree.read_bytes("osr", "/etc/os-release") == b"ID=debian\n"
    assert tree.capture("elf", "/usr/bin/tool") == b"\x7fELF"
    # the symlinked directory is not walked twice and the fifo is never opened
    assert [e.path for e, _ in tree.captured("elf")] == ["/usr/bin/tool"]


def test_symlink_to_file_is_not_read(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    secret = tmp_path / "secret"
    secret.write_text("do not read")
    (root / "creds").symlink_to(secret)
    _, tree = _tree(root, tmp_path, Selector("all", lambda e: True))
    assert tree.get("/creds").kind is FileKind.SYMLINK  # type: ignore[union-attr]
    assert list(tree.captured("all")) == []


def test_too_large_and_failing_reader_become_gaps(rootfs: Path, tmp_path: Path) -> None:
    def boom(entry, stream, ctx):  # type: ignore[no-untyped-def]
        raise ValueError("cannot parse")

    small = Selector("small", lambda e: e.path == "/usr/bin/tool", max_size=10)
    bad = Selector("bad", lambda e: e.path == "/etc/os-release", read=boom)
    _, tree = _tree(rootfs, tmp_path, small, bad)
    kinds = {(g.kind, g.subject) for g in tree.gaps}
    assert ("too-large", "/usr/bin/tool") in kinds
    assert ("unreadable-file", "/etc/os-release") in kinds
    assert tree.capture("small", "/usr/bin/tool") is None


@contextmanager
def _as_nobody() -> Iterator[None]:
    """Drop the effective uid/gid to nobody for the block (root reads everything)."""
    if os.geteuid() != 0:
        yield
        return
    os.setegid(65534)
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


def test_unreadable_file_is_a_gap() -> None:
    base = Path(tempfile.mkdtemp(prefix="hardhull-unreadable-"))
    try:
        base.chmod(0o755)
        root = base / "root"
        (root / "etc").mkdir(parents=True)
        (root / "etc" / "os-release").write_text("ID=debian\n")
        (root / "etc" / "os-release").chmod(0)
        (root / "etc" / "secret").mkdir()
        (root / "etc" / "secret").chmod(0)
        for d in (root, root / "etc"):
            d.chmod(0o755)
        work = base / "work"
        work.mkdir()
        os.chown(work, 65534, 65534)
        with _as_nobody():
            _, tree = _tree(root, work, Selector("osr", lambda e: e.path == "/etc/os-release"))
        gaps = {(g.kind, g.subject) for g in tree.gaps}
        assert ("unreadable-file", "/etc/os-release") in gaps
        assert any(subject == "/etc/secret" for _, subject in gaps)
        assert tree.capture("osr", "/etc/os-release") is None
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_missing_or_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such directory"):
        _tree(tmp_path / "nope", tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(SourceError, match="not a directory"):
        _tree(tmp_path / "file", tmp_path)


def test_kernel_pseudo_filesystems_are_noted_not_walked(rootfs: Path, tmp_path: Path) -> None:
    proc = rootfs / "proc"
    proc.mkdir()
    mounted = subprocess.run(["mount", "-t", "proc", "proc", str(proc)], capture_output=True)
    if mounted.returncode != 0:
        msg = f"cannot mount proc here: {mounted.stderr.decode().strip()}"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    try:
        _, tree = _tree(rootfs, tmp_path)
    finally:
        subprocess.run(["umount", str(proc)], check=True)
    mount_point = tree.get("/proc")
    assert mount_point is not None and mount_point.kind is FileKind.DIR
    assert not any(e.path.startswith("/proc/") for e in tree.entries())
    assert [(g.kind, g.subject) for g in tree.gaps if g.kind == "virtual-filesystem"] == [
        ("virtual-filesystem", "/proc")
    ]
    assert tree.get("/etc/os-release") is not None  # the rest is walked as usual
