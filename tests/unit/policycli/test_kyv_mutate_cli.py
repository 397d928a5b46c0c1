"""``policy test`` with ``patchedResource`` and ``policy apply`` on mutate rules
(the case of kyverno/policies ``add-default-securitycontext``, in hardhull's own files)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hardhull.cli.main import cli

POLICY = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: default-run-as}
spec:
  rules:
  - name: pod-security-context
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate:
      patchStrategicMerge:
        spec:
          securityContext:
            +(runAsUser): 1000
            +(fsGroup): 2000
  - name: broken-patch
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate:
      patchesJson6902: |-
        - {op: test, path: /metadata/name, value: never}
"""

RESOURCES = """\
apiVersion: v1
kind: Pod
metadata: {name: plain}
spec:
  containers: [{name: app, image: app:1}]
---
apiVersion: v1
kind: Pod
metadata: {name: preset}
spec:
  securityContext: {runAsUser: 5, fsGroup: 6}
  containers: [{name: app, image: app:1}]
"""

PATCHED = """\
apiVersion: v1
kind: Pod
metadata: {name: plain}
spec:
  securityContext: {runAsUser: 1000, fsGroup: %s}
  containers: [{name: app, image: app:1}]
"""

TEST = """\
apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata: {name: mutate-suite}
policies: [policy.yaml]
resources: [resources.yaml]
results:
- {policy: default-run-as, rule: pod-security-context, kind: Pod, resources: [plain],
   patchedResource: patched.yaml, result: pass}
- {policy: default-run-as, rule: pod-security-context, kind: Pod, resources: [preset],
   result: skip}
- {policy: default-run-as, rule: broken-patch, kind: Pod, resources: [plain], result: error}
"""


def _suite(tmp_path: Path, fs_group: str) -> Path:
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "resources.yaml").write_text(RESOURCES)
    (tmp_path / "patched.yaml").write_text(PATCHED % fs_group)
    (tmp_path / "kyverno-test.yaml").write_text(TEST)
    return tmp_path


def test_patched_resource_matches(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["policy", "test", str(_suite(tmp_path, "2000"))])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "3 passed, 0 failed"


def test_patched_resource_mismatch_fails_the_case(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["policy", "test", str(_suite(tmp_path, "7"))])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[-1] == "2 passed, 1 failed"
    [failed] = [line for line in lines if line.startswith("FAIL")]
    assert "pod-security-context Pod/plain (expected pass, got fail)" in failed
    assert "differs from patched.yaml at /spec/securityContext/fsGroup" in failed


def test_apply_reports_mutate_results(tmp_path: Path) -> None:
    suite = _suite(tmp_path, "2000")
    result = CliRunner().invoke(
        cli,
        [
            "policy",
            "apply",
            str(suite / "policy.yaml"),
            "--resource",
            str(suite / "resources.yaml"),
            "--format",
            "json",
            "--fail-on",
            "error",
        ],
    )
    rows = json.loads(result.output)
    by = {(r["resource"]["name"], r["rule"]): (r["result"], r["message"]) for r in rows}
    assert by[("plain", "pod-security-context")] == ("pass", "resource patched")
    assert by[("preset", "pod-security-context")] == ("skip", "no patches applied")
    assert by[("plain", "broken-patch")][0] == "error"
    assert "test failed at /metadata/name" in by[("plain", "broken-patch")][1]
    assert result.exit_code == 1  # --fail-on error


LABEL_POLICIES = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: require-team}
spec:
  rules:
  - name: check-team
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    validate:
      message: a team label is required
      pattern: {metadata: {labels: {team: "?*"}}}
---
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: default-team}
spec:
  rules:
  - name: add-team
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    mutate:
      patchStrategicMerge: {metadata: {labels: {+(team): platform}}}
  - name: check-team-here-too
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    validate:
      pattern: {metadata: {labels: {team: "?*"}}}
"""


def test_validation_sees_every_mutation_as_in_the_kyverno_cli(tmp_path: Path) -> None:
    # As `kyverno apply`/`kyverno test`: all mutate rules first (the later policy's too),
    # then every validate rule on the mutated object, whatever the policy order.
    (tmp_path / "policies.yaml").write_text(LABEL_POLICIES)
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    result = CliRunner().invoke(
        cli,
        ["policy", "apply", str(tmp_path / "policies.yaml"), "--resource",
         str(tmp_path / "cm.yaml"), "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = [(r["policy"], r["rule"], r["result"]) for r in json.loads(result.stdout)]
    assert rows == [
        ("default-team", "add-team", "pass"),
        ("require-team", "check-team", "pass"),
        ("default-team", "check-team-here-too", "pass"),
    ]
