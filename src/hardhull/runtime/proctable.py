"""Process table (pid -> what it runs, its parent) and cgroup -> container id attribution.

The kernel sensors report a pid and its parent pid; rules want the parent chain
(``proc.ancestors``, from which ``proc.pname`` and ``proc.aname[n]`` derive) and the
image a process runs for non-exec events. :class:`ProcTable` is seeded from ``/proc`` at
start and kept current from exec, fork and exit events.

:func:`container_id_from_cgroup` parses the cgroup paths podman, Docker, containerd,
CRI-O and the kubelet create. :class:`CgroupResolver` maps the kernfs id the eBPF program
reports (the inode number of the cgroup directory) to a container id, walking the
cgroup hierarchy again when it meets an id it does not know.
"""

from __future__ import annotations

import os
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from hardhull.model.event import ContainerInfo, ProcInfo

_ID = r"([0-9a-f]{64})"
# (engine, pattern) tried on each path component, innermost first; group 1 is "conmon-"
# for the engine's monitor process (conmon), which is not inside the container.
_COMPONENT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("podman", re.compile(rf"^libpod-(conmon-)?{_ID}(?:\.scope)?$")),
    ("docker", re.compile(rf"^docker-(){_ID}\.scope$")),
    ("containerd", re.compile(rf"^cri-containerd-(){_ID}\.scope$")),
    ("cri-o", re.compile(rf"^crio-(conmon-)?{_ID}(?:\.scope)?$")),
)
POD_COMPONENT = re.compile(
    r"^(?:kubepods(?:-[a-z]+)?-)?pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\.slice)?$"
)
_BARE_ID = re.compile(rf"^{_ID}$")
# under a kubepods slice: a runtime this table does not name (``<prefix>-<id>.scope``)
_KUBE_ID = re.compile(rf"^(?:[a-z0-9_]+-)*(conmon-)?{_ID}(?:\.scope)?$")

HOST_ID = "host"


def parse_cgroup(path: str) -> tuple[str, str, bool] | None:
    """``(engine, full 64-hex id, monitor)`` for the cgroup path of a container process
    (``monitor``: the engine's conmon, outside the container), else None.

    Recognises podman (``libpod-<id>.scope``, ``libpod-conmon-<id>.scope``, cgroupfs
    ``/libpod_parent/libpod-<id>``), Docker (``docker-<id>.scope``, ``/docker/<id>``),
    containerd (``cri-containerd-<id>.scope``), CRI-O (``crio-<id>.scope``,
    ``crio-conmon-<id>.scope``) and the kubelet's slices (``/kubepods/<qos>/pod<uid>/<id>``
    and other ``...-<id>.scope`` leaves below ``kubepods``: engine ``kubernetes``, since
    the path does not name the runtime). The innermost match wins (a nested
    ``/container`` leaf is skipped)."""
    parts = [p for p in path.strip().split("/") if p]
    for i in range(len(parts) - 1, -1, -1):
        part = parts[i]
        for engine, pattern in _COMPONENT_PATTERNS:
            m = pattern.match(part)
            if m:
                return engine, m.group(2), bool(m.group(1))
        if i == 0:
            continue
        bare = _BARE_ID.match(part)
        if bare and parts[i - 1] == "docker":
            return "docker", bare.group(1), False
        if bare and parts[i - 1] == "libpod_parent":
            return "podman", bare.group(1), False
        if any(p.startswith("kubepods") or POD_COMPONENT.match(p) for p in parts[:i]):
            m = _KUBE_ID.match(part)
            if m:
                return "kubernetes", m.group(2), bool(m.group(1))
    return None


def container_id_from_cgroup(path: str) -> str:
    """The 64-hex container id in a cgroup path, or ``""`` for the host (and for conmon,
    the engine's monitor process, which is not inside the container)."""
    found = parse_cgroup(path)
    return found[1] if found is not None and not found[2] else ""


@lru_cache(maxsize=4096)
def container_info(full_id: str) -> ContainerInfo:
    """The minimal attribution a sensor knows; the enricher fills the rest."""
    if not full_id:
        return ContainerInfo(id=HOST_ID, name=HOST_ID)
    return ContainerInfo(id=full_id[:12], full_id=full_id)


def cgroup_of_pid(pid: int) -> str:
    """The container id of a live process from ``/proc/<pid>/cgroup`` (``""`` for the host
    or when the process is gone)."""
    try:
        text = Path(f"/proc/{pid}/cgroup").read_text()
    except OSError:
        return ""
    for line in text.splitlines():
        cid = container_id_from_cgroup(line.split(":", 2)[-1])
        if cid:
            return cid
    return ""


def cgroup_hierarchy() -> tuple[Path, int | None]:
    """(mount point, subsystem index) of the hierarchy to attribute by: the unified
    cgroup v2 mount (index ``None``), or on a v1 host the ``memory`` (else ``cpuset``,
    ``pids``) hierarchy with its index in ``/proc/cgroups`` (= the kernel's subsys id)."""
    root = Path("/sys/fs/cgroup")
    if (root / "cgroup.controllers").exists():
        return root, None
    names = [
        line.split()[0]
        for line in Path("/proc/cgroups").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    for want in ("memory", "cpuset", "pids"):
        if want in names and (root / want).is_dir():
            return root / want, names.index(want)
    return root, None


class CgroupResolver:
    """kernfs cgroup id -> full container id (``""`` = host), cached."""

    def __init__(self, root: Path, *, rescan_interval: float = 0.5) -> None:
        self.root = root
        self._ids: dict[int, str] = {}
        self._last_scan = 0.0
        self._interval = rescan_interval
        self.misses = 0
        self._scan()

    def _scan(self) -> None:
        """Rebuild the map: kernfs ids of deleted cgroups are reused (seen on this 6.18
        host within seconds), so entries are replaced, never only added."""
        self._last_scan = time.monotonic()
        ids: dict[int, str] = {}
        stack = [str(self.root)]
        while stack:
            top = stack.pop()
            try:
                entries = list(os.scandir(top))
            except OSError:
                continue
            for entry in entries:
                try:
                    if not entry.is_dir(follow_symlinks=False):
                        continue
                    ino = entry.inode()
                except OSError:
                    continue
                ids[ino] = container_id_from_cgroup(entry.path)
                stack.append(entry.path)
        self._ids = ids

    def resolve(self, cgid: int, pid: int) -> str:
        now = time.monotonic()
        if now - self._last_scan >= self._interval:
            self._scan()  # periodic refresh: bounds how long a reused id stays stale
        known = self._ids.get(cgid)
        if known is not None:
            return known
        if now - self._last_scan >= 0.05:
            self._scan()
            known = self._ids.get(cgid)
            if known is not None:
                return known
        self.misses += 1
        return cgroup_of_pid(pid)  # racy fallback: the process may be gone


@dataclass(frozen=True, slots=True)
class Entry:
    """What the table knows about one process."""

    info: ProcInfo
    ppid: int


class ProcTable:
    """pid -> :class:`Entry`, bounded (oldest entries go first past ``limit``)."""

    def __init__(self, *, limit: int = 65536) -> None:
        self._procs: OrderedDict[int, Entry] = OrderedDict()
        self._limit = limit

    def __len__(self) -> int:
        return len(self._procs)

    def seed_from_proc(self, proc: Path = Path("/proc")) -> None:
        for d in proc.iterdir():
            if d.name.isdigit():
                entry = read_proc_entry(int(d.name), proc)
                if entry is not None:
                    self._put(int(d.name), entry)

    def _put(self, pid: int, entry: Entry) -> None:
        self._procs[pid] = entry
        self._procs.move_to_end(pid)
        while len(self._procs) > self._limit:
            self._procs.popitem(last=False)

    def get(self, pid: int) -> Entry | None:
        return self._procs.get(pid)

    def process_fields(self, pid: int) -> dict[str, Any]:
        """``proc.exe``/``proc.args``/``proc.exepath`` of ``pid`` as the table knows it
        (empty when unknown): what events other than a successful exec carry, a failed
        exec included (it leaves the caller's image in place, as in libsinsp)."""
        entry = self._procs.get(pid)
        if entry is None:
            return {}
        info = entry.info
        out: dict[str, Any] = {"proc.exe": info.exe, "proc.args": info.args}
        if info.exepath:
            out["proc.exepath"] = info.exepath
        return out

    def exec(self, pid: int, ppid: int, info: ProcInfo) -> None:
        self._put(pid, Entry(info, ppid))

    def fork(self, parent: int, child: int) -> None:
        entry = self._procs.get(parent)
        if entry is not None:
            self._put(child, Entry(replace(entry.info, pid=child), parent))
        else:
            self._put(child, Entry(ProcInfo(pid=child), parent))

    def exit(self, pid: int) -> None:
        self._procs.pop(pid, None)

    def ancestors(self, ppid: int, depth: int = 16) -> tuple[ProcInfo, ...]:
        """Parent first; stops at an unknown pid, pid 0, or ``depth``."""
        chain: list[ProcInfo] = []
        pid = ppid
        seen: set[int] = set()
        while pid > 0 and len(chain) < depth and pid not in seen:
            seen.add(pid)
            entry = self._procs.get(pid)
            if entry is None:
                break
            chain.append(entry.info)
            pid = entry.ppid
        return tuple(chain)


def read_proc_entry(pid: int, proc: Path = Path("/proc")) -> Entry | None:
    """A live process's entry from ``/proc/<pid>`` (``None`` if it is gone)."""
    base = proc / str(pid)
    try:
        stat = (base / "stat").read_text()
        raw = (base / "cmdline").read_bytes()
    except OSError:
        return None
    lpar, rpar = stat.find("("), stat.rfind(")")
    if lpar < 0 or rpar < 0:
        return None
    name = stat[lpar + 1 : rpar]
    rest = stat[rpar + 2 :].split()
    ppid = int(rest[1]) if len(rest) > 1 and rest[1].isdigit() else 0
    argv = [a.decode(errors="replace") for a in raw.split(b"\0")[:-1]] if raw else []
    try:
        exepath = os.readlink(base / "exe")
    except OSError:
        exepath = ""
    info = ProcInfo(
        pid=pid,
        name=name,
        exe=argv[0] if argv else "",
        exepath=exepath,
        args=tuple(argv[1:]),
    )
    return Entry(info, ppid)
