"""CEL variables inlined into the expressions that use them: same results as evaluating
them one by one, failing variables still named, sources that cannot be inlined safely
left alone."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from hardhull.policy.base import AdmissionInput, Result, SourcePos
from hardhull.policy.cel import load_cel_documents
from hardhull.policy.cel.inline import inline_variables, strip_comments
from hardhull.policy.cel.vap import CelPolicy


def _vap(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": "p"},
        "spec": spec,
    }


def _pod(containers: list[dict[str, Any]]) -> AdmissionInput:
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"app": "web"}},
        "spec": {"containers": containers},
    }
    return AdmissionInput(obj=obj, namespace="default", name="p")


def _policy(spec: dict[str, Any]) -> CelPolicy:
    [policy], errors = load_cel_documents([(_vap(spec), SourcePos("mem"))], [])
    assert not [e for e in errors if e.fatal]
    assert isinstance(policy, CelPolicy)
    return policy


def _not_inlined(policy: CelPolicy) -> CelPolicy:
    body = policy.body
    validations = tuple(
        dataclasses.replace(v, expr=dataclasses.replace(v.expr, inlined=None))
        for v in body.validations
    )
    return dataclasses.replace(policy, body=dataclasses.replace(body, validations=validations))


def _outcome(policy: CelPolicy, inp: AdmissionInput) -> list[tuple[str, Result, str]]:
    return [(r.rule, r.result, r.message) for r in policy.evaluate(inp)]


SPEC: dict[str, Any] = {
    "variables": [
        {"name": "containers", "expression": "object.spec.containers // all of them"},
        {"name": "names", "expression": "variables.containers.map(c, c.name)"},
        {"name": "first", "expression": "variables.containers[0]"},
    ],
    "validations": [
        {"expression": "variables.names.all(n, n != 'variables.names')"},
        {
            "expression": "variables.containers.all(c, c.image.endsWith(':1'))",
            "messageExpression": "'bad image in ' + variables.first.name",
        },
        {"expression": "size(variables.names) < 3 && object.metadata.labels.app == 'web'"},
    ],
}


@pytest.mark.parametrize(
    "containers",
    [
        [{"name": "a", "image": "x:1"}],
        [{"name": "a", "image": "x:2"}, {"name": "b", "image": "y:1"}],
        [{"name": "variables.names", "image": "x:1"}] * 3,
    ],
)
def test_inlined_and_variable_by_variable_agree(containers: list[dict[str, Any]]) -> None:
    policy = _policy(SPEC)
    assert all(v.expr.inlined is not None for v in policy.body.validations)
    inp = _pod(containers)
    assert _outcome(policy, inp) == _outcome(_not_inlined(policy), inp)


def test_a_failing_variable_is_still_named() -> None:
    spec = {
        "variables": [{"name": "boom", "expression": "object.spec.missing.field"}],
        "validations": [{"expression": "variables.boom == 1"}],
    }
    [r] = _policy(spec).evaluate(_pod([]))
    assert r.result is Result.ERROR
    assert "variable 'boom'" in r.message


def test_a_failing_variable_not_reached_does_not_fail_the_expression() -> None:
    # Kubernetes evaluates variables lazily: an error only matters where it is reached.
    spec = {
        "variables": [{"name": "boom", "expression": "object.spec.missing.field"}],
        "validations": [{"expression": "true || variables.boom == 1"}],
    }
    [r] = _policy(spec).evaluate(_pod([]))
    assert r.result is Result.PASS


def test_inline_rewrites_only_top_level_references_outside_literals() -> None:
    sources = {"a": "object.x", "b": "1 + 2"}
    src = "variables.a == 'variables.b' && object.variables.b == variables . b // variables.a"
    assert inline_variables(src, sources) == (
        "(object.x) == 'variables.b' && object.variables.b == (1 + 2) // variables.a"
    )
    assert inline_variables(r"r'\' + variables.a", sources) == r"r'\' + (object.x)"
    assert inline_variables('"""x\'\'\'variables.a""" + variables.b', sources) == (
        '"""x\'\'\'variables.a""" + (1 + 2)'
    )
    assert inline_variables("myvariables.a", sources) == "myvariables.a"
    assert strip_comments("a // c\n+ b // 'x'") == "a \n+ b "


@pytest.mark.parametrize(
    "source",
    [
        "variables.?a.orValue(1)",
        "variables['a']",
        "[1].all(variables, variables.a == 1)",
        "variables.unknown",
    ],
)
def test_inline_refuses_what_it_cannot_rewrite_equivalently(source: str) -> None:
    assert inline_variables(source, {"a": "object.x"}) is None


def test_has_on_a_field_of_a_variable_is_inlined() -> None:
    spec = {
        "variables": [{"name": "c", "expression": "object.spec"}],
        "validations": [{"expression": "has(variables.c.containers)"}],
    }
    policy = _policy(spec)
    [v] = policy.body.validations
    assert v.expr.inlined is not None  # has((object.spec).containers) is still valid CEL
    [r] = policy.evaluate(_pod([]))
    assert r.result is Result.PASS
