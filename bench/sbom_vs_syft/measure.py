"""Run a command and measure its wall time and peak memory.

Peak RSS is taken two ways and the larger is reported: the kernel's ``ru_maxrss`` from
``wait4`` (the peak of the process itself, and of any child it waited for), and the sum
of RSS over the whole process tree sampled every 50 ms with psutil (which also covers
children that run at the same time).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil  # type: ignore[import-untyped]

DROP_CACHES = Path("/proc/sys/vm/drop_caches")
# Sampling the process tree costs CPU that the measured process would otherwise get on a
# small machine; the kernel's ru_maxrss gives the exact peak of a single process anyway.
SAMPLE_INTERVAL_S = 0.05


@dataclass(frozen=True)
class RunResult:
    """One measured run."""

    wall_s: float
    peak_rss_bytes: int
    returncode: int
    stderr_tail: str


def drop_page_cache() -> str | None:
    """Drop the page cache so the next run reads from disk; returns why not if it cannot."""
    os.sync()
    try:
        DROP_CACHES.write_text("3\n")
    except OSError as exc:
        return f"could not drop the page cache ({exc.strerror}); cold runs are warm-ish"
    return None


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total


def run_measured(
    cmd: Sequence[str], env: Mapping[str, str] | None = None, stdout: Path | None = None
) -> RunResult:
    """Run ``cmd`` to completion, measuring wall time and peak RSS of its process tree."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    out = stdout.open("wb") if stdout is not None else subprocess.DEVNULL
    peak = 0
    stop = threading.Event()
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd), env=full_env, stdout=out, stderr=subprocess.PIPE, close_fds=True
        )
        ps = psutil.Process(proc.pid)

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, _tree_rss(ps))
                stop.wait(SAMPLE_INTERVAL_S)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        assert proc.stderr is not None
        err = proc.stderr.read()  # drains stderr until the process closes it
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        stop.set()
        sampler.join()
        proc.stderr.close()
    finally:
        if stdout is not None and not isinstance(out, int):
            out.close()
    peak = max(peak, usage.ru_maxrss * 1024)
    return RunResult(wall, peak, proc.returncode, err.decode(errors="replace")[-2000:])
