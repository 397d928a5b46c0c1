"""Binary drift: a container executes a file its image did not ship (or that changed).

For each ``execve``/``execveat`` of a container (host processes are not checked):

1. an allow-list entry selecting the workload and matching the path -> allowed;
2. no image index yet (being built, or the image cannot be read) -> *unknown*, counted
   (and, with ``proc.is_exe_upper_layer`` true, still drift: the sensor saw the file
   written after start);
3. the path (symlinks resolved inside the image) is not a regular file of the image ->
   drift, ``not in image``;
4. ``proc.is_exe_upper_layer`` true (the sensor knows the file lives in the container's
   writable layer) -> drift, ``modified after start``;
5. otherwise, when ``/proc/<pid>`` still shows the process, the executed file is
   examined read-only (opened, ``fstat``-ed and, when the index has a digest, hashed;
   never executed) and compared with the index: mode, size, an mtime after the container
   started, or the digest differing -> drift, ``changed``. A file that cannot be examined
   counts as *unverified* and is not reported.

Nothing here raises on bad events: what cannot be checked is counted.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hardhull.model.event import Alert, AlertKind, ContainerInfo, Event, Priority
from hardhull.runtime.drift_allow import DriftAllowList
from hardhull.runtime.imageindex import ImageIndex, IndexEntry

EXEC_TYPES = frozenset({"execve", "execveat"})
RULE_NAME = "Binary Drift Detected"
UNKNOWN_RULE_NAME = "Binary Drift Unknown"
DRIFT_TAGS = ("container", "process", "drift", "mitre_persistence", "T1505")
_MAX_VERDICTS = 4096
_CHUNK = 1024 * 1024

IndexFor = Callable[[ContainerInfo], ImageIndex | None]


@dataclass(frozen=True, slots=True)
class DriftStats:
    """``checks``: container execs examined; each ends in exactly one of ``drift``,
    ``clean``, ``unknown`` (no index), ``allowed``, ``no_path`` (no usable
    ``proc.exepath``) or ``errors``. ``unverified``: clean by path but the file could not
    be examined through /proc. ``host_skipped``: host execs, not checked. ``failed_exec``:
    execs that failed (nothing ran), not checked."""

    checks: int = 0
    drift: int = 0
    clean: int = 0
    unknown: int = 0
    allowed: int = 0
    no_path: int = 0
    errors: int = 0
    unverified: int = 0
    host_skipped: int = 0
    failed_exec: int = 0


def _started_ns(container: ContainerInfo) -> int:
    """``started_at`` in ns (values that look like seconds are scaled)."""
    value = container.started_at
    if 0 < value < 10**11:
        return value * 1_000_000_000
    return value


class DriftDetector:
    """Checks exec events against their container image's file index."""

    def __init__(
        self,
        index_for: IndexFor,
        allow: DriftAllowList | None = None,
        *,
        priority: Priority = Priority.CRITICAL,
        rule_name: str = RULE_NAME,
        verify_proc: bool = True,
        proc_root: str = "/proc",
        report_unknown: bool = False,
        max_hash_bytes: int = 256 * 1024 * 1024,
    ) -> None:
        self._index_for = index_for
        self._allow = allow or DriftAllowList()
        self.priority = priority
        self.rule_name = rule_name
        self._verify = verify_proc
        self._proc = proc_root
        self._report_unknown = report_unknown
        self._max_hash = max_hash_bytes
        self._verdicts: OrderedDict[tuple[Any, ...], str | None] = OrderedDict()
        self._c: dict[str, int] = dict.fromkeys(DriftStats.__slots__, 0)

    def stats(self) -> DriftStats:
        return DriftStats(**self._c)

    def check(self, event: Event) -> Alert | None:
        """A drift :class:`Alert` for a container exec that drifted, else ``None``."""
        if event.type not in EXEC_TYPES:
            return None
        container = event.container
        if container is None or container.id in ("host", ""):
            self._c["host_skipped"] += 1
            return None
        res = event.fields.get("evt.rawres")
        if isinstance(res, int) and res < 0:
            # a failed exec (PATH search, missing file) ran nothing
            self._c["failed_exec"] += 1
            return None
        self._c["checks"] += 1
        try:
            return self._check(event, container)
        except Exception:  # never let one odd event stop the stream
            self._c["errors"] += 1
            return None

    def _check(self, event: Event, container: ContainerInfo) -> Alert | None:
        fields = event.fields
        path = fields.get("proc.exepath")
        if not isinstance(path, str) or not path.startswith("/"):
            # memfd: and other non-file executables are Falco's fileless rule's business
            self._c["no_path"] += 1
            return None
        if self._allow.allows(container, path):
            self._c["allowed"] += 1
            return None
        upper = fields.get("proc.is_exe_upper_layer") is True
        index = self._index_for(container)
        if index is None:
            if upper:
                return self._drift(event, container, path, "written after the container started")
            self._c["unknown"] += 1
            if self._report_unknown:
                return self._alert(
                    event,
                    container,
                    path,
                    "drift unknown: the image index is not available yet",
                    UNKNOWN_RULE_NAME,
                    Priority.INFORMATIONAL,
                )
            return None
        entry = index.lookup(path)
        if entry is None:
            return self._drift(event, container, path, "not in image")
        if upper:
            return self._drift(event, container, path, "modified after the container started")
        if self._verify:
            pid = fields.get("proc.pid")
            if isinstance(pid, int) and pid > 0:
                verdict = self._examine(pid, path, entry, container, index)
                if verdict == "":
                    self._c["unverified"] += 1
                elif verdict is not None:
                    return self._drift(event, container, path, verdict)
        self._c["clean"] += 1
        return None

    def _examine(
        self, pid: int, path: str, entry: IndexEntry, container: ContainerInfo, index: ImageIndex
    ) -> str | None:
        """``None`` same as the image, a reason when changed, ``""`` when not examinable."""
        fd = self._open_exe(pid, path, index)
        if fd < 0:
            return ""
        try:
            st = os.fstat(fd)
            cache_key = (container.id, path, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
            cached = self._verdicts.get(cache_key, "")
            if cached != "":
                self._verdicts.move_to_end(cache_key)
                return cached
            verdict = self._compare(fd, st, entry, container)
        finally:
            os.close(fd)
        self._verdicts[cache_key] = verdict
        if len(self._verdicts) > _MAX_VERDICTS:
            self._verdicts.popitem(last=False)
        return verdict

    def _compare(
        self, fd: int, st: os.stat_result, entry: IndexEntry, container: ContainerInfo
    ) -> str | None:
        if not stat.S_ISREG(st.st_mode):
            return "changed: not a regular file"
        if st.st_size != entry.size:
            return f"changed: size {st.st_size} (image: {entry.size})"
        if stat.S_IMODE(st.st_mode) != entry.mode:
            return f"changed: mode {stat.S_IMODE(st.st_mode):o} (image: {entry.mode:o})"
        started = _started_ns(container)
        if started and st.st_mtime_ns > started:
            return "changed: modified after the container started"
        if entry.digest is not None and st.st_size <= self._max_hash:
            h = hashlib.sha256()
            while data := os.read(fd, _CHUNK):
                h.update(data)
            if f"sha256:{h.hexdigest()}" != entry.digest:
                return "changed: content differs from the image"
        return None

    def _open_exe(self, pid: int, path: str, index: ImageIndex) -> int:
        """A read-only fd of the file ``pid`` executes, when ``/proc/<pid>/exe`` still
        names ``path`` (or a path the image resolves to the same file); -1 otherwise
        (process gone, exec'd something else since, no permission)."""
        link = f"{self._proc}/{pid}/exe"
        try:
            current = os.readlink(link)
        except OSError:
            return -1
        if current.endswith(" (deleted)"):
            current = current[: -len(" (deleted)")]
        if current != path and index.resolve(current) != index.resolve(path):
            return -1
        try:
            fd = os.open(link, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            return -1
        return fd

    def _drift(self, event: Event, container: ContainerInfo, path: str, reason: str) -> Alert:
        self._c["drift"] += 1
        return self._alert(event, container, path, reason, self.rule_name, self.priority)

    def _alert(
        self,
        event: Event,
        container: ContainerInfo,
        path: str,
        reason: str,
        rule: str,
        priority: Priority,
    ) -> Alert:
        digest = container.image_digest or container.image_id or "<NA>"
        args = event.fields.get("proc.args")
        cmdline = " ".join((path.rsplit("/", 1)[-1], *args)) if isinstance(args, tuple) else ""
        output = (
            f"Executable drift: {path} {reason} | proc_exepath={path} command={cmdline} "
            f"container_id={container.id} container_name={container.name or '<NA>'} "
            f"image={container.image or '<NA>'} image_digest={digest}"
        )
        return Alert(
            rule=rule,
            priority=priority,
            output=output,
            event=event,
            kind=AlertKind.DRIFT,
            tags=DRIFT_TAGS,
            output_fields={
                "proc.exepath": path,
                "drift.reason": reason,
                "container.id": container.id,
                "container.name": container.name,
                "container.image.digest": digest,
            },
        )
