"""bench/sensor: how much the kernel sensor catches and costs under storms.

Spawns short processes (``/bin/true <marker>``) from two spawner processes for
``--seconds``, then a file-open storm (write-opens) and a connect storm (refused
connects to a closed loopback port), first without the sensor (baseline rates), then
with the eBPF sensor running and every event passed through the default Falco rules.
Reports: events captured vs. generated (every loss counted), spawner slowdown, the
sensor's CPU time (this process + the bpftrace child) and peak RSS.

    .venv/bin/python bench/sensor/run.py [--seconds 10] [--rules FILE]

Needs root. Figures are noisy on a shared machine: CPU time is reported, run it more
than once.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

RULES = Path("/work/shared/data/falco-rules/rules/falco_rules.yaml")

SPAWNER = r"""
import os, sys, time
marker, seconds = sys.argv[1], float(sys.argv[2])
n = 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    pid = os.posix_spawn("/bin/true", ["/bin/true", marker], {})
    os.waitpid(pid, 0)
    n += 1
print(n)
"""

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


def spawn_storm(marker: str, seconds: float, workers: int = 2) -> tuple[int, float]:
    t0 = time.monotonic()
    procs = [_py(SPAWNER, marker, str(seconds)) for _ in range(workers)]
    total = sum(int((p.communicate()[0] or "0").strip()) for p in procs)
    return total, time.monotonic() - t0


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


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
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
    from hardhull.runtime.sensor.ebpf import EbpfSensor

    port = _closed_port()
    tmp = tempfile.mkdtemp(prefix="hh-bench-sensor-")
    base_n, base_t = spawn_storm("hh-bench-base", a.seconds)
    base_open = open_storm(tmp, a.opens)
    base_conn = connect_storm(port, a.connects)

    engine = Engine(load_rules([a.rules]))
    sensor = EbpfSensor()
    sensor.start()
    counts = {"exec": 0, "open": 0, "connect": 0, "alerts": 0, "events": 0}
    marker = f"hh-bench-{os.getpid()}"
    stop = threading.Event()
    peak = {"rss": 0}

    def consume() -> None:
        for ev in sensor.events():
            counts["events"] += 1
            counts["alerts"] += len(engine.process(ev))
            f = ev.fields
            if ev.type == "execve" and f.get("proc.args") == (marker,):
                counts["exec"] += 1
            elif ev.type.startswith("open") and str(f.get("fd.name", "")).startswith(tmp):
                counts["open"] += 1
            elif ev.type == "connect" and f.get("fd.sport") == port:
                counts["connect"] += 1

    def sample() -> None:
        while not stop.wait(0.5):
            rss = _proc_cpu_rss(os.getpid())[1] + _proc_cpu_rss(sensor.pid)[1]
            peak["rss"] = max(peak["rss"], rss)

    cpu0 = os.times()
    bt0 = _proc_cpu_rss(sensor.pid)[0]
    th = threading.Thread(target=consume, daemon=True)
    th.start()
    threading.Thread(target=sample, daemon=True).start()
    n, t = spawn_storm(marker, a.seconds)
    t_open = open_storm(tmp, a.opens)
    t_conn = connect_storm(port, a.connects)
    # let the sensor drain what is buffered (bounded wait; the counts say what arrived)
    deadline = time.monotonic() + 30
    want = (n, a.opens, a.connects)
    while (
        time.monotonic() < deadline and (counts["exec"], counts["open"], counts["connect"]) < want
    ):
        time.sleep(0.2)
    time.sleep(1)
    bt1 = _proc_cpu_rss(sensor.pid)[0]
    cpu1 = os.times()
    stop.set()
    sensor.close()
    th.join(timeout=30)
    st = sensor.stats()
    py_cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    res: dict[str, Any] = {
        "spawn_rate_baseline": round(base_n / base_t),
        "spawn_rate_with_sensor": round(n / t),
        "spawner_slowdown_pct": round(100 * (1 - (n / t) / (base_n / base_t)), 1),
        "execs_generated": n,
        "execs_captured": counts["exec"],
        "opens_generated": a.opens,
        "opens_captured": counts["open"],
        "open_storm_slowdown_pct": round(100 * (t_open / base_open - 1), 1),
        "connects_generated": a.connects,
        "connects_captured": counts["connect"],
        "connect_storm_slowdown_pct": round(100 * (t_conn / base_conn - 1), 1),
        "events_total": counts["events"],
        "alerts": counts["alerts"],
        "lost": st.lost,
        "malformed": st.malformed,
        "sensor_cpu_s_python": round(py_cpu, 2),
        "sensor_cpu_s_bpftrace": round(bt1 - bt0, 2),
        "sensor_peak_rss_mib": round(peak["rss"] / 2**20, 1),
        "note": st.note,
    }
    if a.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            print(f"{k:28s} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
