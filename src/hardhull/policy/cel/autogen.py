"""Pod-controller rules generated for a Kyverno ``ValidatingPolicy`` written for Pods.

Kyverno applies a ValidatingPolicy whose ``matchConstraints`` is exactly one resource
rule for core ``v1`` ``pods`` (no resource names, no exclusions, no label-bearing
namespace or object selector) to the Pod controllers as well: DaemonSets, Deployments,
ReplicaSets, StatefulSets and Jobs see the policy with ``object.spec`` read as
``object.spec.template.spec`` and ``object.metadata`` as
``object.spec.template.metadata`` (likewise for ``oldObject``); CronJobs one level
deeper, under ``spec.jobTemplate.spec.template``. ``object.metadata.name`` and
``object.metadata.namespace`` keep meaning the controller's own. The rewrite covers
every expression of the spec. ``spec.autogen.podControllers.controllers`` (resource
names: ``deployments``, ``cronjobs``, ...) narrows the set; an empty list turns it off.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_TARGETS = {
    "daemonsets": ("apps", "defaults"),
    "deployments": ("apps", "defaults"),
    "replicasets": ("apps", "defaults"),
    "statefulsets": ("apps", "defaults"),
    "jobs": ("batch", "defaults"),
    "cronjobs": ("batch", "cronjobs"),
}
_TEMPLATE = {"defaults": "spec.template", "cronjobs": "spec.jobTemplate.spec.template"}


def _selector_set(raw: Any) -> bool:
    return isinstance(raw, Mapping) and bool(raw.get("matchLabels") or raw.get("matchExpressions"))


def can_autogen(match: Any) -> bool:
    """Whether ``matchConstraints`` is the single plain Pod rule autogen applies to."""
    if not isinstance(match, Mapping):
        return False
    if _selector_set(match.get("namespaceSelector")) or _selector_set(match.get("objectSelector")):
        return False
    rules = match.get("resourceRules")
    if match.get("excludeResourceRules") or not isinstance(rules, list) or len(rules) != 1:
        return False
    rule = rules[0]
    if not isinstance(rule, Mapping) or rule.get("resourceNames"):
        return False
    return (
        list(rule.get("apiGroups") or []) == [""]
        and list(rule.get("apiVersions") or []) == ["v1"]
        and list(rule.get("resources") or []) == ["pods"]
    )


def _controllers(spec: Mapping[str, Any]) -> list[str]:
    autogen = spec.get("autogen")
    pods = autogen.get("podControllers") if isinstance(autogen, Mapping) else None
    if isinstance(pods, Mapping) and pods.get("controllers") is not None:
        return [str(c) for c in pods.get("controllers") or [] if str(c) in _TARGETS]
    return list(_TARGETS)


def _rewrite(text: str, template: str) -> str:
    for field in ("spec", "metadata"):
        for root in ("object", "oldObject"):
            # not inside a longer name (namespaceObject, myobject); metadata.name and
            # metadata.namespace stay the controller's own
            pattern = rf"(?<![A-Za-z0-9_]){root}\.{field}(?!\.(?:name|namespace)\b)"
            text = re.sub(pattern, f"{root}.{template}.{field}", text)
    return text


def autogen_specs(spec: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``(name, spec)`` of each generated variant (``autogen``, ``autogen-cronjobs``);
    ``[]`` when the policy does not qualify."""
    match = spec.get("matchConstraints")
    if not can_autogen(match):
        return []
    assert isinstance(match, Mapping)
    operations = list(match["resourceRules"][0].get("operations") or ["*"])
    groups: dict[str, list[str]] = {}
    for resource in _controllers(spec):
        groups.setdefault(_TARGETS[resource][1], []).append(resource)
    out: list[tuple[str, dict[str, Any]]] = []
    for variant in sorted(groups):
        by_group: dict[str, list[str]] = {}
        for resource in groups[variant]:
            by_group.setdefault(_TARGETS[resource][0], []).append(resource)
        body = {k: v for k, v in spec.items() if k not in ("matchConstraints", "autogen")}
        text = _rewrite(json.dumps(body), _TEMPLATE[variant])
        new: dict[str, Any] = json.loads(text)
        new["matchConstraints"] = {
            "resourceRules": [
                {
                    "apiGroups": [group],
                    "apiVersions": ["v1"],
                    "resources": resources,
                    "operations": operations,
                }
                for group, resources in sorted(by_group.items())
            ]
        }
        out.append(("autogen" if variant == "defaults" else f"autogen-{variant}", new))
    return out
