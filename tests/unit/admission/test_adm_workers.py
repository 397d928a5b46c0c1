"""``hardhull admission serve --workers 2``: pre-forked workers on one socket, one shared
audit log (rotation across processes included), clean stop on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
from tests.unit.admission.adm_support import deployment, privileged, review, start_serve

from hardhull.admission.audit import AuditLog


def test_two_workers_answer_and_share_the_audit_log(tmp_path: Path) -> None:
    config = {
        "builtin": {"pss": "baseline"},
        "audit_log": {"path": "audit.jsonl", "max_bytes": 20_000, "backups": 50},
    }
    server = start_serve(tmp_path, config, "--workers", "2")
    proc, base, verify = server.proc, server.base, server.verify
    try:
        workers = psutil.Process(proc.pid).children()
        assert len(workers) == 2

        def post(i: int) -> bool:
            body = review(privileged(deployment()) if i % 2 else deployment())
            # a new connection each time, so both workers get some
            with httpx.Client(base_url=base, verify=verify) as client:
                return bool(client.post("/validate", json=body).json()["response"]["allowed"])

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(post, range(200)))
        assert answers == [i % 2 == 0 for i in range(200)]
        busy = [sum(p.cpu_times()[:2]) for p in workers]
        assert all(t > 0 for t in busy)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    records = []
    for path in sorted(tmp_path.glob("audit.jsonl*")):
        if path.name.endswith(".lock"):
            continue
        records += [json.loads(line) for line in path.read_text().splitlines()]
    assert len(records) == 200  # every decision, once, none torn by rotation
    assert sum(1 for r in records if r["allowed"]) == 100
    assert len(list(tmp_path.glob("audit.jsonl.*[0-9]"))) >= 2  # it did rotate


def test_shared_log_follows_another_writers_rotation(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    one = AuditLog(path, max_bytes=200, backups=10, shared=True)
    two = AuditLog(path, max_bytes=200, backups=10, shared=True)
    for i in range(40):
        (one if i % 2 else two).write({"i": i, "pad": "x" * 20})
    one.close()
    two.close()
    seen = []
    for p in [path, *sorted(tmp_path.glob("a.jsonl.*[0-9]"))]:
        seen += [json.loads(line)["i"] for line in p.read_text().splitlines()]
    assert sorted(seen) == list(range(40))
    assert all(os.path.getsize(p) <= 200 + 40 for p in tmp_path.glob("a.jsonl*"))
