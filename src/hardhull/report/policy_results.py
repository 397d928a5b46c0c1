"""Report formats for policy results (``hardhull policy apply``): SARIF 2.1.0 and wg-policy
``PolicyReport``/``ClusterPolicyReport`` (``wgpolicyk8s.io/v1alpha2``).

One result per (policy, rule, resource). SARIF shows the ``fail``/``warn``/``error``
results (passes and skips are counted in ``runs[0].properties.byResult``) with the
manifest file and line as location; the PolicyReports carry every result, grouped by the
resource's namespace (cluster-scoped resources go to one ``ClusterPolicyReport``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import orjson

from hardhull.policy.base import Result, RuleResult
from hardhull.posture.policyreport import by_namespace, list_yaml
from hardhull.report.sarif import location, manifest_place, partial_fingerprints, sarif_log

_OUTCOMES = ("pass", "fail", "warn", "error", "skip")
_SHOWN = (Result.FAIL, Result.WARN, Result.ERROR)
_SARIF_LEVEL = {Result.FAIL: "error", Result.WARN: "warning", Result.ERROR: "error"}
_WG_SEVERITY = {"critical", "high", "medium", "low", "info"}


def _rule_id(r: RuleResult) -> str:
    return f"{r.policy}/{r.rule}"


def _order(r: RuleResult) -> tuple[str, ...]:
    ref = r.resource
    return (
        ref.namespace or "" if ref else "",
        ref.kind if ref else "",
        ref.name if ref else "",
        r.policy,
        r.rule,
        str(r.result),
    )


def _sarif_result(r: RuleResult, index: int) -> dict[str, Any]:
    ref = r.resource
    uri, line = manifest_place(ref)
    subject = ref.label() if ref is not None else "(no resource)"
    return {
        "ruleId": _rule_id(r),
        "ruleIndex": index,
        "level": _SARIF_LEVEL[r.result],
        "message": {"text": f"{subject}: {r.message or r.result.value}"},
        "locations": [location(uri, line, subject)],
        "partialFingerprints": partial_fingerprints(_rule_id(r), subject, uri),
        "properties": {"result": r.result.value, "action": r.action.value},
    }


def to_policy_sarif(results: Sequence[RuleResult]) -> bytes:
    """A deterministic SARIF log of the non-passing results."""
    shown = sorted((r for r in results if r.result in _SHOWN), key=_order)
    rule_ids = sorted({_rule_id(r) for r in shown})
    index = {rid: i for i, rid in enumerate(rule_ids)}
    rules = [
        {
            "id": rid,
            "name": rid,
            "shortDescription": {"text": rid},
            "properties": {"tags": ["security", "policy"]},
        }
        for rid in rule_ids
    ]
    counts = Counter(r.result.value for r in results)
    log = sarif_log(
        rules,
        [_sarif_result(r, index[_rule_id(r)]) for r in shown],
        properties={"byResult": {o: counts.get(o, 0) for o in _OUTCOMES}},
    )
    return orjson.dumps(log, option=orjson.OPT_INDENT_2)


def _wg_result(r: RuleResult, timestamp: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "source": "hardhull",
        "policy": r.policy,
        "rule": r.rule,
        "result": r.result.value,
        "scored": True,
        "message": r.message,
        "timestamp": {"seconds": timestamp, "nanos": 0},
    }
    if r.severity.lower() in _WG_SEVERITY:
        out["severity"] = r.severity.lower()
    if r.category:
        out["category"] = r.category
    ref = r.resource
    if ref is not None:
        obj = {"apiVersion": ref.api_version, "kind": ref.kind, "name": ref.name}
        if ref.namespace:
            obj["namespace"] = ref.namespace
        out["resources"] = [obj]
        props = {"file": ref.file or "", "line": str(ref.line or "")}
        out["properties"] = {k: v for k, v in props.items() if v}
    return out


def to_policy_reports_yaml(results: Sequence[RuleResult], timestamp: int = 0) -> bytes:
    """A ``v1`` ``List`` of one PolicyReport per namespace (sorted) and, for cluster-scoped
    resources, one ClusterPolicyReport, as YAML ready for ``kubectl apply -f``."""
    by_ns: dict[str | None, list[dict[str, Any]]] = {}
    for r in sorted(results, key=_order):
        ns = r.resource.namespace if r.resource is not None else None
        by_ns.setdefault(ns or None, []).append(_wg_result(r, timestamp))
    return list_yaml(by_namespace(by_ns, "hardhull-policy"))


__all__ = ["to_policy_reports_yaml", "to_policy_sarif"]
