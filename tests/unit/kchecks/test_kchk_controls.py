"""The controls catalog and the ``hardhull k8s frameworks`` command."""

from __future__ import annotations

import json

from click.testing import CliRunner

from hardhull.cli.k8s_frameworks import frameworks
from hardhull.posture.checks import CHECKS, CLUSTER_CHECKS
from hardhull.posture.controls import CONTROLS, FRAMEWORKS, control_by_id, controls_by_framework

PSS_IDS = {
    "privileged",
    "hostNamespaces",
    "hostPorts",
    "hostPathVolumes",
    "capabilities_baseline",
    "capabilities_restricted",
    "runAsNonRoot",
    "runAsUser",
    "seccompProfile_baseline",
    "seccompProfile_restricted",
    "allowPrivilegeEscalation",
    "appArmorProfile",
    "seLinuxOptions",
    "procMount",
    "sysctls",
    "restrictedVolumes",
    "windowsHostProcess",
    "hostProbesAndHostLifecycle",
}


def test_catalog_ids_unique_and_complete() -> None:
    ids = [c.id for c in CONTROLS]
    assert len(ids) == len(set(ids))
    assert set(ids) >= PSS_IDS
    checked = {c.id for check in CHECKS for c in check.controls}
    checked |= {c.id for cluster in CLUSTER_CHECKS for c in cluster.controls}
    assert checked == {i for i in ids if i.startswith("HH-K8S-")}


def test_every_control_is_documented() -> None:
    names = {name for name, _ in FRAMEWORKS}
    for c in CONTROLS:
        assert c.title and c.rationale and c.remediation
        assert {fw for fw, _ in c.frameworks} <= names


def test_known_mappings() -> None:
    cis = {ref: c.id for ref, c in controls_by_framework()["CIS Kubernetes Benchmark"]}
    assert cis["5.1.1"] == "HH-K8S-021"
    assert cis["5.1.8"] == "HH-K8S-022"
    escape = control_by_id("HH-K8S-012")
    assert escape is not None and ("MITRE ATT&CK Containers", "T1611") in escape.frameworks
    priv = control_by_id("privileged")
    assert priv is not None and ("Pod Security Standards", "baseline") in priv.frameworks


def test_frameworks_command_json_and_table() -> None:
    runner = CliRunner()
    doc = json.loads(runner.invoke(frameworks, ["--format", "json"]).output)
    by_name = {fw["name"]: fw for fw in doc["frameworks"]}
    assert list(by_name) == [name for name, _ in FRAMEWORKS]
    nist = {(r["framework_id"], r["id"]) for r in by_name["NIST SP 800-190"]["controls"]}
    assert ("4.1.4", "HH-K8S-008") in nist
    table = runner.invoke(frameworks, []).output
    assert "MITRE ATT&CK Containers:" in table
    assert "T1609" in table
