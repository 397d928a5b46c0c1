"""In-process engine speed: events/s through Falco's stable rules + hardhull_rules.yaml.

Run: ``.venv/bin/python bench/rules/engine_speed.py [N]`` (prints one line). The event
mix imitates a busy container: opens (mostly reads), execs, connects, reads of other types
that no rule indexes, with a few paths that do match rules.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.shared import SHARED

from hardhull.model.event import ContainerInfo, Event, ProcInfo
from hardhull.runtime.engine import DEFAULT_RULES, Engine
from hardhull.runtime.rules.loader import load_rules

FALCO = SHARED / "data" / "falco-rules" / "rules"


def events(n: int) -> list[Event]:
    boxes = [
        ContainerInfo(id=f"{i:012x}", name=f"app{i}", image_repository="docker.io/library/nginx")
        for i in range(20)
    ]
    anc = (ProcInfo(1, name="nginx", exepath="/usr/sbin/nginx"),)
    out = []
    for i in range(n):
        box = boxes[i % 20]
        base = {
            "container.id": box.id,
            "proc.pid": 100 + i % 50,
            "proc.name": "nginx",
            "proc.exepath": "/usr/sbin/nginx",
            "proc.ancestors": anc,
            "user.uid": 0,
            "user.name": "root",
            "evt.res": "SUCCESS",
            "evt.rawres": 0,
        }
        k = i % 20
        t = 1_700_000_000_000_000_000 + i * 10_000
        if k < 8:
            path = "/etc/shadow" if i % 5000 == 0 else f"/var/www/html/f{i % 300}.html"
            base.update(
                {"fd.name": path, "fd.typechar": "f", "fd.num": 5, "evt.arg.flags": "O_RDONLY"}
            )
            out.append(Event("syscall", "openat", t, base, box))
        elif k < 10:
            base.update(
                {
                    "fd.name": f"/var/log/nginx/access{i % 3}.log",
                    "fd.typechar": "f",
                    "fd.num": 6,
                    "evt.arg.flags": "O_WRONLY|O_APPEND",
                }
            )
            out.append(Event("syscall", "openat", t, base, box))
        elif k < 12:
            base.update(
                {
                    "proc.name": "sh" if i % 1000 == 0 else "nginx",
                    "proc.args": ("-c", "true"),
                    "proc.tty": 0,
                }
            )
            out.append(Event("syscall", "execve", t, base, box))
        elif k < 14:
            base.update(
                {
                    "fd.typechar": "4",
                    "fd.sip": f"10.0.{i % 7}.{i % 200}",
                    "fd.sport": 443 if i % 3 else 5432,
                    "fd.l4proto": "tcp",
                    "fd.cip": "10.88.0.2",
                    "fd.cport": 30000 + i % 1000,
                }
            )
            out.append(Event("syscall", "connect", t, base, box))
        else:
            out.append(Event("syscall", "read" if k < 18 else "close", t, base, box))
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    rs = load_rules([FALCO / "falco_rules.yaml", DEFAULT_RULES])
    evs = events(n)
    engine = Engine(rs)
    start = time.process_time()
    for e in evs:
        engine.process(e)
    cpu = time.process_time() - start
    st = engine.stats()
    print(
        f"{n} events, {len(rs.rules)} rules + {len(rs.sequences)} sequence + "
        f"{len(rs.thresholds)} threshold: {n / cpu:,.0f} events/s CPU ({cpu:.2f} s), "
        f"{st.total_alerts} alerts, {st.total_eval_errors} eval errors"
    )


if __name__ == "__main__":
    main()
