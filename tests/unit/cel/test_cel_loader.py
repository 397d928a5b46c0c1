"""Load errors, Kyverno ValidatingPolicy, failurePolicy Ignore, authorizer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hardhull.policy.base import Action, AdmissionInput, Result, SourcePos
from hardhull.policy.cel import load_cel_documents

FIXTURES = Path(__file__).parents[2] / "fixtures" / "cel"


def _docs(name: str) -> list[tuple[dict[str, Any], SourcePos]]:
    text = (FIXTURES / name).read_text()
    return [(d, SourcePos(name, 1)) for d in yaml.safe_load_all(text) if d]


def _pod(labels: dict[str, str] | None = None) -> AdmissionInput:
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": labels or {}}}
    return AdmissionInput(obj=obj, namespace="default", name="p")


def _vap(spec: dict[str, Any], name: str = "p") -> dict[str, Any]:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name},
        "spec": spec,
    }


def test_compile_errors_and_cycles_are_positioned_load_errors() -> None:
    policies, errors = load_cel_documents(_docs("bad.yaml"), [])
    assert policies == []
    text = "\n".join(f"{e.pos}: {e.message}" for e in errors)
    assert "cycle" in text
    assert "bad.yaml:1" in text
    assert "no matching overload for '_==_'" in text  # int vs uint: a type error
    assert "'object.spec.('" in text


def test_kyverno_validating_policy() -> None:
    [policy], errors = load_cel_documents(_docs("kyverno-vpol.yaml"), [])
    assert errors == []
    assert policy.kind == "ValidatingPolicy"
    [ok] = policy.evaluate(_pod({"environment": "prod"}))
    [bad] = policy.evaluate(_pod())
    assert ok.result is Result.PASS
    assert bad.result is Result.FAIL
    assert bad.action is Action.AUDIT
    assert bad.message == "label 'environment' is required"


def test_failure_policy_ignore_records_error_without_enforcing() -> None:
    spec = {"failurePolicy": "Ignore", "validations": [{"expression": "object.spec.x == 1"}]}
    [policy], _ = load_cel_documents([(_vap(spec), SourcePos("mem"))], [])
    [r] = policy.evaluate(_pod())
    assert r.result is Result.ERROR
    assert r.action is Action.AUDIT
    assert "failurePolicy Ignore" in r.message


def test_match_condition_error_is_an_error_result() -> None:
    spec = {
        "matchConditions": [{"name": "c", "expression": "object.nope == 1"}],
        "validations": [{"expression": "true"}],
    }
    [policy], _ = load_cel_documents([(_vap(spec), SourcePos("mem"))], [])
    [r] = policy.evaluate(_pod())
    assert r.result is Result.ERROR
    assert r.rule == "matchConditions[c]"


def test_authorizer_is_reported_unsupported() -> None:
    expr = "authorizer.group('').resource('pods').check('create').allowed()"
    spec = {"validations": [{"expression": expr}]}
    policies, errors = load_cel_documents([(_vap(spec), SourcePos("mem"))], [])
    results = [r for p in policies for r in p.evaluate(_pod())]
    messages = [e.message for e in errors] + [r.message for r in results]
    assert any("authorizer" in m for m in messages)
    assert all(r.result is not Result.PASS for r in results)


def test_unused_erroring_variable_does_not_fail_validations() -> None:
    spec = {
        "variables": [{"name": "boom", "expression": "object.missing.field"}],
        "validations": [{"expression": "object.kind == 'Pod'"}],
    }
    [policy], _ = load_cel_documents([(_vap(spec), SourcePos("mem"))], [])
    [r] = policy.evaluate(_pod())
    assert r.result is Result.PASS


def test_binding_selects_params_by_label_and_names_results_per_param() -> None:
    vap = _vap(
        {
            "paramKind": {"apiVersion": "v1", "kind": "ConfigMap"},
            "validations": [{"expression": "object.metadata.name != params.data.banned"}],
        }
    )
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": "b"},
        "spec": {
            "policyName": "p",
            "validationActions": ["Deny"],
            "paramRef": {"selector": {"matchLabels": {"team": "x"}}},
        },
    }
    params = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": n, "labels": {"team": t}},
         "data": {"banned": b}}
        for n, t, b in (("one", "x", "p"), ("two", "x", "q"), ("three", "y", "p"))
    ]  # fmt: skip
    docs = [(vap, SourcePos("mem")), (binding, SourcePos("mem"))]
    [policy], errors = load_cel_documents(docs, params)
    assert errors == []
    results = sorted((r.rule, r.result) for r in policy.evaluate(_pod()))
    assert results == [("validation[0]@one", Result.FAIL), ("validation[0]@two", Result.PASS)]
