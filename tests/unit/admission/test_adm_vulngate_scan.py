"""``unscanned: scan``: the on-demand scanner and the gate's answers, with real child
scans against real sockets on 127.0.0.1 (one that refuses connections, one that accepts
them and never answers) and a small database imported by ``hardhull db import``; the
configuration's options and their positioned errors. Scans of a real image in a real
registry are in ``tests/integration/test_vulngate_scan.py``."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from tests.support.registry import free_port
from tests.support.shared import ADVISORIES

from hardhull.admission.config import ConfigError, load_config, parse_config
from hardhull.errors import HardhullError
from hardhull.policy.base import AdmissionInput, Result, RuleResult
from hardhull.policy.vulngate import (
    ScanSettings,
    Unscanned,
    VulnGateOptions,
    VulnGatePolicy,
    WhileScanning,
)
from hardhull.policy.vulngate_scan import OnDemandScanner, ScanState, report_name
from hardhull.policy.vulngate_worker import ScanJob

URLLIB3 = ADVISORIES / "pypa-advisory-database" / "vulns" / "urllib3"
WAIT = 60.0  # generous: how long a test waits for a background state change


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small real database: the urllib3 advisories, imported by the CLI."""
    if not URLLIB3.is_dir():
        pytest.skip(f"shared advisories missing: {URLLIB3}")
    path = tmp_path_factory.mktemp("db") / "vulndb.sqlite"
    cmd = [sys.executable, "-m", "hardhull", "db", "import", str(URLLIB3), "--db", str(path)]
    subprocess.run([*cmd, "-q", "--fresh"], check=True, capture_output=True)
    return path


@pytest.fixture
def silent() -> Iterator[str]:
    """A registry host that accepts connections and never answers (scans hang)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield f"127.0.0.1:{sock.getsockname()[1]}"


def _refusing() -> str:
    """A registry host where nothing listens (connections are refused)."""
    return f"127.0.0.1:{free_port()}"


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    d = tmp_path / "scans"
    d.mkdir()
    return d


@pytest.fixture
def gates() -> Iterator[list[VulnGatePolicy]]:
    """Gates made by a test; their scanners are closed afterwards."""
    made: list[VulnGatePolicy] = []
    yield made
    for gate in made:
        gate.close()


def _gate(gates: list[VulnGatePolicy], reports: Path, **scan: Any) -> VulnGatePolicy:
    gate = VulnGatePolicy(
        VulnGateOptions(reports, unscanned=Unscanned.SCAN, scan=ScanSettings(**scan))
    )
    gates.append(gate)
    return gate


def _pod(*images: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "shop"},
        "spec": {"containers": [{"name": f"c{n}", "image": im} for n, im in enumerate(images)]},
    }


def _run(gate: VulnGatePolicy, obj: Mapping[str, Any]) -> dict[str, RuleResult]:
    inp = AdmissionInput(obj, kind=str(obj["kind"]))
    return {r.rule: r for r in gate.evaluate(inp)}


def _until(check: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _state(scanner: OnDemandScanner, image: str) -> ScanState | None:
    status = scanner.status(image)
    return None if status is None else status.state


def test_webhook_answer_while_scanning_is_deny_with_scan_started(
    gates: list[VulnGatePolicy], reports: Path, db: Path, silent: str
) -> None:
    image = f"{silent}/app:1"
    gate = _gate(gates, reports, db=db, wait_ms=0, insecure_registries=(silent,))
    res = _run(gate, _pod(image))
    assert res["vulnerabilities"].result is Result.PASS
    first = res["unscanned"]
    assert first.result is Result.FAIL and not first.audit_annotations
    assert f"{image} (scan started)" in first.message
    again = _run(gate, _pod(image))["unscanned"]  # joins the scan, does not start another
    assert again.result is Result.FAIL and "scan started" not in again.message
    assert f"{image} (scan " in again.message
    status = gate.scanner.status(image) if gate.scanner else None
    assert status is not None and status.attempts == 1


def test_webhook_answer_while_scanning_can_allow_and_audit(
    gates: list[VulnGatePolicy], reports: Path, db: Path, silent: str
) -> None:
    image = f"{silent}/app:1"
    gate = _gate(
        gates, reports, db=db, wait_ms=20, while_scanning=WhileScanning.ALLOW_AUDIT,
        insecure_registries=(silent,),
    )  # fmt: skip
    res = _run(gate, _pod(image))["unscanned"]
    assert res.result is Result.WARN and "scan started" in res.message
    assert res.audit_annotations == (("vulnerability-gate-unscanned", res.message),)


def test_scan_timeout_kills_the_scan_and_reports_it(
    gates: list[VulnGatePolicy], reports: Path, db: Path, silent: str
) -> None:
    image = f"{silent}/app:1"
    gate = _gate(gates, reports, db=db, timeout_s=1.0, insecure_registries=(silent,))
    res = _run(gate, _pod(image))  # wait_ms None: waits for the scan, as `policy apply`
    failed = res["scan-failed"]
    assert failed.result is Result.FAIL and "unscanned" not in res
    assert f"{image}: the scan did not finish within 1 s and was stopped" in failed.message
    assert not list(reports.iterdir())  # no report, no temporary file left behind


def test_failed_scan_is_retried_only_after_retry_after(
    gates: list[VulnGatePolicy], reports: Path, db: Path
) -> None:
    host = _refusing()
    image = f"{host}/nothing/app:1"
    gate = _gate(gates, reports, db=db, retry_after_s=3600.0, insecure_registries=(host,))
    first = _run(gate, _pod(image))["scan-failed"]
    assert first.result is Result.FAIL and image in first.message
    assert "(attempt 1; next attempt after " in first.message
    assert gate.scanner is not None
    status = gate.scanner.status(image)
    assert status is not None and status.state is ScanState.FAILED and status.error
    assert f"{image}: {status.error} (attempt 1;" in first.message
    assert "connection refused" in status.error
    second = _run(gate, _pod(image))["scan-failed"]  # remembered: no new scan
    assert second.message == first.message

    soon = _gate(gates, reports, db=db, retry_after_s=0.5, insecure_registries=(host,))
    assert "(attempt 1;" in _run(soon, _pod(image))["scan-failed"].message
    assert soon.scanner is not None
    failed = soon.scanner.status(image)
    assert failed is not None
    _until(lambda: time.time() >= failed.retry_at, "the retry-after to pass")
    assert "(attempt 2;" in _run(soon, _pod(image))["scan-failed"].message


def test_missing_database_is_a_clear_failure(
    gates: list[VulnGatePolicy], reports: Path, tmp_path: Path
) -> None:
    image = f"{_refusing()}/app:1"
    gate = _gate(gates, reports, db=tmp_path / "absent.sqlite")
    failed = _run(gate, _pod(image))["scan-failed"]
    assert f"no vulnerability database at {tmp_path / 'absent.sqlite'}" in failed.message


def test_scanner_dedups_bounds_its_queue_and_closes(reports: Path, db: Path, silent: str) -> None:
    settings = ScanSettings(workers=1, max_queue=1, db=db, insecure_registries=(silent,))
    scanner = OnDemandScanner(reports, settings)
    try:
        a, b, c = (f"{silent}/{name}:1" for name in "abc")
        assert scanner.request(a).started
        _until(lambda: _state(scanner, a) is ScanState.RUNNING, "the first scan to run")
        again = scanner.request(f"{silent}/a:1")
        assert not again.started and again.state is ScanState.RUNNING and again.attempts == 1
        queued = scanner.request(b)
        assert queued.started and queued.state is ScanState.QUEUED
        full = scanner.request(c)
        assert full.state is ScanState.QUEUE_FULL and not full.started
        assert scanner.status(c) is None
    finally:
        scanner.close()
    for image in (a, b):
        status = scanner.status(image)
        assert status is not None and status.state is ScanState.FAILED
        assert status.finished.is_set()


def test_queue_full_answer_says_no_scan_started(
    gates: list[VulnGatePolicy], reports: Path, db: Path, silent: str
) -> None:
    gate = _gate(gates, reports, db=db, wait_ms=0, workers=1, max_queue=1)
    images = [f"{silent}/{name}:1" for name in "abc"]
    assert gate.scanner is not None
    scanner = gate.scanner
    scanner.request(images[0])
    _until(lambda: _state(scanner, images[0]) is ScanState.RUNNING, "the first scan to run")
    msg = _run(gate, _pod(*images))["unscanned"].message
    assert f"{images[0]} (scan running)" in msg
    assert f"{images[1]} (scan started)" in msg
    assert f"{images[2]} (scan not started: too many scans waiting" in msg


def test_report_names_are_safe_and_distinct() -> None:
    a = report_name("127.0.0.1:5000/team/app:1")
    b = report_name("127.0.0.1:5000/team/app@sha256:" + "a" * 64)
    assert a != b and a.endswith(".json") and "/" not in a and ":" not in a
    assert a.startswith("127.0.0.1_5000_team_app_1-")


# -- configuration -------------------------------------------------------------------


def _config(gate: Mapping[str, Any], base: Path, budget_ms: float = 200) -> Any:
    doc = {"budget_ms": budget_ms, "builtin": {"pss": None, "vulnerability_gate": dict(gate)}}
    return parse_config(doc, base)


def test_config_scan_options_and_defaults(tmp_path: Path) -> None:
    cfg = _config(
        {
            "reports": "scans",
            "unscanned": "scan",
            "scan_workers": 3,
            "scan_queue": 5,
            "scan_timeout_s": 120,
            "scan_retry_s": 60.5,
            "scan_wait_ms": 100,
            "while_scanning": "allow-audit",
            "db": "db/vulndb.sqlite",
            "scan_source": "podman",
            "insecure_registries": ["registry.local:5000"],
            "docker_config": "auth/config.json",
        },
        tmp_path,
        budget_ms=250,
    )
    gate = cfg.vuln_gate
    assert gate.unscanned is Unscanned.SCAN
    assert gate.scan == ScanSettings(
        workers=3, timeout_s=120.0, wait_ms=100.0, while_scanning=WhileScanning.ALLOW_AUDIT,
        db=tmp_path / "db/vulndb.sqlite", source="podman",
        insecure_registries=("registry.local:5000",),
        docker_config=tmp_path / "auth/config.json", max_queue=5, retry_after_s=60.5,
    )  # fmt: skip
    plain = _config({"reports": "scans", "unscanned": "scan"}, tmp_path).vuln_gate.scan
    assert plain.wait_ms == 0 and plain.while_scanning is WhileScanning.DENY
    assert plain.workers == 2 and plain.db is None and plain.source == "registry"


@pytest.mark.parametrize(
    ("gate", "message"),
    [
        ({"scan_workers": 0}, "scan_workers must be an integer >= 1"),
        ({"scan_workers": True}, "scan_workers must be an integer >= 1"),
        ({"scan_queue": "many"}, "scan_queue must be an integer >= 1"),
        ({"scan_timeout_s": 0}, "scan_timeout_s must be a positive number"),
        ({"scan_retry_s": -1}, "scan_retry_s must be a positive number"),
        ({"scan_wait_ms": -5}, "scan_wait_ms must be a >= 0 number"),
        ({"scan_wait_ms": 150}, "scan_wait_ms: 150 is more than half of budget_ms (200)"),
        ({"while_scanning": "allow"}, "while_scanning: 'allow' is not one of deny, allow-audit"),
        ({"scan_source": "containerd"}, "scan_source: 'containerd' is not one of registry"),
        ({"insecure_registries": "r:5000"}, "insecure_registries must be a list"),
        ({"db": 7}, "db must be a path"),
        ({"docker_config": ""}, "docker_config must be a path"),
    ],
)
def test_config_scan_option_errors(tmp_path: Path, gate: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        _config({"reports": "s", "unscanned": "scan", **gate}, tmp_path)
    assert f"builtin.vulnerability_gate.{message}" in info.value.message


def test_config_scan_options_need_unscanned_scan(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        _config({"reports": "s", "unscanned": "deny", "scan_workers": 2, "db": "x"}, tmp_path)
    assert info.value.message == (
        "builtin.vulnerability_gate: db, scan_workers only apply with unscanned: scan "
        "(unscanned is deny)"
    )


def test_config_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "admission.yaml"
    path.write_text(
        "budget_ms: 100\nbuiltin:\n  vulnerability_gate:\n"
        "    reports: scans\n    unscanned: scan\n    scan_wait_ms: 2000\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.message.startswith(f"{path}: builtin.vulnerability_gate.scan_wait_ms: 2000")


def test_engine_close_stops_running_scans(
    gates: list[VulnGatePolicy], reports: Path, db: Path, silent: str, tmp_path: Path
) -> None:
    """The webhook's shutdown (lifespan) closes the engine, which stops on-demand scans."""
    from hardhull.admission.engine import AdmissionEngine

    gate = _gate(gates, reports, db=db, wait_ms=0, workers=1, insecure_registries=(silent,))
    assert gate.scanner is not None
    image = f"{silent}/app:1"
    gate.scanner.request(image)
    _until(lambda: _state(gate.scanner, image) is ScanState.RUNNING, "the scan to run")
    AdmissionEngine([gate], parse_config({}, tmp_path)).close()
    status = gate.scanner.status(image)
    assert status is not None and status.state is ScanState.FAILED


def test_scan_job_round_trips_through_the_childs_stdin(tmp_path: Path) -> None:
    job = ScanJob(
        "registry:127.0.0.1:5000/app:1",
        tmp_path / "app.json",
        tmp_path / ".app.tmp",
        insecure=True,
        docker_config=tmp_path / "config.json",
    )
    assert ScanJob.from_json(job.to_json()) == job
    with pytest.raises(HardhullError, match="malformed scan job"):
        ScanJob.from_json(b'{"target": "registry:x"}')
