"""Kyverno mutate rules: strategic merge with anchors, JSON patches, foreach, autogen,
sequential rules, and load errors for malformed mutate specs."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import pytest

from hardhull.policy import jsonpatch
from hardhull.policy.base import AdmissionInput, Result, RuleResult
from hardhull.policy.kyverno.strategic import strategic_merge
from hardhull.policy.loader import compile_documents, parse_documents

HEAD = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: mut}
spec:
  rules:
"""


def _pod(containers: Sequence[dict[str, Any]], **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "team", **meta},
        "spec": {"containers": [dict(c) for c in containers]},
    }


def _policy(rules: str, *, errors_ok: bool = False) -> Any:
    docs, errs = parse_documents(HEAD + rules, "mut.yaml")
    assert not errs
    loaded = compile_documents(docs)
    if not errors_ok:
        assert not loaded.errors, loaded.errors
    [policy] = loaded.policies
    return policy, loaded.errors


def _mutate(rules: str, obj: dict[str, Any]) -> tuple[list[RuleResult], dict[str, Any]]:
    """Evaluate; check each patch applies to the object its rule saw; return the final object."""
    policy, _ = _policy(rules)
    before = copy.deepcopy(obj)
    inp = AdmissionInput(
        obj=obj, kind=obj["kind"], api_version=obj["apiVersion"], namespace="team", name="p"
    )
    results = list(policy.evaluate(inp))
    assert obj == before  # evaluation never changes the request object
    current: Any = obj
    for r in results:
        if r.result is Result.PASS:
            assert r.patch, r
            current = jsonpatch.apply(current, r.patch)
        else:
            assert not r.patch
    return results, current


def _rule(name: str, mutate: str, kinds: str = "[Pod]") -> str:
    body = "\n".join("      " + line for line in mutate.strip("\n").splitlines())
    return f"""\
  - name: {name}
    match: {{any: [{{resources: {{kinds: {kinds}}}}}]}}
    mutate:
{body}
"""


LATEST_PULL_POLICY = _rule(
    "pull-policy",
    """
patchStrategicMerge:
  spec:
    containers:
    - (image): "*:latest"
      imagePullPolicy: IfNotPresent
""",
)


def test_conditional_anchor_applies_to_each_matching_list_element() -> None:
    pod = _pod([{"name": "a", "image": "nginx:latest"}, {"name": "b", "image": "redis:7"}])
    [res], out = _mutate(LATEST_PULL_POLICY, pod)
    assert res.result is Result.PASS
    assert res.message == "resource patched"
    assert out["spec"]["containers"] == [
        {"name": "a", "image": "nginx:latest", "imagePullPolicy": "IfNotPresent"},
        {"name": "b", "image": "redis:7"},
    ]
    assert res.patch == (
        {"op": "add", "path": "/spec/containers/0/imagePullPolicy", "value": "IfNotPresent"},
    )


def test_nothing_matched_is_skip_with_no_patch() -> None:
    [res], out = _mutate(LATEST_PULL_POLICY, _pod([{"name": "b", "image": "redis:7"}]))
    assert res.result is Result.SKIP
    assert res.message == "no patches applied"
    assert out == _pod([{"name": "b", "image": "redis:7"}])


ADD_DEFAULTS = _rule(
    "defaults",
    """
patchStrategicMerge:
  metadata:
    labels:
      +(team): platform
  spec:
    containers:
    - (name): "*"
      securityContext:
        +(runAsNonRoot): true
      resources:
        +(limits):
          memory: 256Mi
""",
)


def test_add_if_not_present_never_overwrites() -> None:
    pod = _pod(
        [
            {"name": "a", "securityContext": {"runAsNonRoot": False}},
            {"name": "b", "resources": {"limits": {"cpu": "1"}}},
        ],
        labels={"team": "web"},
    )
    [res], out = _mutate(ADD_DEFAULTS, pod)
    assert res.result is Result.PASS
    assert out["metadata"]["labels"] == {"team": "web"}
    a, b = out["spec"]["containers"]
    assert a["securityContext"] == {"runAsNonRoot": False}
    assert a["resources"] == {"limits": {"memory": "256Mi"}}
    assert b["securityContext"] == {"runAsNonRoot": True}
    assert b["resources"] == {"limits": {"cpu": "1"}}


def test_add_if_not_present_adds_missing_labels_map() -> None:
    [res], out = _mutate(ADD_DEFAULTS, _pod([{"name": "a"}]))
    assert res.result is Result.PASS
    assert out["metadata"]["labels"] == {"team": "platform"}
    assert out["spec"]["containers"][0]["securityContext"] == {"runAsNonRoot": True}


def test_already_defaulted_resource_is_skip() -> None:
    pod = _pod(
        [{"name": "a", "securityContext": {"runAsNonRoot": True}, "resources": {"limits": {}}}],
        labels={"team": "x"},
    )
    [res], _ = _mutate(ADD_DEFAULTS, pod)
    assert res.result is Result.SKIP


GLOBAL = _rule(
    "pull-secret",
    """
patchStrategicMerge:
  spec:
    containers:
    - <(image): "registry.corp/*"
    imagePullSecrets:
    - name: corp-creds
""",
)


def test_global_anchor_gates_the_whole_patch() -> None:
    corp = _pod([{"name": "a", "image": "docker.io/x"}, {"name": "b", "image": "registry.corp/y"}])
    [res], out = _mutate(GLOBAL, corp)
    assert res.result is Result.PASS
    assert out["spec"]["imagePullSecrets"] == [{"name": "corp-creds"}]
    assert out["spec"]["containers"] == corp["spec"]["containers"]
    [res], out = _mutate(GLOBAL, _pod([{"name": "a", "image": "docker.io/x"}]))
    assert res.result is Result.SKIP
    assert "imagePullSecrets" not in out["spec"]


def test_conditional_anchor_outside_a_list_skips_the_patch() -> None:
    rules = _rule(
        "host-network-dns",
        """
patchStrategicMerge:
  spec:
    (hostNetwork): true
    dnsPolicy: ClusterFirstWithHostNet
""",
    )
    [res], out = _mutate(rules, _pod([{"name": "a"}]))
    assert res.result is Result.SKIP
    pod = _pod([{"name": "a"}])
    pod["spec"]["hostNetwork"] = True
    [res], out = _mutate(rules, pod)
    assert res.result is Result.PASS
    assert out["spec"]["dnsPolicy"] == "ClusterFirstWithHostNet"


def test_lists_merge_by_name_and_scalar_lists_replace() -> None:
    rules = _rule(
        "sidecar",
        """
patchStrategicMerge:
  metadata:
    annotations:
      old: null
  spec:
    containers:
    - name: app
      args: ["--safe"]
      env:
      - name: MODE
        value: prod
    - name: proxy
      image: envoy:1
    volumes:
    - name: cache
      emptyDir: {}
""",
    )
    pod = _pod(
        [
            {
                "name": "app",
                "image": "app:1",
                "args": ["--a", "--b"],
                "env": [{"name": "MODE", "value": "dev"}, {"name": "KEEP", "value": "1"}],
            }
        ],
        annotations={"old": "x", "keep": "y"},
    )
    [res], out = _mutate(rules, pod)
    assert res.result is Result.PASS
    assert out["metadata"]["annotations"] == {"keep": "y"}
    app, proxy = out["spec"]["containers"]
    assert app == {
        "name": "app",
        "image": "app:1",
        "args": ["--safe"],
        "env": [{"name": "MODE", "value": "prod"}, {"name": "KEEP", "value": "1"}],
    }
    assert proxy == {"name": "proxy", "image": "envoy:1"}
    assert out["spec"]["volumes"] == [{"name": "cache", "emptyDir": {}}]


def test_overlay_variables_are_substituted() -> None:
    rules = _rule(
        "owner-label",
        """
patchStrategicMerge:
  metadata:
    labels:
      owner: "{{ request.object.metadata.namespace }}-team"
""",
    )
    [res], out = _mutate(rules, _pod([{"name": "a"}]))
    assert res.result is Result.PASS
    assert out["metadata"]["labels"] == {"owner": "team-team"}


def test_strategic_merge_keeps_the_input_unchanged() -> None:
    pod = _pod([{"name": "a", "image": "x:latest"}])
    before = copy.deepcopy(pod)
    overlay = {"spec": {"containers": [{"(image)": "*:latest", "imagePullPolicy": "Always"}]}}
    out = strategic_merge(pod, overlay)
    assert pod == before
    assert out["spec"]["containers"][0]["imagePullPolicy"] == "Always"


JSON_PATCH = _rule(
    "json",
    """
patchesJson6902: |-
  - op: add
    path: /metadata/labels/source
    value: "{{ request.object.metadata.name }}"
  - op: replace
    path: /spec/containers/0/image
    value: mirror.corp/app:1
  - op: remove
    path: /metadata/annotations/not-there
""",
)


def test_json6902_ops_with_variables_and_lenient_paths() -> None:
    [res], out = _mutate(JSON_PATCH, _pod([{"name": "a", "image": "app:1"}]))
    assert res.result is Result.PASS
    assert out["metadata"]["labels"] == {"source": "p"}
    assert out["spec"]["containers"][0]["image"] == "mirror.corp/app:1"


def test_json6902_that_cannot_apply_is_error() -> None:
    failing_test = _rule(
        "guarded",
        """
patchesJson6902: |-
  [{"op": "test", "path": "/metadata/name", "value": "other"},
   {"op": "add", "path": "/metadata/labels/x", "value": "1"}]
""",
    )
    [res], out = _mutate(failing_test, _pod([{"name": "a"}]))
    assert res.result is Result.ERROR
    assert "test failed" in res.message
    assert "labels" not in out["metadata"]
    bad_index = _rule(
        "index",
        """
patchesJson6902: |-
  - {op: replace, path: /spec/containers/5/image, value: x}
""",
    )
    [res], _ = _mutate(bad_index, _pod([{"name": "a"}]))
    assert res.result is Result.ERROR
    assert "out of range" in res.message


def test_foreach_json6902_over_containers_with_preconditions() -> None:
    rules = _rule(
        "cpu-requests",
        """
foreach:
- list: request.object.spec.containers
  preconditions:
    all:
    - {key: "{{ element.name }}", operator: NotEquals, value: istio-proxy}
  patchesJson6902: |-
    - op: add
      path: /spec/containers/{{ elementIndex }}/resources/requests/cpu
      value: 100m
""",
    )
    pod = _pod([{"name": "a"}, {"name": "istio-proxy"}, {"name": "c", "resources": {}}])
    [res], out = _mutate(rules, pod)
    assert res.result is Result.PASS
    a, proxy, c = out["spec"]["containers"]
    assert a["resources"] == {"requests": {"cpu": "100m"}}
    assert "resources" not in proxy
    assert c["resources"] == {"requests": {"cpu": "100m"}}


def test_foreach_strategic_merge_uses_element_and_descending_order() -> None:
    rules = _rule(
        "drop-privileged",
        """
foreach:
- list: request.object.spec.containers
  patchStrategicMerge:
    spec:
      containers:
      - name: "{{ element.name }}"
        securityContext:
          privileged: false
- list: request.object.spec.containers
  order: Descending
  preconditions:
    any:
    - {key: "{{ element.name }}", operator: Equals, value: "debug-*"}
  patchesJson6902: |-
    - {op: remove, path: "/spec/containers/{{ elementIndex }}"}
""",
    )
    pod = _pod([{"name": "debug-1"}, {"name": "a"}, {"name": "debug-2"}])
    [res], out = _mutate(rules, pod)
    assert res.result is Result.PASS
    assert out["spec"]["containers"] == [{"name": "a", "securityContext": {"privileged": False}}]
    [res], _ = _mutate(rules, _pod([]))
    assert res.result is Result.SKIP


def test_rules_mutate_in_order_each_seeing_the_previous_result() -> None:
    rules = _rule(
        "first",
        """
patchStrategicMerge:
  metadata:
    labels:
      stage: one
""",
    ) + _rule(
        "second",
        """
patchStrategicMerge:
  metadata:
    labels:
      (stage): one
      copied: "{{ request.object.metadata.labels.stage }}"
""",
    )
    first, second = _mutate(rules, _pod([{"name": "a"}]))[0]
    assert (first.result, second.result) == (Result.PASS, Result.PASS)
    assert second.patch == ({"op": "add", "path": "/metadata/labels/copied", "value": "one"},)


def test_autogen_mutate_rules_for_deployment_and_cronjob() -> None:
    policy, _ = _policy(ADD_DEFAULTS)
    names = [r.name for r in policy.rules]
    assert names == ["defaults", "autogen-defaults", "autogen-cronjob-defaults"]
    template = {"metadata": {"labels": {"app": "w"}}, "spec": {"containers": [{"name": "w"}]}}
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "team"},
        "spec": {"template": copy.deepcopy(template)},
    }
    [res], out = _mutate(ADD_DEFAULTS, deploy)
    assert (res.rule, res.result) == ("autogen-defaults", Result.PASS)
    pod_spec = out["spec"]["template"]
    assert pod_spec["metadata"]["labels"] == {"app": "w", "team": "platform"}
    assert pod_spec["spec"]["containers"][0]["securityContext"] == {"runAsNonRoot": True}
    assert "labels" not in out["metadata"]
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "c", "namespace": "team"},
        "spec": {"jobTemplate": {"spec": {"template": copy.deepcopy(template)}}},
    }
    [res], out = _mutate(ADD_DEFAULTS, cron)
    assert (res.rule, res.result) == ("autogen-cronjob-defaults", Result.PASS)
    job_pod = out["spec"]["jobTemplate"]["spec"]["template"]
    assert job_pod["spec"]["containers"][0]["resources"] == {"limits": {"memory": "256Mi"}}


def test_json6902_rules_are_not_autogenerated() -> None:
    policy, _ = _policy(JSON_PATCH)
    assert [r.name for r in policy.rules] == ["json"]


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        ("patchStrategicMerge: [a, b]", "patchStrategicMerge must be a map"),
        ('patchesJson6902: "op: add"', "must be a list of operations"),
        (
            'patchesJson6902: "[{op: frobnicate, path: /a}]"',
            "unknown op 'frobnicate'",
        ),
        ('patchesJson6902: "- {op: add, path: /a}"', "value is required"),
        ("patchesJson6902: {op: add}", "must be a string"),
        ("patchStrategicMerge: {spec: {X(hostPID): true}}", "anchor X() at /spec/hostPID"),
        ("patchStrategicMerge: {spec: {$patch: replace}}", "directive $patch"),
        ("targets: [{kind: Pod}]\npatchStrategicMerge: {}", "mutate.targets"),
        ("{}", "needs exactly one of"),
        ("foreach: [{list: x, foreach: []}]", "nested foreach"),
        ("foreach: {list: x}", "mutate.foreach must be a list"),
        ("foreach: [{list: 'x[', patchStrategicMerge: {}}]", "x["),
        (
            "foreach: [{list: x, patchStrategicMerge: {}, order: Sideways}]",
            "order must be",
        ),
    ],
)
def test_malformed_mutate_specs_are_load_errors(mutate: str, reason: str) -> None:
    rules = "  - name: broken\n    match: {any: [{resources: {kinds: [Pod]}}]}\n"
    rules += "    mutate:\n" + "\n".join("      " + line for line in mutate.splitlines()) + "\n"
    policy, errors = _policy(rules, errors_ok=True)
    [err] = errors
    assert reason in err.message
    assert (err.pos.file, err.pos.line) == ("mut.yaml", 6)
    assert [r.name for r in policy.rules] == ["broken"]  # never autogenerated
    inp = AdmissionInput(obj=_pod([{"name": "a"}]), kind="Pod", namespace="team", name="p")
    [res] = policy.evaluate(inp)
    assert res.result is Result.ERROR
    assert not res.patch


def test_validate_rules_see_the_object_as_received() -> None:
    rules = _rule(
        "default-non-root",
        """
patchStrategicMerge:
  spec:
    securityContext:
      +(runAsNonRoot): true
""",
    )
    rules += """\
  - name: require-non-root
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      pattern: {spec: {securityContext: {runAsNonRoot: true}}}
"""
    mutated, validated = _mutate(rules, _pod([{"name": "a"}]))[0]
    assert mutated.result is Result.PASS
    # on /validate the API server sends the object after mutation; hardhull never
    # validates a mutation it has not seen applied
    assert validated.result is Result.FAIL


SAFE_TO_EVICT = _rule(
    "annotate-empty-dir",
    """
patchStrategicMerge:
  metadata:
    annotations:
      +(cluster-autoscaler.kubernetes.io/safe-to-evict): "true"
  spec:
    volumes:
    - <(emptyDir): {}
""",
)


@pytest.mark.parametrize(
    ("volumes", "expected"),
    [
        ([{"name": "cfg", "configMap": {"name": "c"}}, {"name": "tmp", "emptyDir": {}}], True),
        ([{"name": "cfg", "configMap": {"name": "c"}}], False),
        (None, False),
    ],
)
def test_global_anchor_in_a_list_element(volumes: Any, expected: bool) -> None:
    pod = _pod([{"name": "a"}])
    if volumes is not None:
        pod["spec"]["volumes"] = volumes
    [res], out = _mutate(SAFE_TO_EVICT, pod)
    assert res.result is (Result.PASS if expected else Result.SKIP)
    annotations = out["metadata"].get("annotations", {})
    assert ("cluster-autoscaler.kubernetes.io/safe-to-evict" in annotations) is expected
    assert out["spec"].get("volumes") == volumes
