"""bench/sensor: how much the kernel sensor catches and costs under storms.

An exec storm (a C spawner, ``spawner.c``: K worker processes ``posix_spawn``ing a tiny
static program, ``hh-true``, as fast as they can for ``--seconds``), then a file-open
storm (write-opens) and a connect storm (refused connects to a closed loopback port),
first without the sensor (baseline rates), then with the sensor running and every event
passed through the default Falco rules. Reports per kind: generated, captured,
lost-reported (the sensor's kernel-side counters) and unaccounted (missing minus
reported; must be 0), the spawners' slowdown, the sensor's CPU (loader/bpftrace child +
this process) and peak RSS.

    .venv/bin/python bench/sensor/run.py [--sensor core|bpftrace] [--seconds 10]
        [--workers 2] [--program hh-true|/bin/true] [--rules FILE] [--json]

The C programs are compiled with ``cc -O2`` into ``~/.cache/hardhull/bench/`` on first
use. Needs root. Figures are noisy on a shared machine: run it more than once.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import platformdirs

HERE = Path(__file__).resolve().parent
if str(HERE.parents[1]) not in sys.path:
    sys.path.insert(0, str(HERE.parents[1]))
from tests.support.shared import SHARED  # noqa: E402

RULES = SHARED / "data" / "falco-rules" / "rules" / "falco_rules.yaml"
CACHE = Path(platformdirs.user_cache_dir("hardhull", appauthor=False)) / "bench"
# the smallest program to spawn: static, no libc, exits 0 (x86_64)
TRUE_C = 'void _start(void) { __asm__ volatile("mov $60, %eax\\n xor %edi, %edi\\n syscall"); }\n'


def _compile(name: str, source: str, *flags: str) -> Path:
    key = hashlib.sha256(source.encode() + " ".join(flags).encode()).hexdigest()[:12]
    out = CACHE / f"{name}-{key}"
    if out.exists():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        sys.exit("bench/sensor: needs a C compiler (gcc)")
    src = CACHE / f"{name}-{key}.c"
    src.write_text(source)
    subprocess.run([cc, "-O2", *flags, "-o", str(out), str(src)], check=True)
    return out


def spawner() -> Path:
    return _compile("spawner", (HERE / "spawner.c").read_text())


def true_program() -> Path:
    return _compile("hh-true", TRUE_C, "-static", "-nostdlib")


def spawn_storm(program: str, seconds: float, workers: int) -> tuple[int, float, list[int]]:
    """(spawned, elapsed seconds, worker pids) of one C spawner run."""
    out = subprocess.run(
        [str(spawner()), str(seconds), str(workers), program, "hh-bench"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(out[0]), float(out[1]), [int(p) for p in out[2].split(",")]


OPENER = r"""
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    fd = os.open(f"{d}/f{i % 64}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.close(fd)
print(n)
"""

CONNECTER = r"""
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
for _ in range(n):
    s = socket.socket()
    s.connect_ex(("127.0.0.1", port))
    s.close()
print(n)
"""


def _py(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True)


def open_storm(d: str, n: int) -> float:
    t0 = time.monotonic()
    _py(OPENER, d, str(n)).communicate()
    return time.monotonic() - t0


def connect_storm(port: int, n: int) -> float:
    t0 = time.monotonic()
    _py(CONNECTER, str(port), str(n)).communicate()
    return time.monotonic() - t0


def _closed_port() -> int:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def _proc_cpu_rss(pid: int) -> tuple[float, int]:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rfind(")") + 2 :].split()
    tick = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / tick
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) * 1024
    return cpu, rss


def _make_sensor(kind: str) -> Any:
    if kind == "core":
        from hardhull.runtime.sensor.core import CoreSensor

        return CoreSensor()
    from hardhull.runtime.sensor.ebpf import EbpfSensor

    return EbpfSensor()


def _lost_by_kind(sensor: Any) -> dict[str, int] | None:
    """Kernel-side loss per event kind (core sensor), ``None`` when only a total exists."""
    decoder = getattr(sensor, "decoder", None)
    by_kind = getattr(decoder, "lost_by_kind", None)
    return by_kind() if callable(by_kind) else None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sensor", choices=["core", "bpftrace"], default="core")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--program", default="hh-true", help="hh-true (static, tiny) or a path")
    ap.add_argument("--opens", type=int, default=50000)
    ap.add_argument("--connects", type=int, default=20000)
    ap.add_argument("--rules", type=Path, default=RULES)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("bench/sensor needs root", file=sys.stderr)
        return 2

    from hardhull.runtime.engine import Engine
    from hardhull.runtime.rules.loader import load_rules

    program = str(true_program()) if a.program == "hh-true" else a.program
    comm = Path(program).name[:15]
    port = _closed_port()
    tmp = tempfile.mkdtemp(prefix="hh-bench-sensor-")
    base_n, base_t, _ = spawn_storm(program, a.seconds, a.workers)
    base_open = open_storm(tmp, a.opens)
    base_conn = connect_storm(port, a.connects)

    engine = Engine(load_rules([a.rules]))
    t_start = time.monotonic()
    sensor = _make_sensor(a.sensor)
    sensor.start()
    start_s = time.monotonic() - t_start
    execs: Counter[int] = Counter()  # parent pid -> execs of the spawned program
    exits: Counter[int] = Counter()
    counts = {"open": 0, "connect": 0, "alerts": 0, "events": 0}
    stop = threading.Event()
    peak = {"rss": 0}

    def consume() -> None:
        for ev in sensor.events():
            counts["events"] += 1
            counts["alerts"] += len(engine.process(ev))
            f = ev.fields
            t = ev.type
            if t == "execve":
                if f.get("proc.name") == comm:
                    execs[f.get("proc.ppid", 0)] += 1
            elif t == "procexit":
                if f.get("proc.name") == comm:
                    exits[f.get("proc.ppid", 0)] += 1
            elif t.startswith("open") and str(f.get("fd.name", "")).startswith(tmp):
                counts["open"] += 1
            elif t == "connect" and f.get("fd.sport") == port:
                counts["connect"] += 1

    def sample() -> None:
        while not stop.wait(0.5):
            rss = _proc_cpu_rss(os.getpid())[1] + _proc_cpu_rss(sensor.pid)[1]
            peak["rss"] = max(peak["rss"], rss)

    cpu0 = os.times()
    child0 = _proc_cpu_rss(sensor.pid)[0]
    th = threading.Thread(target=consume, daemon=True)
    th.start()
    threading.Thread(target=sample, daemon=True).start()
    n, t, workers = spawn_storm(program, a.seconds, a.workers)
    t_open = open_storm(tmp, a.opens)
    t_conn = connect_storm(port, a.connects)
    # let the sensor drain what is buffered: stop when nothing arrived for 3 s (max 120 s)
    deadline = time.monotonic() + 120
    last, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - quiet_since < 3:
        time.sleep(0.5)
        if counts["events"] != last:
            last, quiet_since = counts["events"], time.monotonic()
    child1 = _proc_cpu_rss(sensor.pid)[0]
    cpu1 = os.times()
    time.sleep(1.2)  # one more loss report from the loader
    stop.set()
    sensor.close()
    th.join(timeout=30)
    st = sensor.stats()
    by_kind = _lost_by_kind(sensor)
    py_cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    captured = {
        "exec": sum(execs[p] for p in workers),
        "procexit": sum(exits[p] for p in workers),
        "open": counts["open"],
        "connect": counts["connect"],
    }
    generated = {"exec": n, "procexit": n, "open": a.opens, "connect": a.connects}
    kernel_kind: dict[str, tuple[str, ...]] = {"exec": ("exec",), "procexit": ("procexit",)}
    kernel_kind |= {"open": ("open", "openat", "openat2"), "connect": ("connect",)}
    kinds: dict[str, dict[str, Any]] = {}
    for kind, gen in generated.items():
        got = captured[kind]
        row: dict[str, Any] = {"generated": gen, "captured": got, "missing": gen - got}
        row["captured_pct"] = round(100 * got / gen, 2) if gen else 100.0
        if by_kind is not None:
            lost = sum(by_kind.get(k, 0) for k in kernel_kind[kind])
            row["lost_reported"] = lost
            row["unaccounted"] = max(0, gen - got - lost)
        kinds[kind] = row
    missing = sum(r["missing"] for r in kinds.values())
    res: dict[str, Any] = {
        "sensor": a.sensor,
        "program": program,
        "workers": a.workers,
        "sensor_start_s": round(start_s, 2),
        "spawn_rate_baseline": round(base_n / base_t),
        "spawn_rate_with_sensor": round(n / t),
        "spawner_slowdown_pct": round(100 * (1 - (n / t) / (base_n / base_t)), 1),
        "kinds": kinds,
        "lost_reported_total": st.lost,
        "lost_reported_by_kind": by_kind if by_kind is not None else "total only",
        "unaccounted_total": max(0, missing - st.lost),
        "malformed": st.malformed,
        "open_storm_slowdown_pct": round(100 * (t_open / base_open - 1), 1),
        "connect_storm_slowdown_pct": round(100 * (t_conn / base_conn - 1), 1),
        "events_total": counts["events"],
        "alerts": counts["alerts"],
        "sensor_cpu_s_python": round(py_cpu, 2),
        "sensor_cpu_s_child": round(child1 - child0, 2),
        "sensor_peak_rss_mib": round(peak["rss"] / 2**20, 1),
        "note": st.note,
    }
    shutil.rmtree(tmp, ignore_errors=True)
    if a.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            if k == "kinds":
                for kind, row in v.items():
                    print(f"  {kind:10s} " + " ".join(f"{rk}={rv}" for rk, rv in row.items()))
            else:
                print(f"{k:28s} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
