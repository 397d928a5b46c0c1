"""Measure compile and evaluation speed of rule files on a crafted event mix.

``.venv/bin/python bench/rules/measure.py RULE_FILES...`` prints the load time and, for a
mix of exec/open/connect events, how many rule evaluations and events per second one core
does through the ``(source, evt.type)`` index (what ``bench/rules`` builds on). Times are
CPU seconds of this process (the machine is shared)."""

from __future__ import annotations

import sys
import time

from hardhull.model.event import ContainerInfo, Event, ProcInfo
from hardhull.runtime.rules.loader import load_rules_report

_C = ContainerInfo(id="0123456789ab", name="web", image_repository="nginx", image_tag="1")


def _mix() -> list[Event]:
    anc = (ProcInfo(pid=2, name="bash", exepath="/usr/bin/bash"), ProcInfo(pid=1, name="runc"))
    base = {
        "proc.pid": 10,
        "proc.name": "cat",
        "proc.exepath": "/usr/bin/cat",
        "proc.args": ("/etc/hosts",),
        "proc.tty": 0,
        "proc.ancestors": anc,
        "user.uid": 0,
        "user.name": "root",
        "user.loginuid": -1,
    }
    t = 1_700_000_000_000_000_000
    evs = [
        Event("syscall", "execve", t, {**base, "proc.name": n}, _C)
        for n in ("ls", "bash", "curl", "python3", "apt-get")
    ]
    for path, flags in (
        ("/etc/shadow", "O_RDONLY"),
        ("/etc/hosts", "O_RDONLY"),
        ("/usr/bin/x", "O_WRONLY|O_CREAT"),
        ("/tmp/a", "O_RDWR|O_CREAT"),
        ("/proc/self/status", "O_RDONLY"),
    ):
        f = {**base, "fd.name": path, "fd.typechar": "f", "fd.num": 3, "evt.arg.flags": flags}
        evs.append(Event("syscall", "openat", t, f, _C))
    net = {**base, "fd.typechar": "4", "fd.cip": "10.0.0.2", "fd.sip": "93.184.216.34"}
    evs.append(Event("syscall", "connect", t, {**net, "fd.sport": 4444, "fd.l4proto": "tcp"}, _C))
    evs.append(Event("syscall", "connect", t, {**net, "fd.sport": 443, "fd.l4proto": "tcp"}, _C))
    return evs


def main(argv: list[str]) -> int:
    t0 = time.process_time()
    res = load_rules_report(argv)
    load_s = time.process_time() - t0
    rs = res.ruleset
    evs = _mix()
    cands = [(e, rs.candidates(e.source, e.type)) for e in evs]
    evals = sum(len(c) for _, c in cands)
    rounds = 0
    alerts = 0
    t0 = time.process_time()
    while time.process_time() - t0 < 3.0:
        for e, cs in cands:
            for r in cs:
                if r.match(e):
                    alerts += 1
        rounds += 1
    dt = time.process_time() - t0
    print(f"load+compile: {load_s:.3f} s  ({res.counts['rules']} rules, {len(rs.errors)} errors)")
    print(f"events: {len(evs)} kinds, {evals} rule evaluations per round, {rounds} rounds")
    print(f"evaluations/s: {rounds * evals / dt:,.0f}   events/s: {rounds * len(evs) / dt:,.0f}")
    print(f"alerts per round: {alerts // max(rounds, 1)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
