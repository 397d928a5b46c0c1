"""The CO-RE kernel sensor: a BPF program compiled by clang for this kernel's BTF, loaded
by a small libbpf loader (``bpf/hardhull-loader.c``) that streams fixed-layout binary
records from a BPF ring buffer through a pipe; :class:`CoreDecoder` turns them into
events. See docs/runtime-sensor.md for why and for the figures."""

from __future__ import annotations

import os
import platform
import select
import subprocess
import threading
import time
from collections.abc import Iterator

from hardhull.errors import SensorError
from hardhull.model.event import Event
from hardhull.runtime.proctable import CgroupResolver, ProcTable, cgroup_hierarchy
from hardhull.runtime.sensor.base import (
    SensorStats,
    decoder_stats,
    require_kernel_access,
    stop_child,
)
from hardhull.runtime.sensor.core_build import build
from hardhull.runtime.sensor.core_decode import ARGV_MAX, CoreDecoder

RINGBUF_BYTES = 32 << 20
"""The BPF ring buffer shared by all CPUs; a full buffer is counted as lost, per kind."""

READ_CHUNK = 1 << 20


def skipped_calls(programs: tuple[str, ...]) -> list[str]:
    """Syscall names from the loader's list of programs it did not load or attach
    (``tracepoint/syscalls/sys_enter_init_module``, ``fexit/__x64_sys_init_module``)."""
    names = set()
    for prog in programs:
        tail = prog.rsplit("/", 1)[-1]
        for prefix in ("sys_enter_", "sys_exit_", "__x64_sys_"):
            if tail.startswith(prefix):
                tail = tail[len(prefix) :]
        names.add(tail)
    return sorted(names)


class CoreSensor:
    """``events()`` yields until :meth:`close`; :meth:`start` builds (once per kernel,
    cached), loads and attaches, or raises :class:`SensorError` saying why."""

    name = "core"

    def __init__(self, *, start_timeout: float = 120.0, ringbuf_bytes: int = RINGBUF_BYTES) -> None:
        self._timeout = start_timeout
        self._ringbuf = ringbuf_bytes
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: list[str] = []
        self.table = ProcTable()
        self.decoder: CoreDecoder | None = None
        self.received = 0
        self.built_cached = False
        self._closed = False
        self._early: list[Event] = []

    def start(self) -> None:
        if platform.machine() != "x86_64":
            raise SensorError(
                f"the CO-RE sensor is built for x86_64 only, not {platform.machine()}"
            )
        require_kernel_access()
        built = build()
        self.built_cached = built.cached
        root, subsys = cgroup_hierarchy()
        self.table.seed_from_proc()
        resolver = CgroupResolver(root)
        cg = str(-1 if subsys is None else subsys)
        self._proc = subprocess.Popen(
            [str(built.loader), str(self._ringbuf), cg, str(os.getpid())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,
        )
        self.decoder = CoreDecoder(
            self.table, resolver.resolve, self_pids=frozenset({os.getpid(), self._proc.pid})
        )
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        assert self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                if self._proc.poll() is not None:
                    break
                continue
            chunk = os.read(fd, READ_CHUNK)
            if not chunk:
                break
            self._early.extend(self.decoder.feed(chunk))
            if self.decoder.ready:
                return
        code = self._proc.poll()
        self.close()
        if code is not None:
            raise SensorError("the BPF loader could not load the sensor: " + self._errors())
        raise SensorError("the BPF loader did not attach its programs in time")

    def _drain_stderr(self) -> None:
        proc = self._proc
        if proc is None or proc.stderr is None:
            return
        for raw in proc.stderr:
            line = raw.decode(errors="replace").rstrip()
            if line:
                self._stderr.append(line)
                del self._stderr[:-20]

    def _errors(self) -> str:
        time.sleep(0.1)
        msgs = [m for m in self._stderr if m.startswith("hardhull-loader")] or self._stderr
        return "; ".join(msgs[-3:]) or "no message"

    @property
    def pid(self) -> int:
        return self._proc.pid if self._proc else 0

    def events(self) -> Iterator[Event]:
        if self._proc is None:
            self.start()
        assert self._proc is not None and self._proc.stdout is not None
        assert self.decoder is not None
        early, self._early = self._early, []
        for first in early:
            self.received += 1
            yield first
        fd = self._proc.stdout.fileno()
        feed = self.decoder.feed
        while True:
            try:
                chunk = os.read(fd, READ_CHUNK)
            except OSError:
                chunk = b""
            if not chunk:
                break
            for ev in feed(chunk):
                self.received += 1
                yield ev
        self.decoder.finish()
        if not self._closed:
            raise SensorError("the BPF loader stopped unexpectedly: " + self._errors())

    def stats(self) -> SensorStats:
        d = self.decoder
        note = "core (CO-RE BPF, ring buffer)"
        if d is not None:
            by_kind = d.lost_by_kind()
            if by_kind:
                note += "; lost " + ",".join(f"{k}={v}" for k, v in sorted(by_kind.items()))
            if d.argv_truncated:
                note += f"; {d.argv_truncated} exec(s) with argv cut at {ARGV_MAX // 1024} KiB"
            if d.skipped:
                note += "; not attached: " + ",".join(skipped_calls(d.skipped))
        return decoder_stats(self.received, d, note)

    def close(self) -> None:
        self._closed = True
        stop_child(self._proc)
