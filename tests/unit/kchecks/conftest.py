"""Fixtures for the Kubernetes check tests: YAML fixtures loaded as resources, runners."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
import yaml

from hardhull.model import Finding, Resource, ResourceRef
from hardhull.posture.base import CheckResult, Pass, PostureContext
from hardhull.posture.checks import CHECKS, CLUSTER_CHECKS
from hardhull.posture.engine import pass_finding

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "kchecks"


def load(name: str) -> list[Resource]:
    """The objects of fixture ``name`` as resources (namespace from metadata)."""
    path = FIXTURES / name
    out: list[Resource] = []
    for doc in yaml.safe_load_all(path.read_text()):
        if not isinstance(doc, dict):
            continue
        meta = doc.get("metadata") or {}
        ref = ResourceRef(
            kind=doc["kind"],
            name=meta.get("name", ""),
            namespace=meta.get("namespace"),
            api_version=doc.get("apiVersion", ""),
            file=str(path),
        )
        out.append(Resource(ref, doc))
    return out


def _findings(results: Iterable[CheckResult], ref: ResourceRef | None) -> list[Finding]:
    out: list[Finding] = []
    for item in results:
        if isinstance(item, Pass):
            target = item.ref or ref
            assert target is not None, f"pass of {item.rule_id} names no resource"
            out.append(pass_finding(item, target))
        else:
            out.append(item)
    return out


def run(resources: Iterable[Resource], **options: object) -> list[Finding]:
    """Every check (per-resource and cluster) over ``resources``; passes as findings."""
    ctx = PostureContext(resources=list(resources), **options)  # type: ignore[arg-type]
    found: list[Finding] = []
    for r in ctx.resources:
        for check in CHECKS:
            found.extend(_findings(check.evaluate(r, ctx), r.ref))
    for cluster in CLUSTER_CHECKS:
        found.extend(_findings(cluster.evaluate_all(ctx), None))
    return found


@pytest.fixture
def scan() -> Callable[..., list[Finding]]:
    """``scan("file.yaml", allowed_registries=(...))`` -> findings."""

    def _scan(name: str, **options: object) -> list[Finding]:
        return run(load(name), **options)

    return _scan
