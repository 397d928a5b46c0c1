"""Nested ``foreach`` in Kyverno validate rules: per-level ``element<N>``/``elementIndex<N>``,
preconditions per level, deny / pattern / anyPattern at the innermost level, elementScope."""

from __future__ import annotations

from typing import Any

from hardhull.policy.base import AdmissionInput, Result, RuleResult
from hardhull.policy.loader import compile_documents, parse_documents


def _policy(kind: str, validate: str) -> str:
    body = "\n".join("      " + line for line in validate.strip().splitlines())
    return f"""\
apiVersion: kyverno.io/v2beta1
kind: ClusterPolicy
metadata: {{name: nested}}
spec:
  validationFailureAction: Enforce
  rules:
  - name: nested
    match: {{any: [{{resources: {{kinds: [{kind}]}}}}]}}
    validate:
{body}
"""


def _one(text: str, obj: dict[str, Any]) -> RuleResult:
    docs, errs = parse_documents(text, "nested.yaml")
    assert not errs
    loaded = compile_documents(docs)
    assert not loaded.errors, loaded.errors
    inp = AdmissionInput(obj=obj, kind=obj["kind"], namespace="default", name="x")
    results = [r for p in loaded.policies for r in p.evaluate(inp)]
    assert len(results) == 1, results
    return results[0]


TLS = """
message: "All TLS hosts must use a domain of old.com."
foreach:
- list: request.object.spec.tls[]
  foreach:
  - list: "element.hosts"
    deny:
      conditions:
        all:
        - key: "{{element}}"
          operator: Equals
          value: "*.new.com"
"""


def _ingress(*tls: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "kuard"},
        "spec": {"tls": [{"hosts": hosts, "secretName": f"s{i}"} for i, hosts in enumerate(tls)]},
    }


def test_nested_deny_on_inner_elements() -> None:
    text = _policy("Ingress", TLS)
    good = _ingress(["kuard.old.com"], ["hr.old.com"])
    assert _one(text, good).result == Result.PASS
    bad = _ingress(["kuard.old.com", "kuard-foo.new.com"], ["hr.old.com"])
    result = _one(text, bad)
    assert result.result == Result.FAIL
    assert "All TLS hosts must use a domain of old.com." in result.message
    assert "foreach element 0: foreach element 1" in result.message
    # nothing to iterate: the rule does not apply
    assert _one(text, _ingress()).result == Result.SKIP


def _pod(*containers: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "x"},
        "spec": {"containers": list(containers)},
    }


ENV = """
message: >-
  container {{ elementIndex0 }} ({{ element0.name }})
  env {{ elementIndex1 }} is {{ element1.name }}
foreach:
- list: request.object.spec.containers
  foreach:
  - list: "element.env"
    preconditions:
      all:
      - {key: "{{ element.name }}", operator: NotEquals, value: "IGNORED_*"}
    deny:
      conditions:
        any:
        - key: "{{ starts_with(element1.name, to_upper(element0.name)) }}"
          operator: Equals
          value: false
"""


def test_element_and_index_per_level_and_inner_preconditions() -> None:
    text = _policy("Pod", ENV)
    ok = {"name": "web", "image": "x", "env": [{"name": "WEB_PORT"}, {"name": "IGNORED_X"}]}
    assert _one(text, _pod(ok)).result == Result.PASS
    bad = {"name": "db", "image": "x", "env": [{"name": "DB_HOST"}, {"name": "WEB_PORT"}]}
    result = _one(text, _pod(ok, bad))
    assert result.result == Result.FAIL
    assert "container 1 (db) env 1 is WEB_PORT" in result.message
    # every inner element excluded by the precondition: skip
    only_ignored = {"name": "web", "image": "x", "env": [{"name": "IGNORED_A"}]}
    assert _one(text, _pod(only_ignored)).result == Result.SKIP


PORTS = """
message: "only TCP ports"
foreach:
- list: request.object.spec.containers
  preconditions:
    all:
    - {key: "{{ element.name }}", operator: NotEquals, value: "debug"}
  foreach:
  - list: "element.ports"
    pattern:
      protocol: TCP
"""


def test_pattern_at_innermost_level_with_outer_preconditions() -> None:
    text = _policy("Pod", PORTS)
    tcp = {"name": "web", "image": "x", "ports": [{"containerPort": 80, "protocol": "TCP"}]}
    udp = {"name": "dns", "image": "x", "ports": [{"containerPort": 53, "protocol": "UDP"}]}
    assert _one(text, _pod(tcp)).result == Result.PASS
    failed = _one(text, _pod(tcp, udp))
    assert failed.result == Result.FAIL
    assert "foreach element 1: foreach element 0: rule failed at path /protocol/" in failed.message
    debug = {**udp, "name": "debug"}
    assert _one(text, _pod(tcp, debug)).result == Result.PASS


ANY = """
foreach:
- list: request.object.spec.containers
  foreach:
  - list: "element.ports"
    anyPattern:
    - {containerPort: "<1024"}
    - {name: "?*"}
"""


def test_any_pattern_at_innermost_level() -> None:
    text = _policy("Pod", ANY)
    c = {
        "name": "c",
        "image": "x",
        "ports": [{"containerPort": 80}, {"containerPort": 8080, "name": "h"}],
    }
    assert _one(text, _pod(c)).result == Result.PASS
    c["ports"].append({"containerPort": 9090})
    assert _one(text, _pod(c)).result == Result.FAIL


SCOPE = """
foreach:
- list: request.object.spec.containers
  foreach:
  - list: "element.ports"
    elementScope: false
    pattern:
      metadata:
        labels:
          exposes: "{{ element.containerPort }}"
"""


def test_element_scope_false_checks_the_whole_resource() -> None:
    text = _policy("Pod", SCOPE)
    pod = _pod({"name": "c", "image": "x", "ports": [{"containerPort": 80}]})
    assert _one(text, pod).result == Result.FAIL
    pod["metadata"]["labels"] = {"exposes": "80"}
    assert _one(text, pod).result == Result.PASS


THREE = """
message: >-
  {{ element0.metadata.name }}/{{ element1.name }}/{{ element2 }}
  at {{ elementIndex0 }}.{{ elementIndex1 }}.{{ elementIndex2 }}
foreach:
- list: request.object.items
  foreach:
  - list: element.spec.containers
    foreach:
    - list: element.args || `[]`
      deny:
        conditions:
          any:
          - {key: "{{ element }}", operator: Equals, value: "--privileged"}
"""


def test_three_levels() -> None:
    def pod(name: str, *args: str) -> dict[str, Any]:
        return {
            "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "args": list(args)}]},
        }

    lst = {"apiVersion": "v1", "kind": "List", "metadata": {"name": "x"}}
    lst["items"] = [pod("a", "-v"), pod("b", "-q", "--privileged")]
    result = _one(_policy("List", THREE), lst)
    assert result.result == Result.FAIL
    assert "b/c/--privileged at 1.0.1" in result.message
    lst["items"] = [pod("a", "-v")]
    assert _one(_policy("List", THREE), lst).result == Result.PASS


def test_bad_inner_condition_is_a_load_error() -> None:
    text = _policy(
        "Pod",
        """
foreach:
- list: request.object.spec.containers
  foreach:
  - list: element.ports
    deny:
      conditions:
        any:
        - {key: "{{ element.hostPort }}", operator: Bogus, value: 1}
""",
    )
    docs, _ = parse_documents(text, "nested.yaml")
    loaded = compile_documents(docs)
    assert len(loaded.errors) == 1
    assert "Bogus" in loaded.errors[0].message
    assert str(loaded.errors[0].pos) == "nested.yaml:7"


def test_message_starting_and_ending_with_variables_substitutes_each() -> None:
    from hardhull.policy.kyverno.variables import substitute

    data = {"element0": {"name": "a"}, "elementIndex1": 2}
    assert substitute("{{ element0.name }}/{{ elementIndex1 }}", data) == "a/2"
    assert substitute("{{ elementIndex1 }}", data) == 2  # a lone variable keeps its type
