"""Parameter objects for ``paramRef``: from ``policy apply --params``, from non-policy
objects next to the policies, from a policy test's resources, and from the admission
configuration's ``params:``."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner
from tests.unit.admission.adm_support import deployment, review

from hardhull.admission.config import parse_config
from hardhull.admission.engine import AdmissionEngine
from hardhull.admission.policies import load_admission_policies
from hardhull.admission.review import parse_review
from hardhull.cli.main import cli

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cel" / "params"
POLICY = str(FIXTURES / "replica-limit.yaml")
PARAMS = str(FIXTURES / "replica-limits-configmap.yaml")
DEPLOYMENTS = str(FIXTURES / "deployments.yaml")


def _apply(*args: str) -> dict[str, tuple[str, str]]:
    result = CliRunner().invoke(cli, ["policy", "apply", *args, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    rows = json.loads(result.stdout)
    return {r["resource"]["name"]: (r["rule"], r["result"]) for r in rows}


def test_apply_with_params_file() -> None:
    got = _apply(POLICY, "--params", PARAMS, "--resource", DEPLOYMENTS)
    assert got == {"big": ("validation[0]", "fail"), "small": ("validation[0]", "pass")}


def test_apply_without_params_denies_by_parameter_not_found_action() -> None:
    got = _apply(POLICY, "--resource", DEPLOYMENTS)
    assert got == {"big": ("paramRef", "fail"), "small": ("paramRef", "fail")}


def test_parameter_object_in_the_policy_file(tmp_path: Path) -> None:
    both = tmp_path / "policy-and-params.yaml"
    both.write_text(Path(POLICY).read_text() + "\n---\n" + Path(PARAMS).read_text())
    got = _apply(str(both), "--resource", DEPLOYMENTS)
    assert got == {"big": ("validation[0]", "fail"), "small": ("validation[0]", "pass")}


def test_params_selected_by_name_and_namespace(tmp_path: Path) -> None:
    other = yaml.safe_load(Path(PARAMS).read_text())
    other["metadata"]["namespace"] = "elsewhere"  # not the one the binding names
    (tmp_path / "cm.yaml").write_text(yaml.safe_dump(other))
    got = _apply(POLICY, "--params", str(tmp_path / "cm.yaml"), "--resource", DEPLOYMENTS)
    assert got["big"] == ("paramRef", "fail")


def test_policy_test_takes_params_from_resources() -> None:
    result = CliRunner().invoke(cli, ["policy", "test", str(FIXTURES)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "2 passed, 0 failed"


def test_admission_config_params(tmp_path: Path) -> None:
    config = parse_config(
        {"builtin": {"pss": None}, "policies": [POLICY], "params": [PARAMS]}, tmp_path
    )
    policies, _ = load_admission_policies(config)
    engine = AdmissionEngine(policies, config, None)
    big = deployment("big", "default")
    big["spec"]["replicas"] = 5
    denied = engine.decide(parse_review(json.dumps(review(big)).encode()))
    assert not denied.allowed and "replicas must be at most 3" in denied.message
    small = deployment("small", "default")
    small["spec"]["replicas"] = 2
    assert engine.decide(parse_review(json.dumps(review(small)).encode())).allowed
