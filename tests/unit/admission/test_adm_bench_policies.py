"""The 20 policies of the admission benchmark load cleanly and each one both passes and
fails on the benchmark's sample Deployments (so none is vacuous or always failing)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from hardhull.policy.base import Result
from hardhull.policy.loader import apply_policies, load_policies, load_resources

BENCH = Path(__file__).resolve().parents[3] / "bench" / "admission"


def test_bench_policies_load_and_each_passes_and_fails_somewhere() -> None:
    loaded = load_policies([str(BENCH / "policies")])
    assert [e for e in loaded.errors if e.fatal] == []
    assert len(loaded.policies) >= 20
    kinds = {p.kind for p in loaded.policies}
    assert len(kinds) >= 3, kinds  # Kyverno ClusterPolicy, VAP, Kyverno ValidatingPolicy

    resources, errors = load_resources([str(BENCH / "resources")])
    assert errors == []
    assert len(resources) >= 3
    outcomes: dict[str, set[Result]] = defaultdict(set)
    for r in apply_policies(loaded.policies, resources):  # what `policy apply` evaluates
        outcomes[r.policy].add(r.result)
    for policy in loaded.policies:
        got = outcomes[policy.name]
        assert Result.ERROR not in got, policy.name
        assert {Result.PASS, Result.FAIL} <= got, (policy.name, got)
