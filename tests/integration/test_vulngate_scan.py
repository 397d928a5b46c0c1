"""``unscanned: scan`` end to end: a real image (the cached Debian 12 root plus the old
PyPI/npm releases of the scan end-to-end test) pushed to a real ``docker-registry`` on
127.0.0.1, a database imported by ``hardhull db import`` from the shared PyPA advisories,
and the gate scanning the never-scanned image on demand: as ``policy apply`` evaluates
(waiting for the scan), and behind the real HTTPS admission server (answering within the
budget while the scan runs, then on the report).

The expected findings come from ``hardhull scan image`` run on the same image read from
its OCI archive (another source than the registry the gate reads it from).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.debian import debian_image
from tests.support.imagekit import IN_CI, require, skopeo_copy
from tests.support.registry import RegistryServer, start_registry
from tests.support.shared import ADVISORIES
from tests.unit.admission.adm_support import container, deployment, review, running_server

from hardhull.admission.config import parse_config
from hardhull.admission.policies import load_admission_policies
from hardhull.policy.base import AdmissionInput, Result
from hardhull.policy.vulngate import ScanSettings, Unscanned, VulnGateOptions, VulnGatePolicy
from hardhull.policy.vulngate_scan import report_name

pytestmark = pytest.mark.integration

PYPA = ADVISORIES / "pypa-advisory-database"
WAIT = 180.0  # generous: how long a test waits for a background scan
RANK = {"critical": 4, "high": 3}


def _hardhull(*args: str | Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "hardhull", *map(str, args)], check=True, capture_output=True
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not PYPA.is_dir():
        if IN_CI:
            pytest.fail(f"shared data missing: {PYPA}")
        pytest.skip(f"shared data missing: {PYPA}")
    path = tmp_path_factory.mktemp("vgdb") / "vulndb.sqlite"
    _hardhull("db", "import", PYPA, "--db", path, "-q", "--fresh")
    return path


@pytest.fixture(scope="module")
def archive() -> Path:
    """The OCI archive of a Debian image with old, vulnerable Python packages."""
    require("podman", "skopeo", "docker-registry")
    from tests.integration.test_scan_e2e import _deps_tar

    deps = _deps_tar()
    return debian_image("scan-e2e", "ADD deps.tar /\n", files={"deps.tar": deps}).archive


@pytest.fixture(scope="module")
def expected(archive: Path, db: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Ids of the fixable findings at or above high, per `hardhull scan image` on the
    archive, worst first (the gate's order)."""
    out = tmp_path_factory.mktemp("vgref") / "reference.json"
    _hardhull("scan", "image", f"oci-archive:{archive}", "--db", db, "-f", "json", "-o", out, "-q")
    findings = json.loads(out.read_text())["findings"]
    bad = [
        f
        for f in findings
        if f["kind"] == "vulnerability"
        and f["fixed_versions"]
        and f["severity"] in RANK
        and f["suppressed"] is None
    ]
    assert bad, "the test image should have fixable findings at or above high"
    bad.sort(key=lambda f: (-RANK[f["severity"]], f["id"]))
    return list(dict.fromkeys(f["id"] for f in bad))


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, archive: Path) -> Iterator[RegistryServer]:
    server = start_registry(tmp_path_factory.mktemp("vgreg"))
    try:
        for tag in ("1", "2", "3"):
            skopeo_copy(
                f"oci-archive:{archive}",
                f"docker://{server.host}/vulngate/app:{tag}",
                "--dest-tls-verify=false",
            )
        yield server
    finally:
        server.stop()


def _pod(image: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "shop"},
        "spec": {"containers": [{"name": "c", "image": image}]},
    }


def test_policy_apply_style_waits_for_the_scan_and_denies(
    registry: RegistryServer, db: Path, expected: list[str], tmp_path: Path
) -> None:
    image = f"{registry.host}/vulngate/app:1"
    reports = tmp_path / "scans"
    reports.mkdir()
    settings = ScanSettings(db=db, insecure_registries=(registry.host,), timeout_s=WAIT)
    gate = VulnGatePolicy(VulnGateOptions(reports, unscanned=Unscanned.SCAN, scan=settings))
    try:
        results = {r.rule: r for r in gate.evaluate(AdmissionInput(_pod(image), kind="Pod"))}
    finally:
        gate.close()
    assert set(results) == {"vulnerabilities"}, results
    res = results["vulnerabilities"]
    assert res.result is Result.FAIL
    assert f"{image}: " in res.message
    for advisory in expected[:3]:
        assert advisory in res.message
    assert [p.name for p in reports.iterdir()] == [report_name(image)]  # nothing else left
    doc = json.loads((reports / report_name(image)).read_text())
    assert doc["source"]["scheme"] == "registry" and doc["db"]["path"] == str(db)
    # The report is the cache: a new gate over the directory judges without scanning.
    later = VulnGatePolicy(VulnGateOptions(reports, unscanned=Unscanned.SCAN, scan=settings))
    try:
        again = {r.rule: r for r in later.evaluate(AdmissionInput(_pod(image), kind="Pod"))}
        assert again["vulnerabilities"].message == res.message
        assert later.scanner is not None and later.scanner.status(image) is None
    finally:
        later.close()


def _post(client: httpx.Client, image: str) -> dict[str, Any]:
    body = review(deployment(containers=[container(image=image)]))
    resp = client.post(
        "/validate", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert resp.status_code == 200
    doc: dict[str, Any] = resp.json()["response"]
    return doc


@pytest.mark.parametrize(("while_scanning", "tag"), [("deny", "2"), ("allow-audit", "3")])
def test_webhook_answers_while_scanning_then_on_the_report(
    registry: RegistryServer,
    db: Path,
    expected: list[str],
    tmp_path: Path,
    while_scanning: str,
    tag: str,
) -> None:
    image = f"{registry.host}/vulngate/app:{tag}"
    (tmp_path / "scans").mkdir()
    gate = {
        "reports": "scans",
        "unscanned": "scan",
        "db": str(db),
        "insecure_registries": [registry.host],
        "scan_timeout_s": WAIT,
        "while_scanning": while_scanning,
    }
    cfg = parse_config({"builtin": {"pss": None, "vulnerability_gate": gate}}, tmp_path)
    policies, _ = load_admission_policies(cfg)
    try:
        with running_server(tmp_path, policies, cfg) as server, server.client() as client:
            first = _post(client, image)
            if while_scanning == "deny":
                assert first["allowed"] is False and first["status"]["code"] == 403
                message = first["status"]["message"]
                assert "[vulnerability-gate] unscanned: images not scanned yet" in message
            else:
                assert first["allowed"] is True
                message = first["auditAnnotations"]["vulnerability-gate"]
                assert any("unscanned" in w for w in first.get("warnings", []))
            assert f"{image} (scan started)" in message
            assert "latency budget" not in json.dumps(first)
            report = tmp_path / "scans" / report_name(image)
            deadline = time.monotonic() + WAIT
            while not report.is_file():
                assert time.monotonic() < deadline, "the on-demand scan wrote no report"
                time.sleep(0.1)
            later = _post(client, image)
            while "not scanned yet" in json.dumps(later):  # the report landed mid-request
                assert time.monotonic() < deadline
                time.sleep(0.1)
                later = _post(client, image)
    finally:
        for policy in policies:
            if isinstance(policy, VulnGatePolicy):
                policy.close()
    assert later["allowed"] is False and later["status"]["code"] == 403
    message = later["status"]["message"]
    assert "[vulnerability-gate] vulnerabilities:" in message and expected[0] in message
    assert "unscanned" not in message
