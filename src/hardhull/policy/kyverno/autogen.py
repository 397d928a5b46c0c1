"""Kyverno auto-generated rules: a Pod rule extended to Pod controllers.

Controllers with ``spec.template`` get ``autogen-<rule>``; CronJob (whose Pod template is
``spec.jobTemplate.spec.template``) gets ``autogen-cronjob-<rule>``. The annotation
``pod-policies.kyverno.io/autogen-controllers`` (``none`` or a comma list) selects them.
Rules that filter by names, selectors or annotations are not extended (as in Kyverno).
Mutate rules are extended when they use ``patchStrategicMerge`` (directly or in every
``foreach`` entry): the overlay is nested under the Pod template; ``patchesJson6902``
rules are not extended (as in Kyverno).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from hardhull.policy.kyverno.match import block_kinds

ANNOTATION = "pod-policies.kyverno.io/autogen-controllers"
DEFAULT_CONTROLLERS = (
    "DaemonSet",
    "Deployment",
    "Job",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
    "CronJob",
)
_BLOCKING = ("names", "name", "selector", "annotations")


def controllers(annotations: Mapping[str, Any]) -> tuple[str, ...]:
    """Which controllers autogen targets for a policy with these annotations."""
    raw = annotations.get(ANNOTATION)
    if raw is None:
        return DEFAULT_CONTROLLERS
    text = str(raw).strip()
    if text.lower() == "none" or not text:
        return ()
    return tuple(c.strip() for c in text.split(",") if c.strip())


def _filters(block: Any) -> list[Mapping[str, Any]]:
    if not isinstance(block, Mapping):
        return []
    out = list(block.get("any") or []) + list(block.get("all") or [])
    if "resources" in block:
        out.append(block)
    return [f for f in out if isinstance(f, Mapping)]


def can_autogen(rule: Mapping[str, Any]) -> bool:
    """Only rules that match (and exclude) nothing but Pods, without name/label filters."""
    kinds = block_kinds(rule.get("match"))
    if not kinds or any(k.split("/")[-1] != "Pod" for k in kinds):
        return False
    if any(k.split("/")[-1] != "Pod" for k in block_kinds(rule.get("exclude"))):
        return False
    for block in (rule.get("match"), rule.get("exclude")):
        for f in _filters(block):
            res = f.get("resources") or {}
            if any(res.get(key) for key in _BLOCKING):
                return False
    mutation = rule.get("mutate")
    if isinstance(mutation, Mapping):  # as Kyverno: only strategic-merge overlays move
        decls = mutation.get("foreach") or []
        return "patchStrategicMerge" in mutation or (
            bool(decls) and all("patchStrategicMerge" in d for d in decls)
        )
    return "validate" in rule


def _replace(value: Any, prefix: str) -> Any:
    if isinstance(value, str):
        out = value
        for root in ("request.object", "request.oldObject"):
            out = out.replace(f"{root}.spec", f"{root}.{prefix}.spec@@")
            out = out.replace(f"{root}.metadata", f"{root}.{prefix}.metadata")
        return out.replace(".spec@@", ".spec")
    if isinstance(value, Mapping):
        return {k: _replace(v, prefix) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, prefix) for v in value]
    return value


_CEL_ROOTS = re.compile(r"\b(oldObject|object)\.(spec|metadata)\b")


def autogen_expressions(value: Any, prefix: str) -> Any:
    """CEL (``validate.cel``, ``celPreconditions``) with ``object.spec``/``.metadata``
    (and ``oldObject``'s) moved under the Pod template at ``prefix``, as Kyverno's
    autogen rewrites CEL rules."""
    if isinstance(value, str):
        return _CEL_ROOTS.sub(lambda m: f"{m.group(1)}.{prefix}.{m.group(2)}", value)
    if isinstance(value, Mapping):
        return {k: autogen_expressions(v, prefix) for k, v in value.items()}
    if isinstance(value, list):
        return [autogen_expressions(v, prefix) for v in value]
    return value


def _wrap(pattern: Any, cronjob: bool) -> Any:
    inner = {"spec": {"template": pattern}}
    return {"spec": {"jobTemplate": inner}} if cronjob else inner


def _set_kinds(block: Any, kinds: list[str]) -> Any:
    if not isinstance(block, Mapping):
        return block
    out = dict(block)
    for key in ("any", "all"):
        if out.get(key):
            out[key] = [_set_kinds_filter(f, kinds) for f in out[key]]
    if "resources" in out:
        out = _set_kinds_filter(out, kinds)
    return out


def _set_kinds_filter(flt: Mapping[str, Any], kinds: list[str]) -> dict[str, Any]:
    out = dict(flt)
    res = dict(out.get("resources") or {})
    if res.get("kinds"):
        res["kinds"] = list(kinds)
    out["resources"] = res
    return out


def _generate(rule: Mapping[str, Any], kinds: list[str], cronjob: bool) -> dict[str, Any]:
    prefix = "spec.jobTemplate.spec.template" if cronjob else "spec.template"
    out: dict[str, Any] = copy.deepcopy(dict(rule))
    out["name"] = ("autogen-cronjob-" if cronjob else "autogen-") + str(rule.get("name"))
    out["match"] = _set_kinds(out.get("match"), kinds)
    if out.get("exclude"):
        out["exclude"] = _set_kinds(out["exclude"], kinds)
    if "mutate" in out:
        out["mutate"] = _replace(_wrap_mutation(out["mutate"], cronjob), prefix)
        return _replace_rule_vars(out, prefix)
    validate = dict(out.get("validate") or {})
    if "pattern" in validate:
        validate["pattern"] = _wrap(validate["pattern"], cronjob)
    if "anyPattern" in validate and isinstance(validate["anyPattern"], list):
        validate["anyPattern"] = [_wrap(p, cronjob) for p in validate["anyPattern"]]
    if "cel" in validate:
        validate["cel"] = autogen_expressions(validate["cel"], prefix)
    if "celPreconditions" in out:
        out["celPreconditions"] = autogen_expressions(out["celPreconditions"], prefix)
    out["validate"] = _replace(validate, prefix)
    return _replace_rule_vars(out, prefix)


def _replace_rule_vars(out: dict[str, Any], prefix: str) -> dict[str, Any]:
    for key in ("preconditions", "context"):
        if key in out:
            out[key] = _replace(out[key], prefix)
    return out


def _wrap_mutation(mutation: Mapping[str, Any], cronjob: bool) -> dict[str, Any]:
    """The overlay (or every foreach entry's overlay) nested under the Pod template."""
    if "patchStrategicMerge" in mutation:
        return {"patchStrategicMerge": _wrap(mutation["patchStrategicMerge"], cronjob)}
    decls = []
    for decl in mutation.get("foreach") or []:
        entry = {
            k: v for k, v in decl.items() if k in ("list", "context", "preconditions", "order")
        }
        entry["patchStrategicMerge"] = _wrap(decl["patchStrategicMerge"], cronjob)
        decls.append(entry)
    return {"foreach": decls}


def expand(rule: Mapping[str, Any], annotations: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The generated controller rules for ``rule`` (empty when it cannot be extended)."""
    if not can_autogen(rule):
        return []
    targets = controllers(annotations)
    plain = [c for c in targets if c != "CronJob"]
    out = []
    if plain:
        out.append(_generate(rule, plain, cronjob=False))
    if "CronJob" in targets:
        out.append(_generate(rule, ["CronJob"], cronjob=True))
    return out
