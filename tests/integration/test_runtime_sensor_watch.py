"""``hardhull runtime watch`` end to end on the real kernel: a rule fires on a real
``cat /etc/shadow``, the stats lines are printed, ``--duration`` ends it cleanly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from tests.support.imagekit import IN_CI, require

HARDHULL = [sys.executable, "-m", "hardhull.cli.main"]
RULE = """
- rule: Shadow read by marker
  desc: test rule
  condition: >
    evt.type in (open, openat, openat2) and fd.name = /etc/shadow
    and proc.args contains MARK
  output: shadow read (proc=%proc.name args=%proc.args container=%container.id)
  priority: WARNING
"""


def _hardhull() -> list[str]:
    exe = Path(sys.executable).with_name("hardhull")
    return [str(exe)] if exe.exists() else HARDHULL


def test_watch_raises_alert_and_reports_stats(tmp_path: Path) -> None:
    require("bpftrace")
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("needs root")
        pytest.skip("needs root")
    marker = uuid.uuid4().hex
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULE.replace("MARK", marker))
    alerts = tmp_path / "alerts.jsonl"
    proc = subprocess.Popen(
        [
            *_hardhull(),
            "runtime",
            "watch",
            "--rules",
            str(rules),
            "--duration",
            "60",
            "--stats-interval",
            "1",
            "-o",
            str(alerts),
            "--sensor",
            "ebpf",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    # wait for the first stats line: the sensor is live
    for line in proc.stderr:
        if "hardhull: stats:" in line:
            break
    deadline = time.monotonic() + 20
    found = None
    while time.monotonic() < deadline and found is None:
        subprocess.run(["cat", "/etc/shadow", marker], capture_output=True, check=False)
        time.sleep(0.5)
        if alerts.exists():
            for row in alerts.read_text().splitlines():
                doc = json.loads(row)
                if doc.get("rule") == "Shadow read by marker":
                    found = doc
    proc.terminate()
    rest = proc.stderr.read()
    assert proc.wait(timeout=30) == 0
    assert found is not None, rest
    assert found["priority"] == "Warning"
    assert marker in found["output"]
    assert "hardhull: final: sensor=core" in rest  # --sensor ebpf prefers the CO-RE one
    assert "Shadow read by marker" in rest  # per-rule counts


def test_watch_missing_rule_file_is_one_clear_error(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("the root check comes first")
    res = subprocess.run(
        [*_hardhull(), "runtime", "watch", "--rules", str(tmp_path / "nope.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 2
    assert "no such rule file" in res.stderr
    assert "Traceback" not in res.stderr
