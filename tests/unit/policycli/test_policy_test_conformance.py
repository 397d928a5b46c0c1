"""``hardhull policy test`` behaviour found by running kyverno/policies' own suites.

Each test is a small suite of our own, written from Kyverno's documented behaviour,
that failed before the matching fix.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from hardhull.policy.testrunner import run_test_file


def _suite(tmp_path: Path, files: dict[str, str]) -> dict[tuple[str, str, str], str]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    cases, errors = run_test_file(tmp_path / "kyverno-test.yaml")
    assert not [e for e in errors if e.fatal], errors
    return {(c.rule, c.kind, c.resource): c.actual for c in cases}


NS_POLICY = """\
    apiVersion: kyverno.io/v1
    kind: ClusterPolicy
    metadata:
      name: p
    spec:
      rules:
      - name: cel-ns
        match:
          any:
          - resources:
              kinds: [ConfigMap]
        validate:
          cel:
            expressions:
            - expression: "namespaceObject.metadata.name != 'default'"
      - name: jmespath-ns
        match:
          any:
          - resources:
              kinds: [ConfigMap]
        validate:
          deny:
            conditions:
              any:
              - key: "{{ request.namespace }}"
                operator: Equals
                value: default
      - name: cluster-kind
        match:
          any:
          - resources:
              kinds: [ClusterRole]
        validate:
          cel:
            expressions:
            - expression: "namespaceObject == null"
    """

NS_RESOURCES = """\
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: unset
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: elsewhere
      namespace: team-a
    ---
    apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRole
    metadata:
      name: reader
    """

NS_TEST = """\
    name: ns
    policies: [policy.yaml]
    resources: [resources.yaml]
    results:
    - {policy: p, rule: cel-ns, kind: ConfigMap, resources: [unset], result: fail}
    - {policy: p, rule: cel-ns, kind: ConfigMap, resources: [default/unset], result: fail}
    - {policy: p, rule: cel-ns, kind: ConfigMap, resources: [team-a/elsewhere], result: pass}
    - {policy: p, rule: jmespath-ns, kind: ConfigMap, resources: [unset], result: fail}
    - {policy: p, rule: jmespath-ns, kind: ConfigMap, resources: [elsewhere], result: pass}
    - {policy: p, rule: cluster-kind, kind: ClusterRole, resources: [reader], result: pass}
    """


def test_a_namespaced_resource_without_namespace_is_in_default(tmp_path: Path) -> None:
    got = _suite(
        tmp_path,
        {"policy.yaml": NS_POLICY, "resources.yaml": NS_RESOURCES, "kyverno-test.yaml": NS_TEST},
    )
    assert got[("cel-ns", "ConfigMap", "unset")] == "fail"
    assert got[("cel-ns", "ConfigMap", "default/unset")] == "fail"
    assert got[("cel-ns", "ConfigMap", "team-a/elsewhere")] == "pass"
    assert got[("jmespath-ns", "ConfigMap", "unset")] == "fail"
    assert got[("jmespath-ns", "ConfigMap", "elsewhere")] == "pass"
    # a cluster-scoped kind stays outside any namespace
    assert got[("cluster-kind", "ClusterRole", "reader")] == "pass"


VPOL = """\
    apiVersion: policies.kyverno.io/v1
    kind: ValidatingPolicy
    metadata:
      name: vp
    spec:
      validationActions: [Audit]
      matchConstraints:
        resourceRules:
        - apiGroups: ['']
          apiVersions: [v1]
          operations: [CREATE, UPDATE]
          resources: [pods]
      validations:
      - expression: "object.spec.containers.all(c, c.image.contains(':'))"
      - expression: "object.spec.containers.all(c, !c.image.endsWith(':latest'))"
    """

VPOL_RESOURCES = """\
    apiVersion: v1
    kind: Pod
    metadata: {name: tagged}
    spec:
      containers: [{name: c, image: "nginx:1.27"}]
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: latest}
    spec:
      containers: [{name: c, image: "nginx:latest"}]
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      template:
        spec:
          containers: [{name: c, image: "nginx:latest"}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: svc}
    """

VPOL_TEST = """\
    apiVersion: cli.kyverno.io/v1alpha1
    kind: Test
    metadata: {name: vpol}
    policies: [policy.yaml]
    resources: [resources.yaml]
    results:
    - {isValidatingPolicy: true, policy: vp, kind: Pod, resources: [tagged], result: pass}
    - {isValidatingPolicy: true, policy: vp, kind: Pod, resources: [latest], result: fail}
    - {isValidatingPolicy: true, policy: vp, kind: Deployment, resources: [web], result: fail}
    - {isValidatingPolicy: true, policy: vp, kind: Service, resources: [svc], result: skip}
    """


def test_validating_policy_results_without_a_rule_are_the_policy_verdict(
    tmp_path: Path,
) -> None:
    got = _suite(
        tmp_path,
        {"policy.yaml": VPOL, "resources.yaml": VPOL_RESOURCES, "kyverno-test.yaml": VPOL_TEST},
    )
    # one check passes and one fails for 'latest': the policy fails
    assert got[("", "Pod", "latest")] == "fail"
    assert got[("", "Pod", "tagged")] == "pass"
    # the Deployment is checked through the generated Pod-controller variant
    assert got[("", "Deployment", "web")] == "fail"
    assert got[("", "Service", "svc")] == "skip"


def test_a_rule_named_on_a_validating_policy_result_is_not_looked_at(tmp_path: Path) -> None:
    flagged = """\
        name: vpol-rule
        policies: [policy.yaml]
        resources: [resources.yaml]
        results:
        - {isValidatingPolicy: true, policy: vp, rule: old-name, kind: Pod,
           resources: [latest], result: fail}
        - {isValidatingPolicy: true, policy: vp, rule: old-name, kind: Pod,
           resources: [tagged], result: pass}
        - {policy: vp, rule: old-name, kind: Pod, resources: [latest], result: skip}
        """
    cases = _suite(
        tmp_path,
        {"policy.yaml": VPOL, "resources.yaml": VPOL_RESOURCES, "kyverno-test.yaml": flagged},
    )
    assert cases[("old-name", "Pod", "tagged")] == "pass"
    got, _ = run_test_file(tmp_path / "kyverno-test.yaml")
    # flagged: the policy's verdict; unflagged, the rule name must match (none does)
    assert [c.actual for c in got if c.resource == "latest"] == ["fail", "skip"]


def test_results_of_a_policy_that_did_not_load_are_errors(tmp_path: Path) -> None:
    unsupported = VPOL.replace(
        "validations:",
        "variables:\n      - name: cm\n"
        '        expression: resource.Get("v1", "configmaps", "ns", "x")\n'
        "      validations:",
    )
    expect_skip = """\
        name: not-loaded
        policies: [policy.yaml]
        resources: [resources.yaml]
        results:
        - {isValidatingPolicy: true, policy: vp, kind: Service, resources: [svc], result: skip}
        - {isValidatingPolicy: true, policy: vp, kind: Pod, resources: [tagged], result: pass}
        """
    for name, text in {
        "policy.yaml": unsupported,
        "resources.yaml": VPOL_RESOURCES,
        "kyverno-test.yaml": expect_skip,
    }.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    cases, errors = run_test_file(tmp_path / "kyverno-test.yaml")
    assert any("resource" in e.message for e in errors)
    # neither the expected skip nor the expected pass is granted
    assert [c.actual for c in cases] == ["error", "error"]
    assert all("not loaded" in c.detail for c in cases)


def test_unsupported_test_inputs_are_fatal_load_errors(tmp_path: Path) -> None:
    files = {
        "policy.yaml": VPOL,
        "resources.yaml": VPOL_RESOURCES,
        "kyverno-test.yaml": VPOL_TEST.replace("results:", "userinfo: user.yaml\n    results:"),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    cases, errors = run_test_file(tmp_path / "kyverno-test.yaml")
    fatal = [e.message for e in errors if e.fatal]
    assert fatal == ["userinfo: not supported by hardhull policy test"]
    assert len(cases) == 4  # the cases still run and are reported
