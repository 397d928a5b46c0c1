"""Every fixture pod under tests/fixtures/pss fails exactly the expected PSS checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from hardhull.posture.pss import evaluate_pod, failing_check_ids

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "pss"


def _cases() -> list[Any]:
    out = []
    for path in sorted(FIXTURES.glob("*/*.yaml")):
        doc = yaml.safe_load(path.read_text())
        for exp in doc["expect"]:
            case_id = f"{path.parent.name}/{path.stem}@{exp['level']}:{exp['version']}"
            out.append(pytest.param(doc["pod"], exp, id=case_id))
    return out


@pytest.mark.parametrize(("pod", "expect"), _cases())
def test_pss_fixture_failing_ids(pod: dict[str, Any], expect: dict[str, Any]) -> None:
    results = evaluate_pod(pod["metadata"], pod["spec"], expect["level"], expect["version"])
    assert failing_check_ids(results) == set(expect["fail"])
    for result in results:
        if not result.allowed:
            assert result.forbidden_reason
            assert result.forbidden_detail


def test_pss_fixture_count_covers_every_check() -> None:
    from hardhull.posture.pss import CHECKS

    dirs = {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    missing = {c.id for c in CHECKS} - dirs - {"procMount_restricted"}
    assert not missing
