"""Kyverno JMESPath functions: unknown ones are load errors; trim_prefix, to_boolean and
path_canonicalize behave as Kyverno documents them."""

from __future__ import annotations

import pytest

from hardhull.policy.base import AdmissionInput, Result
from hardhull.policy.kyverno.variables import VariableError, compile_expr, query
from hardhull.policy.loader import compile_documents, parse_documents

POLICY = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: fns}
spec:
  rules:
  - name: unknown-fn
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    validate:
      deny:
        conditions:
          any: [{key: "{{ no_such_fn(request.object.kind) }}", operator: Equals, value: x}]
  - name: known-fn
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    validate:
      deny:
        conditions:
          any: [{key: "{{ to_upper(request.object.kind) }}", operator: Equals, value: CONFIGMAP}]
"""


def test_an_unknown_function_is_a_load_error_and_its_rule_an_error() -> None:
    docs, _ = parse_documents(POLICY, "fns.yaml")
    loaded = compile_documents(docs)
    messages = [f"{e.pos}: {e.message}" for e in loaded.errors]
    assert len(messages) == 1
    assert messages[0].startswith("fns.yaml:6: ")
    assert "unsupported function(s) no_such_fn" in messages[0]
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}}
    inp = AdmissionInput(obj=obj, kind="ConfigMap", api_version="v1", namespace="n", name="c")
    got = {r.rule: r.result for r in loaded.policies[0].evaluate(inp)}
    assert got == {"unknown-fn": Result.ERROR, "known-fn": Result.FAIL}


def test_unknown_functions_are_found_nested_and_in_pipes() -> None:
    with pytest.raises(VariableError, match="frob, zap"):
        compile_expr("length(frob(a)) | zap(@)")
    assert compile_expr("length(split(a, ','))") is not None
    assert query("length(split(a, ','))", {"a": "x,y,z"}) == 3  # known functions still run


@pytest.mark.parametrize(
    ("expr", "want"),
    [
        ("trim_prefix('kyverno.io/team', 'kyverno.io/')", "team"),
        ("trim_prefix('team', 'kyverno.io/')", "team"),
        ("to_boolean('True')", True),
        ("to_boolean('false')", False),
        ("path_canonicalize('/var/run/../run//docker.sock')", "/var/run/docker.sock"),
        ("path_canonicalize('/var/./lib/')", "/var/lib"),
        ("path_canonicalize('a/../../b')", "../b"),
    ],
)
def test_string_functions(expr: str, want: object) -> None:
    assert query(expr, {}) == want


def test_to_boolean_rejects_other_strings() -> None:
    with pytest.raises(VariableError, match="to_boolean"):
        query("to_boolean('yes')", {})
