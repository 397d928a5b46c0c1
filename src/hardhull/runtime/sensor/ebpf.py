"""The kernel sensor: the generated bpftrace program run as a child process, its
``-f json`` lines decoded into events. See docs/runtime-sensor.md for why bpftrace."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from hardhull.errors import SensorError
from hardhull.model.event import Event
from hardhull.runtime.proctable import CgroupResolver, ProcTable, cgroup_hierarchy
from hardhull.runtime.sensor.base import (
    SensorStats,
    decoder_stats,
    require_kernel_access,
    stop_child,
)
from hardhull.runtime.sensor.ebpf_decode import Decoder
from hardhull.runtime.sensor.ebpf_script import STRLEN, build_script

PERF_RB_PAGES = 1024
"""Per-CPU perf buffer pages for bpftrace (4 MiB each); fewer means earlier loss."""


class EbpfSensor:
    """``events()`` yields until :meth:`close`; :meth:`start` blocks until the probes are
    attached (bpftrace compiles for several seconds) or raises :class:`SensorError`."""

    name = "bpftrace"

    def __init__(self, *, bpftrace: str | None = None, start_timeout: float = 90.0) -> None:
        self._bpftrace = bpftrace or shutil.which("bpftrace") or ""
        self._timeout = start_timeout
        self._proc: subprocess.Popen[str] | None = None
        self._script: Path | None = None
        self._stderr: list[str] = []
        self.table = ProcTable()
        self.decoder: Decoder | None = None
        self.received = 0
        self.skipped_syscalls: tuple[str, ...] = ()
        self._closed = False
        self._early: list[Event] = []

    def start(self) -> None:
        if not self._bpftrace:
            raise SensorError("bpftrace is not installed", hint="run `make setup`")
        require_kernel_access()
        root, subsys = cgroup_hierarchy()
        script, self.skipped_syscalls = build_script(subsys)
        fd, name = tempfile.mkstemp(prefix="hardhull-sensor-", suffix=".bt")
        with os.fdopen(fd, "w") as fh:
            fh.write(script)
        self._script = Path(name)
        self.table.seed_from_proc()
        resolver = CgroupResolver(root)
        env = dict(
            os.environ,
            BPFTRACE_STRLEN=str(STRLEN),
            BPFTRACE_PERF_RB_PAGES=str(PERF_RB_PAGES),
            BPFTRACE_MAP_KEYS_MAX="65536",
        )
        # bpftrace block-buffers stdout into a pipe; stdbuf makes it flush every line
        stdbuf = shutil.which("stdbuf")
        prefix = [stdbuf, "-oL"] if stdbuf else []
        self._proc = subprocess.Popen(
            [*prefix, self._bpftrace, "-f", "json", str(self._script), str(os.getpid())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="latin-1",
            env=env,
            bufsize=1 << 16,
        )
        self.decoder = Decoder(
            self.table, resolver.resolve, self_pids=frozenset({os.getpid(), self._proc.pid})
        )
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        deadline = time.monotonic() + self._timeout
        assert self._proc.stdout is not None
        while time.monotonic() < deadline:
            line = self._proc.stdout.readline()
            if not line:
                self._proc.wait()
                raise SensorError("bpftrace could not load the sensor program: " + self._errors())
            if '"attached_probes"' in line:
                if self._wait_live(deadline):
                    return
                break
            self._keep(self.decoder.line(line))
        self.close()
        raise SensorError("bpftrace did not attach its probes in time")

    def _keep(self, ev: Event | None) -> None:
        if ev is not None:
            self._early.append(ev)

    def _wait_live(self, deadline: float) -> bool:
        """bpftrace reports ``attached_probes`` before every probe is live: start a marker
        process until the fork probe (attached last) reports it, keeping the events seen
        meanwhile."""
        assert self._proc is not None and self._proc.stdout is not None
        assert self.decoder is not None
        stdout = self._proc.stdout
        me = str(os.getpid())
        next_probe = 0.0
        while time.monotonic() < deadline:
            if time.monotonic() >= next_probe:
                # a shell that forks: the fork record names our pid as its grandparent
                subprocess.run(["sh", "-c", "/bin/true; /bin/true"], check=False)
                next_probe = time.monotonic() + 0.5
            ready, _, _ = select.select([stdout], [], [], 0.2)
            if not ready:
                continue
            line = stdout.readline()
            if not line:
                return False
            if line.startswith('{"type": "printf", "data": "75\\u001f'):
                parts = line.split("\\u001f")
                if len(parts) > 7 and parts[4] == me:
                    return True
            self._keep(self.decoder.line(line))
        return False

    def _drain_stderr(self) -> None:
        proc = self._proc
        if proc is None or proc.stderr is None:
            return
        for line in proc.stderr:
            if "RLIMIT_MEMLOCK" in line or "WARNING" in line or line.startswith(" "):
                continue
            self._stderr.append(line.rstrip())
            del self._stderr[:-20]

    def _errors(self) -> str:
        time.sleep(0.1)
        return "; ".join(self._stderr[-3:]) or "no message"

    @property
    def pid(self) -> int:
        return self._proc.pid if self._proc else 0

    def events(self) -> Iterator[Event]:
        if self._proc is None:
            self.start()
        assert self._proc is not None and self._proc.stdout is not None
        assert self.decoder is not None
        decode = self.decoder.line
        early, self._early = self._early, []
        for first in early:
            self.received += 1
            yield first
        for line in self._proc.stdout:
            ev = decode(line)
            if ev is not None:
                self.received += 1
                yield ev
        if not self._closed:
            raise SensorError("bpftrace stopped unexpectedly: " + self._errors())

    def stats(self) -> SensorStats:
        d = self.decoder
        note = "bpftrace"
        if d is not None and d.partial:
            note += f"; {d.partial} exec(s) missing argument records"
        if self.skipped_syscalls:
            note += "; no tracepoint for " + ",".join(self.skipped_syscalls)
        return decoder_stats(self.received, d, note)

    def close(self) -> None:
        self._closed = True
        stop_child(self._proc)
        if self._script is not None:
            self._script.unlink(missing_ok=True)
            self._script = None
