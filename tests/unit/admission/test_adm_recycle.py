"""Worker recycling: a worker past its request (or memory) bound is replaced by a fresh
one while the server keeps answering; the bounds are checked at config load."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import httpx
import psutil
import pytest
from tests.unit.admission.adm_support import deployment, privileged, review, start_serve

from hardhull.admission.config import ConfigError, parse_config
from hardhull.admission.recycle import Recycler, rss_bytes


def test_worker_is_replaced_after_max_requests_without_losing_a_request(tmp_path: Path) -> None:
    config = {
        "builtin": {"pss": "baseline"},
        "audit_log": {"path": "audit.jsonl"},
        "worker_recycle": {"max_requests": 25, "max_rss_mb": 0},
    }
    server = start_serve(tmp_path, config, "--log-level", "info")
    proc = server.proc
    seen_workers: set[int] = set()
    answers = []
    try:
        for i in range(100):
            body = review(privileged(deployment()) if i % 2 else deployment())
            # a new connection each time
            with httpx.Client(base_url=server.base, verify=server.verify) as client:
                answers.append(client.post("/validate", json=body).json()["response"]["allowed"])
            seen_workers.update(p.pid for p in psutil.Process(proc.pid).children())
        deadline = time.monotonic() + 10  # retired workers drain for DRAIN_S, then exit
        while True:
            workers_now = [p for p in psutil.Process(proc.pid).children() if p.status() != "zombie"]
            if len(workers_now) == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    assert proc.returncode == 0, stderr
    assert answers == [i % 2 == 0 for i in range(100)]  # every request answered, correctly
    assert len(workers_now) == 1  # replaced, not accumulated
    assert len(seen_workers) >= 4  # 100 requests / 25 per worker
    assert stderr.count("asks to be replaced: 25 requests served") >= 3
    records = [json.loads(ln) for ln in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert len(records) == 100  # every decision logged once across the workers


def test_recycler_asks_once_on_either_bound() -> None:
    asked: list[int] = []
    by_count = Recycler(max_requests=3, max_rss_mb=0, ask=lambda: asked.append(1))
    for _ in range(10):
        by_count.tick()
    assert asked == [1] and by_count.requests == 10
    assert rss_bytes() > 1 << 20
    asked.clear()
    by_memory = Recycler(max_requests=0, max_rss_mb=1, ask=lambda: asked.append(2))
    for _ in range(255):
        by_memory.tick()
    assert asked == []  # memory is sampled every 256 requests
    by_memory.tick()
    assert asked == [2]
    asked.clear()
    unbounded = Recycler(max_requests=0, max_rss_mb=0, ask=lambda: asked.append(3))
    for _ in range(1000):
        unbounded.tick()
    assert asked == []


def test_recycle_config_defaults_and_errors(tmp_path: Path) -> None:
    cfg = parse_config({}, tmp_path)
    assert (cfg.recycle_rss_mb, cfg.recycle_requests) == (1024, 0)
    cfg = parse_config({"worker_recycle": {"max_requests": 5000, "max_rss_mb": 0}}, tmp_path)
    assert (cfg.recycle_rss_mb, cfg.recycle_requests) == (0, 5000)
    with pytest.raises(ConfigError, match=r"worker_recycle: unknown keys \['max_rss'\]"):
        parse_config({"worker_recycle": {"max_rss": 5}}, tmp_path)
    with pytest.raises(ConfigError, match=r"worker_recycle\.max_requests must be an integer >= 0"):
        parse_config({"worker_recycle": {"max_requests": -1}}, tmp_path)
