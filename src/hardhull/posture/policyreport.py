"""wg-policy ``wgpolicyk8s.io/v1alpha2`` ``PolicyReport`` / ``ClusterPolicyReport``.

One ``PolicyReport`` per namespace of the checked resources and one
``ClusterPolicyReport`` for cluster-scoped ones (and for findings about no single
resource). Each result: ``policy`` = control id, ``rule`` = control id, ``result``
pass/fail/warn/error/skip, ``severity`` (the wg-policy words: critical, high, medium,
low, info), ``resources`` (object references), ``message``, ``properties`` (file, line,
exception reason). ``summary`` counts results by outcome; passes are results only with
``--show-passed``, else ``summary.pass`` is the number of (control, resource) pairs of the
namespace that passed, so dashboards show the same totals either way (a namespace where
everything passed still gets its report). The output is a ``v1`` ``List`` as YAML, ready
for ``kubectl apply -f``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import yaml

from hardhull.model import Finding, Severity
from hardhull.posture.report import PostureReport, ordered

API_VERSION = "wgpolicyk8s.io/v1alpha2"
SOURCE = "hardhull"
_SEVERITY = {
    Severity.CRITICAL: "critical",
    Severity.HIGH: "high",
    Severity.MEDIUM: "medium",
    Severity.LOW: "low",
    Severity.NEGLIGIBLE: "info",
    Severity.UNKNOWN: "info",
}
_OUTCOMES = ("pass", "fail", "warn", "error", "skip")


def _result(finding: Finding, timestamp: int) -> dict[str, Any]:
    ref = finding.resource
    result: dict[str, Any] = {
        "source": SOURCE,
        "policy": finding.rule_id,
        "rule": finding.rule_id,
        "category": finding.kind.value,
        "result": finding.status.value,
        "severity": _SEVERITY[finding.severity],
        "scored": True,
        "message": finding.message or finding.title,
        "timestamp": {"seconds": timestamp, "nanos": 0},
    }
    props: dict[str, str] = {}
    if ref is not None:
        obj: dict[str, str] = {"apiVersion": ref.api_version, "kind": ref.kind, "name": ref.name}
        if ref.namespace:
            obj["namespace"] = ref.namespace
        result["resources"] = [obj]
        if ref.file:
            props["file"] = ref.file
        if ref.line:
            props["line"] = str(ref.line)
    if finding.suppressed is not None:
        props["exception"] = finding.suppressed.reason
        if finding.suppressed.expires:
            props["exceptionExpires"] = finding.suppressed.expires
    if props:
        result["properties"] = props
    return result


def report_document(
    kind: str, name: str, namespace: str | None, results: list[dict[str, Any]], passes: int = 0
) -> Any:
    """One ``PolicyReport``/``ClusterPolicyReport`` with its ``summary`` (``passes``: a
    count of passes not listed as results)."""
    counts = Counter(r["result"] for r in results)
    counts["pass"] = max(counts["pass"], passes)
    metadata: dict[str, Any] = {
        "name": name,
        "labels": {"app.kubernetes.io/managed-by": SOURCE},
    }
    if namespace:
        metadata["namespace"] = namespace
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": metadata,
        "results": results,
        "summary": {o: counts.get(o, 0) for o in _OUTCOMES},
    }


def policy_reports(report: PostureReport, timestamp: int = 0) -> list[dict[str, Any]]:
    """The PolicyReports (sorted by namespace), then the ClusterPolicyReport if any."""
    by_ns: dict[str | None, list[dict[str, Any]]] = {}
    passes: Counter[str | None] = Counter()
    for _rule, namespace, n in report.passes:
        passes[namespace] += n
        by_ns.setdefault(namespace, [])
    for finding in ordered(report.findings):
        ns = finding.resource.namespace if finding.resource is not None else None
        by_ns.setdefault(ns, []).append(_result(finding, timestamp))
    return by_namespace(by_ns, SOURCE, passes)


def by_namespace(
    results: Mapping[str | None, list[dict[str, Any]]],
    prefix: str,
    passes: Mapping[str | None, int] | None = None,
) -> list[dict[str, Any]]:
    """A ``PolicyReport`` named ``PREFIX-NAMESPACE`` per namespace of ``results`` (sorted),
    then, for the results under ``None`` (cluster-scoped resources), the
    ``ClusterPolicyReport`` ``PREFIX-cluster``; ``passes``: unlisted passes per namespace."""
    counted = passes or {}
    docs = [
        report_document("PolicyReport", f"{prefix}-{ns}", ns, results[ns], counted.get(ns, 0))
        for ns in sorted(k for k in results if k is not None)
    ]
    if None in results:
        docs.append(
            report_document(
                "ClusterPolicyReport",
                f"{prefix}-cluster",
                None,
                results[None],
                counted.get(None, 0),
            )
        )
    return docs


def list_yaml(items: list[dict[str, Any]]) -> bytes:
    """A ``v1`` ``List`` of ``items`` as YAML, ready for ``kubectl apply -f``."""
    doc = {"apiVersion": "v1", "kind": "List", "items": items}
    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(doc, Dumper=dumper, sort_keys=False, width=1000).encode()


def to_policyreport_yaml(report: PostureReport, timestamp: int = 0) -> bytes:
    """A ``v1`` ``List`` of the reports, as YAML."""
    return list_yaml(policy_reports(report, timestamp))


__all__ = [
    "API_VERSION",
    "by_namespace",
    "list_yaml",
    "policy_reports",
    "report_document",
    "to_policyreport_yaml",
]
