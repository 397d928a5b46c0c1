"""Kyverno ``validate.cel`` subrules: expressions, messages, variables, preconditions,
audit annotations, params, autogen and compile errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hardhull.policy.base import AdmissionInput, Result, RuleResult
from hardhull.policy.loader import compile_documents, parse_documents


def _rule(validate: str, kinds: str = "Deployment", extra: str = "") -> str:
    body = "\n".join("      " + line for line in validate.strip().splitlines())
    more = "\n".join("    " + line for line in extra.strip().splitlines())
    return f"""\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {{name: cel-policy}}
spec:
  validationFailureAction: Enforce
  rules:
  - name: check
    match: {{any: [{{resources: {{kinds: [{kinds}]}}}}]}}
{more}
    validate:
{body}
"""


def _load(text: str, params: Sequence[dict[str, Any]] = ()) -> tuple[list[Any], list[Any]]:
    docs, errs = parse_documents(text, "cel.yaml")
    assert not errs
    loaded = compile_documents(docs, params)
    return list(loaded.policies), list(loaded.errors)


def _deploy(replicas: int, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "staging-ns", "labels": labels or {}},
        "spec": {
            "replicas": replicas,
            "template": {"spec": {"containers": [{"name": "c", "image": "example.com/nginx"}]}},
        },
    }


NS = {"metadata": {"name": "staging-ns", "labels": {"environment": "staging"}}}


def _run(text: str, obj: dict[str, Any], params: Sequence[dict[str, Any]] = ()) -> list[RuleResult]:
    policies, errors = _load(text, params)
    assert not errors, errors
    inp = AdmissionInput(
        obj=obj,
        kind=obj["kind"],
        api_version=obj["apiVersion"],
        namespace="staging-ns",
        name="web",
        namespace_obj=NS,
    )
    return [r for p in policies for r in p.evaluate(inp)]


def _one(text: str, obj: dict[str, Any], params: Sequence[dict[str, Any]] = ()) -> RuleResult:
    results = _run(text, obj, params)
    assert len(results) == 1, results
    return results[0]


REPLICAS = """
cel:
  expressions:
  - expression: "object.spec.replicas < 4"
    message: "Deployment spec.replicas must be less than 4."
"""


def test_expression_pass_and_fail_with_message() -> None:
    assert _one(_rule(REPLICAS), _deploy(3)).result == Result.PASS
    failed = _one(_rule(REPLICAS), _deploy(5))
    assert failed.result == Result.FAIL
    assert "Deployment spec.replicas must be less than 4." in failed.message


def test_first_failing_expression_decides_and_default_message() -> None:
    text = _rule(
        """
cel:
  expressions:
  - expression: "object.spec.replicas > 0"
    message: first
  - expression: "object.metadata.name != 'web'"
  - expression: "object.spec.replicas < 2"
    message: third
"""
    )
    failed = _one(text, _deploy(5))
    assert failed.result == Result.FAIL
    assert "failed expression: object.metadata.name != 'web'" in failed.message
    assert "third" not in failed.message


def test_message_expression_variables_and_namespace_object() -> None:
    text = _rule(
        """
cel:
  variables:
  - name: environment
    expression: >-
      'environment' in namespaceObject.metadata.labels
      ? namespaceObject.metadata.labels['environment'] : 'prod'
  - name: exempt
    expression: >-
      has(object.metadata.labels) && 'exempt' in object.metadata.labels
      && object.metadata.labels['exempt'] == 'true'
  - name: containersToCheck
    expression: "object.spec.template.spec.containers.filter(c, c.image.contains('example.com/'))"
  expressions:
  - expression: >-
      variables.exempt || variables.containersToCheck.all(c,
      c.image.startsWith(variables.environment + '.'))
    messageExpression: >-
      'only ' + variables.environment + ' images are allowed in namespace '
      + namespaceObject.metadata.name
"""
    )
    failed = _one(text, _deploy(1))
    assert failed.result == Result.FAIL
    assert "only staging images are allowed in namespace staging-ns" in failed.message
    assert _one(text, _deploy(1, {"exempt": "true"})).result == Result.PASS
    good = _deploy(1)
    good["spec"]["template"]["spec"]["containers"][0]["image"] = "staging.example.com/nginx"
    assert _one(text, good).result == Result.PASS


def test_cel_preconditions_skip_the_rule() -> None:
    text = _rule(
        REPLICAS,
        extra="""
celPreconditions:
- name: only-big
  expression: "object.spec.replicas > 10"
""",
    )
    assert _one(text, _deploy(5)).result == Result.SKIP
    assert _one(text, _deploy(11)).result == Result.FAIL


def test_audit_annotations_are_reported() -> None:
    text = _rule(
        REPLICAS
        + """
  auditAnnotations:
  - key: replicas
    valueExpression: "'replicas: ' + string(object.spec.replicas)"
"""
    )
    result = _one(text, _deploy(5))
    assert result.result == Result.FAIL
    assert result.audit_annotations == (("cel-policy/replicas", "replicas: 5"),)


def test_runtime_error_is_an_error_result() -> None:
    text = _rule(
        """
cel:
  expressions:
  - expression: "object.spec.missing.field == 1"
"""
    )
    result = _one(text, _deploy(1))
    assert result.result == Result.ERROR
    assert "object.spec.missing.field == 1" in result.message
    assert "failurePolicy" not in result.message


PARAMS = """
cel:
  paramKind: {apiVersion: rules.example.com/v1, kind: ReplicaLimit}
  paramRef: {name: replica-limit, parameterNotFoundAction: %s}
  expressions:
  - expression: "object.spec.replicas < params.maxReplicas"
    messageExpression: "'Deployment spec.replicas must be less than ' + string(params.maxReplicas)"
"""
LIMIT = {
    "apiVersion": "rules.example.com/v1",
    "kind": "ReplicaLimit",
    "metadata": {"name": "replica-limit"},
    "maxReplicas": 4,
}


def test_param_kind_and_ref() -> None:
    text = _rule(PARAMS % "Deny")
    assert _one(text, _deploy(3), [LIMIT]).result == Result.PASS
    failed = _one(text, _deploy(4), [LIMIT])
    assert failed.result == Result.FAIL
    assert "Deployment spec.replicas must be less than 4" in failed.message
    missing = _one(text, _deploy(1))
    assert (missing.result, "no params found" in missing.message) == (Result.FAIL, True)
    assert _one(_rule(PARAMS % "Allow"), _deploy(1)).result == Result.SKIP


def test_autogen_rewrites_object_paths() -> None:
    text = _rule(
        """
cel:
  expressions:
  - expression: "object.spec.containers.all(c, !c.image.endsWith(':latest'))"
    message: "mutable tag"
""",
        kinds="Pod",
    )
    deploy = _deploy(1)
    assert _one(text, deploy).rule == "autogen-check"
    assert _one(text, deploy).result == Result.PASS
    deploy["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:latest"
    failed = _one(text, deploy)
    assert (failed.rule, failed.result) == ("autogen-check", Result.FAIL)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web"},
        "spec": {"containers": [{"name": "c", "image": "nginx:latest"}]},
    }
    assert _one(text, pod).result == Result.FAIL


def test_compile_error_is_a_load_error_naming_the_expression() -> None:
    text = _rule(
        """
cel:
  expressions:
  - expression: "object.spec.replicas <"
"""
    )
    policies, errors = _load(text)
    assert len(errors) == 1
    assert str(errors[0].pos) == "cel.yaml:7"
    assert "validate.cel.expressions[0].expression" in errors[0].message
    assert "'object.spec.replicas <'" in errors[0].message
    inp = AdmissionInput(obj=_deploy(1), kind="Deployment", namespace="staging-ns")
    assert [r.result for r in policies[0].evaluate(inp)] == [Result.ERROR]


def test_malformed_blocks_are_load_errors() -> None:
    cases = {
        "cel: {expressions: []}": "at least one expression",
        "cel: {expressions: [{expression: 'true'}], bogus: 1}": "unknown field(s) bogus",
        "cel:\n  paramRef: {name: x}\n  expressions: [{expression: 'true'}]": "paramKind is not",
        "cel: {expressions: [{expression: 'variables.nope'}]}": "unknown variable 'nope'",
        "cel: {expressions: [{expression: 'true'}]}\npattern: {spec: {}}": "more than one",
    }
    for block, reason in cases.items():
        _, errors = _load(_rule(block))
        assert len(errors) == 1, block
        assert reason in errors[0].message, (block, errors[0].message)
