"""``dir:PATH``: a root filesystem directory read as a file tree.

The walk never follows symlinks (they are recorded as symlink entries with their raw
target), opens regular files with ``O_NOFOLLOW`` and checks they are still regular files
once open, and turns anything it may not read into a coverage gap. Paths in the tree are
relative to the directory (``PATH/etc/os-release`` -> ``/etc/os-release``); ``layer`` is
``None`` throughout.

Kernel and runtime pseudo-filesystems mounted below PATH (``/proc``, ``/sys``, ``/dev``,
cgroups, ...) hold process state, not files an image or host installed: their mount point
is recorded, not descended into, and a ``virtual-filesystem`` coverage note says so.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from hardhull.errors import SourceError
from hardhull.model import FileEntry, FileKind, Gap, SourceInfo
from hardhull.sources.base import Selector, SourceOptions
from hardhull.sources.filetree import FileTree
from hardhull.sources.selecting import SelectorIndex, offer_file

_KINDS = {
    stat.S_IFREG: FileKind.FILE,
    stat.S_IFDIR: FileKind.DIR,
    stat.S_IFLNK: FileKind.SYMLINK,
    stat.S_IFCHR: FileKind.CHAR,
    stat.S_IFBLK: FileKind.BLOCK,
    stat.S_IFIFO: FileKind.FIFO,
}
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_VIRTUAL_FS = frozenset(
    {
        "autofs",
        "binfmt_misc",
        "bpf",
        "cgroup",
        "cgroup2",
        "configfs",
        "debugfs",
        "devpts",
        "devtmpfs",
        "efivarfs",
        "fusectl",
        "hugetlbfs",
        "mqueue",
        "nsfs",
        "proc",
        "pstore",
        "rpc_pipefs",
        "securityfs",
        "sysfs",
        "tracefs",
    }
)


def _mount_types() -> dict[int, str]:
    """Device number -> filesystem type of every mount, from ``/proc/self/mountinfo``."""
    try:
        text = Path("/proc/self/mountinfo").read_text()
    except OSError:
        return {}
    out: dict[int, str] = {}
    for line in text.splitlines():
        # id parent major:minor root mountpoint options [optional fields...] - fstype ...
        fields = line.split()
        try:
            major, minor = fields[2].split(":")
            out[os.makedev(int(major), int(minor))] = fields[fields.index("-") + 1]
        except (ValueError, IndexError):
            continue
    return out


def tree_from_directory(
    path: Path, selectors: Sequence[Selector], workdir: Path, options: SourceOptions
) -> tuple[SourceInfo, FileTree]:
    """Walk ``path`` into a :class:`FileTree`, offering regular files to ``selectors``."""
    try:
        st = os.stat(path)
    except FileNotFoundError as exc:
        raise SourceError(f"dir {path}: no such directory") from exc
    except OSError as exc:
        raise SourceError(f"dir {path}: cannot access ({exc.strerror})") from exc
    if not stat.S_ISDIR(st.st_mode):
        raise SourceError(f"dir {path}: not a directory")
    entries: dict[str, FileEntry] = {}
    captures: dict[str, dict[str, object]] = {}
    gaps: list[Gap] = []
    stack: list[tuple[str, str, int]] = [(os.fspath(path), "", st.st_dev)]
    index = SelectorIndex(selectors)
    mounts: dict[int, str] | None = None
    while stack:
        real_dir, rel_dir, dev = stack.pop()
        try:
            with os.scandir(real_dir) as it:
                children = list(it)
        except OSError as exc:
            gaps.append(
                Gap("unreadable-file", rel_dir or "/", f"cannot list directory: {exc.strerror}")
            )
            continue
        for child in children:
            rel = f"{rel_dir}/{child.name}"
            try:
                cst = child.stat(follow_symlinks=False)
            except OSError as exc:
                gaps.append(Gap("unreadable-file", rel, f"cannot stat: {exc.strerror}"))
                continue
            fmt = stat.S_IFMT(cst.st_mode)
            kind = _KINDS.get(fmt)
            if kind is None:  # sockets, doors: nothing to catalog
                continue
            link: str | None = None
            if kind is FileKind.SYMLINK:
                try:
                    link = os.readlink(child.path)
                except OSError as exc:
                    gaps.append(Gap("unreadable-file", rel, f"cannot read link: {exc.strerror}"))
            entry = FileEntry(
                rel,
                kind,
                stat.S_IMODE(cst.st_mode),
                cst.st_size if kind is FileKind.FILE else 0,
                None,
                cst.st_uid,
                cst.st_gid,
                link,
            )
            entries[rel] = entry
            if kind is FileKind.DIR:
                if cst.st_dev != dev:  # a mount point: do not walk kernel pseudo-filesystems
                    if mounts is None:
                        mounts = _mount_types()
                    fstype = mounts.get(cst.st_dev, "")
                    if fstype in _VIRTUAL_FS:
                        gaps.append(
                            Gap(
                                "virtual-filesystem",
                                rel,
                                f"{fstype} mount: runtime state, not read",
                            )
                        )
                        continue
                stack.append((child.path, rel, cst.st_dev))
            elif kind is FileKind.FILE:
                matched = index.matching(entry)
                if matched:
                    _offer(entry, child.path, matched, workdir, captures, gaps)
    info = SourceInfo(scheme="dir", target=str(path), name=path.name or str(path))
    # no layers: what keep_deleted selectors saw is the final captures (layer "")
    history = {
        s.name: tuple(("", p, v) for p, v in sorted(captures.get(s.name, {}).items()))
        for s in selectors
        if s.keep_deleted
    }
    return info, FileTree(entries, captures, layers=(), gaps=tuple(gaps), history=history)


def _offer(
    entry: FileEntry,
    real: str,
    matched: Sequence[Selector],
    workdir: Path,
    captures: dict[str, dict[str, object]],
    gaps: list[Gap],
) -> None:
    try:
        fd = os.open(real, _OPEN_FLAGS)
    except OSError as exc:
        gaps.append(Gap("unreadable-file", entry.path, f"cannot open: {exc.strerror}"))
        return
    with os.fdopen(fd, "rb") as fh:
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                gaps.append(Gap("unreadable-file", entry.path, "changed while being read"))
                return
            found, file_gaps = offer_file(entry, matched, fh, workdir)
        except (OSError, SourceError) as exc:
            gaps.append(Gap("unreadable-file", entry.path, f"cannot read: {exc}"))
            return
    for name, value in found:
        captures.setdefault(name, {})[entry.path] = value
    gaps.extend(file_gaps)
