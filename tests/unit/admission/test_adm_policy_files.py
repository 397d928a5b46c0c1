"""Admission loads policy files through the shared loader (Kyverno here) after the built-ins."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardhull.admission.config import AdmissionConfig, ConfigError
from hardhull.admission.policies import load_admission_policies

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_kyverno_policy_files_are_loaded_after_the_builtins() -> None:
    policy = FIXTURES / "kyverno" / "disallow-latest-tag" / "disallow-latest-tag.yaml"
    config = AdmissionConfig(policy_paths=(policy,), pss="baseline")
    policies, warnings = load_admission_policies(config)
    names = [p.name for p in policies]
    assert "disallow-latest-tag" in names
    assert names.index("disallow-latest-tag") > 0  # built-ins come first
    assert all(not w.fatal for w in warnings)


def test_a_broken_policy_file_stops_the_server_with_its_position(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: bad\n"
        "spec:\n  rules: [unclosed\n"
    )
    with pytest.raises(ConfigError, match=r"bad\.yaml"):
        load_admission_policies(AdmissionConfig(policy_paths=(bad,)))
