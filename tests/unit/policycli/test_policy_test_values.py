"""``hardhull policy test``: the ``values`` / ``variables`` of kyverno-test.yaml files."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from hardhull.cli.main import cli
from hardhull.policy.base import AdmissionInput, VariableValues
from hardhull.policy.kyverno.engine import set_variable
from hardhull.policy.loader import compile_documents, load_resources, read_paths
from hardhull.policy.testrunner import run_test_file, run_tests
from hardhull.policy.testvalues import KyvernoTestValues, Subresource

SUITES = Path(__file__).parents[2] / "fixtures" / "policytest-values"


def _results(suite: Path) -> dict[tuple[str, str, str], str]:
    cases, errors = run_test_file(suite / "kyverno-test.yaml")
    assert not [e for e in errors if e.fatal], errors
    return {(c.rule, c.kind, c.resource): c.actual for c in cases}


def _copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(SUITES / name, target)
    return target


def test_all_value_suites_pass() -> None:
    result = CliRunner().invoke(cli, ["policy", "test", str(SUITES)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "18 passed, 0 failed"


def test_rule_values_stand_in_for_a_configmap_context() -> None:
    got = _results(SUITES / "context-values")
    assert got[("env-matches-dictionary", "Pod", "dev-pod")] == "fail"
    assert got[("env-matches-dictionary", "Pod", "prod-pod")] == "pass"
    # the auto-generated Deployment rule uses the values of the rule it came from
    assert got[("env-matches-dictionary", "Deployment", "prod-deploy")] == "pass"


def test_without_values_the_configmap_rule_is_an_error(tmp_path: Path) -> None:
    suite = _copy(tmp_path, "context-values")
    values = suite / "values.yaml"
    values.write_text(values.read_text().replace("dictionary.data.env: prod", "unrelated: 1"))
    got = _results(suite)
    assert got[("env-matches-dictionary", "Pod", "dev-pod")] == "error"
    assert got[("env-matches-dictionary", "Pod", "prod-pod")] == "error"
    assert got[("owner-is-team", "Pod", "other-team")] == "fail"  # others unaffected


def test_global_values_set_operation_and_variables(tmp_path: Path) -> None:
    got = _results(SUITES / "context-values")
    assert got[("owner-is-team", "Pod", "other-team")] == "fail"
    assert got[("owner-is-team", "Pod", "prod-pod")] == "pass"
    suite = _copy(tmp_path, "context-values")
    values = suite / "values.yaml"
    values.write_text(values.read_text().replace("request.operation: UPDATE", "x: 1"))
    got = _results(suite)
    # CREATE now: the precondition on request.operation skips the rule
    assert got[("env-matches-dictionary", "Pod", "dev-pod")] == "skip"


def test_resource_values_change_variables_not_the_resource() -> None:
    got = _results(SUITES / "context-values")
    # prod-pod's values rename it to "reserved" for variable substitution
    assert got[("name-not-reserved", "Pod", "prod-pod")] == "fail"
    assert got[("name-not-reserved", "Pod", "dev-pod")] == "pass"


def test_resource_values_message() -> None:
    docs, _ = read_paths([str(SUITES / "context-values" / "policy.yaml")])
    policy = compile_documents(docs).policies[0]
    resources, _ = load_resources([str(SUITES / "context-values" / "resources.yaml")])
    pod = next(r for r in resources if r.ref.name == "prod-pod")
    values = VariableValues(resource={"request.object.metadata.name": "reserved"})
    inp = AdmissionInput(obj=pod.obj, kind="Pod", api_version="v1", name="prod-pod")
    out = {r.rule: r for r in policy.evaluate(dataclasses.replace(inp, values=values))}
    assert out["name-not-reserved"].message == "validation error: reserved is reserved"


def test_foreach_values_are_per_element(tmp_path: Path) -> None:
    got = _results(SUITES / "foreach-values")
    assert got[("registry-is-trusted", "Pod", "two-containers")] == "fail"
    assert got[("registry-is-trusted", "Pod", "one-container")] == "pass"
    suite = _copy(tmp_path, "foreach-values")
    test = suite / "kyverno-test.yaml"
    test.write_text(test.read_text().replace("[ok, blocked]", "[ok, ok]"))
    got = _results(suite)
    assert got[("registry-is-trusted", "Pod", "two-containers")] == "pass"


def test_namespaces_take_precedence_over_namespace_selector() -> None:
    got = _results(SUITES / "namespaces-file")
    assert got[("no-privileged-in-restricted", "Pod", "payments/priv")] == "fail"
    assert got[("no-privileged-in-restricted", "Pod", "legacy/priv")] == "fail"
    assert got[("no-privileged-in-restricted", "Pod", "sandbox/priv")] == "skip"


def test_subresources_map_to_the_parent_kind(tmp_path: Path) -> None:
    got = _results(SUITES / "subresource")
    assert got[("at-most-three-replicas", "Scale", "shop/web")] == "fail"
    assert got[("at-most-three-replicas", "Scale", "shop/api")] == "pass"
    assert got[("at-most-three-replicas", "Deployment", "shop/web")] == "skip"
    suite = _copy(tmp_path, "subresource")
    test = suite / "kyverno-test.yaml"
    text = test.read_text()
    test.write_text(text[: text.index("values:")] + text[text.index("results:") :])
    got = _results(suite)
    assert got[("at-most-three-replicas", "Scale", "shop/web")] == "skip"


def test_missing_values_file_is_a_load_error(tmp_path: Path) -> None:
    suite = _copy(tmp_path, "namespaces-file")
    (suite / "values.yaml").unlink()
    cases, errors = run_test_file(suite / "kyverno-test.yaml")
    assert [str(e.pos) for e in errors] == [f"{suite / 'kyverno-test.yaml'}:9"]
    assert "values file values.yaml" in errors[0].message
    assert errors[0].fatal
    assert run_tests([str(suite)]).failed >= 1
    assert {c.actual for c in cases} == {"skip"}  # no namespace labels known


@pytest.mark.parametrize(
    ("values", "line", "message"),
    [
        ("  policies: 3\n", 10, "values: policies: must be a list"),
        ("  globalValues: [a]\n", 10, "values: globalValues: must be a map"),
        ("  policies:\n  - rules: []\n", 11, "values: policies.0: must be a map with a name"),
        (
            "  policies:\n  - name: p\n    rules:\n    - name: r\n      values: 1\n",
            14,
            "values: policies.0.rules.0.values: must be a map",
        ),
        (
            "  subresources:\n  - subresource: {name: scale, kind: Scale}\n"
            "    parentResource: {name: deployments, kind: Deployment}\n",
            11,
            "values: subresources.0.subresource.name: must be <resource>/<subresource>",
        ),
        ("  namespaces:\n  - metadata: {}\n", 11, "values: namespaces.0: a namespace needs"),
    ],
)
def test_malformed_values_are_positioned_errors(
    tmp_path: Path, values: str, line: int, message: str
) -> None:
    suite = _copy(tmp_path, "foreach-values")
    test = suite / "kyverno-test.yaml"
    text = test.read_text()
    head = text[: text.index("values:")]
    test.write_text(head + "values:\n" + values + text[text.index("results:") :])
    _, all_errors = run_test_file(test)
    errors = [e for e in all_errors if e.fatal]
    assert len(errors) == 1
    assert str(errors[0].pos) == f"{test}:{line}"
    assert errors[0].message.startswith(message)


def test_set_variable_merges_without_touching_the_original() -> None:
    obj = {"metadata": {"name": "a", "labels": {"x": "1"}}}
    data = {"request": {"object": obj}}
    set_variable(data, "request.object.metadata.labels.y", "2")
    set_variable(data, "request.object.metadata.name", "b")
    set_variable(data, "dictionary.data", {"env": "prod"})
    set_variable(data, "dictionary", {"data": {"region": "eu"}})
    assert data["request"]["object"]["metadata"] == {"name": "b", "labels": {"x": "1", "y": "2"}}
    assert data["dictionary"] == {"data": {"env": "prod", "region": "eu"}}
    assert obj == {"metadata": {"name": "a", "labels": {"x": "1"}}}
    set_variable(data, "dictionary", {"data": None})
    assert data["dictionary"] == {}


def test_test_values_helpers() -> None:
    values = KyvernoTestValues(
        global_values={"request.operation": "DELETE"},
        resources={("p", "r1"): {"request.operation": "UPDATE", "k": 1}},
        subresources=(Subresource("Scale", "autoscaling/v1", "Deployment", "apps/v1", "scale"),),
    )
    assert values.kind_of("Scale", "autoscaling/v1") == ("Deployment", "apps/v1", "scale")
    assert values.kind_of("Scale", "autoscaling/v2") == ("Scale", "autoscaling/v2", "")
    inp = AdmissionInput(obj={}, name="r1")
    one = values.input_for(inp, "p")
    assert one.operation == "UPDATE"
    assert one.values == VariableValues(resource={"request.operation": "UPDATE", "k": 1})
    assert values.input_for(AdmissionInput(obj={}, name="r2"), "p").operation == "DELETE"
    assert KyvernoTestValues().input_for(inp, "p") is inp
    assert values.namespace_obj("") is None
    assert values.namespace_obj("ns") == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "ns", "labels": {}},
    }


def test_external_context_rules_without_values_keep_admission_behaviour() -> None:
    docs, _ = read_paths([str(SUITES / "context-values" / "policy.yaml")])
    policy = compile_documents(docs).policies[0]
    resources, _ = load_resources([str(SUITES / "context-values" / "resources.yaml")])
    by_name = {r.ref.name: r for r in resources}

    def results(name: str, values: VariableValues | None) -> dict[str, str]:
        res = by_name[name]
        inp = AdmissionInput(
            obj=res.obj,
            operation="UPDATE",
            kind=res.ref.kind,
            api_version=res.ref.api_version,
            name=name,
            values=values,
        )
        return {r.rule: str(r.result) for r in policy.evaluate(inp)}

    team = {"team": "payments"}
    # a Pod: the configMap rule is an error without values
    assert results("dev-pod", VariableValues(resource=team))["env-matches-dictionary"] == "error"
    # a Deployment: its generated rule gives no verdict without values (as before) ...
    deploy = results("prod-deploy", VariableValues(resource=team))
    assert "autogen-env-matches-dictionary" not in deploy
    assert deploy["autogen-owner-is-team"] == "pass"
    # ... and runs when the values stand in for the configMap
    rules = {"env-matches-dictionary": {"dictionary.data.env": "dev"}}
    deploy = results("prod-deploy", VariableValues(resource=team, rules=rules))
    assert deploy["autogen-env-matches-dictionary"] == "fail"
