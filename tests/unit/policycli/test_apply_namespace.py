"""``policy apply`` evaluates a namespaced manifest without a namespace in ``default``
(where it would be created), as ``policy test`` and the Kyverno CLI do; cluster-scoped
kinds have none."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hardhull.cli.main import cli

POLICY = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: no-default-namespace}
spec:
  rules:
  - name: deny-default
    match: {any: [{resources: {kinds: [ConfigMap, ClusterRole]}}]}
    validate:
      message: "namespace is '{{ request.namespace }}'"
      deny:
        conditions:
          any: [{key: "{{ request.namespace }}", operator: Equals, value: default}]
"""

RESOURCES = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: unset}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: set, namespace: team-a}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-wide}
"""


def test_namespaced_manifest_without_namespace_is_in_default(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "resources.yaml").write_text(RESOURCES)
    result = CliRunner().invoke(
        cli,
        ["policy", "apply", str(tmp_path / "policy.yaml"), "--resource",
         str(tmp_path / "resources.yaml"), "--format", "json", "--fail-on", "none"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    got = {r["resource"]["name"]: r["result"] for r in json.loads(result.stdout)}
    assert got == {"unset": "fail", "set": "pass", "cluster-wide": "pass"}
