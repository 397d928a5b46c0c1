"""Custom posture checks as data: Kyverno and ValidatingAdmissionPolicy files via --policy."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hardhull.cli.main import cli

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
LATEST_TAG = FIXTURES / "kyverno" / "disallow-latest-tag" / "disallow-latest-tag.yaml"

PODS = """\
apiVersion: v1
kind: Pod
metadata: {name: untagged, namespace: shop}
spec:
  containers: [{name: c, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: tagged, namespace: shop}
spec:
  containers: [{name: c, image: nginx:1.27.3}]
"""

VAP = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: max-replicas}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments]
  validations:
  - expression: "object.spec.replicas <= 5"
    message: at most 5 replicas
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: max-replicas-binding}
spec:
  policyName: max-replicas
  validationActions: [Deny]
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: big, namespace: shop}
spec:
  replicas: {replicas}
  selector: {matchLabels: {app: big}}
  template:
    metadata: {labels: {app: big}}
    spec:
      containers: [{name: c, image: nginx:1.27.3}]
"""


def _scan(*args: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(cli, ["k8s", "scan", *args, "--pss", "baseline", "-f", "json"])
    return result.exit_code, json.loads(result.stdout) if result.exit_code == 0 else {}


def _custom(doc: dict[str, object], prefix: str) -> list[dict[str, object]]:
    findings = doc["findings"]
    assert isinstance(findings, list)
    return [f for f in findings if str(f["rule_id"]).startswith(prefix)]


def test_kyverno_policy_runs_as_a_posture_check(tmp_path: Path) -> None:
    pods = tmp_path / "pods.yaml"
    pods.write_text(PODS)
    code, doc = _scan(str(pods), "--policy", str(LATEST_TAG))
    assert code == 0
    failed = _custom(doc, "disallow-latest-tag/")
    assert [(f["rule_id"], f["resource"]["name"], f["resource"]["line"]) for f in failed] == [  # type: ignore[index]
        ("disallow-latest-tag/require-image-tag", "untagged", 1)
    ]
    assert failed[0]["kind"] == "policy" and failed[0]["status"] == "fail"


def test_validating_admission_policy_runs_as_a_posture_check(tmp_path: Path) -> None:
    policy = tmp_path / "vap.yaml"
    policy.write_text(VAP)
    big, small = tmp_path / "big.yaml", tmp_path / "small.yaml"
    big.write_text(DEPLOYMENT.replace("{replicas}", "10"))
    small.write_text(DEPLOYMENT.replace("{replicas}", "3").replace("name: big,", "name: ok,"))
    code, doc = _scan(str(big), str(small), "--policy", str(policy))
    assert code == 0
    failed = _custom(doc, "max-replicas")
    assert [f["resource"]["name"] for f in failed] == ["big"]  # type: ignore[index]
    assert "at most 5 replicas" in str(failed[0]["message"])


def test_broken_policy_file_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nspec: [unclosed\n")
    pods = tmp_path / "pods.yaml"
    pods.write_text(PODS)
    result = CliRunner().invoke(cli, ["k8s", "scan", str(pods), "--policy", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml:" in result.output and "malformed YAML" in result.output
    assert "Traceback" not in result.output
