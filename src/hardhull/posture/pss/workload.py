"""Find the pod template (metadata, spec) inside a Kubernetes workload object."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardhull.posture.pss.helpers import dig, is_map

_TEMPLATE_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}
)

PodParts = tuple[Mapping[str, Any], Mapping[str, Any]]


def _parts(meta: object, spec: object) -> PodParts | None:
    if not is_map(spec):
        return None
    return (meta if is_map(meta) else {}), spec


def pod_spec_of(obj: Mapping[str, Any]) -> PodParts | None:
    """``(metadata, spec)`` of the pod an object runs, or ``None`` for other kinds.

    Pod: its own metadata and spec; Deployment, StatefulSet, DaemonSet, ReplicaSet,
    ReplicationController, Job: ``spec.template``; CronJob:
    ``spec.jobTemplate.spec.template``."""
    if not is_map(obj):
        return None
    kind = obj.get("kind")
    if kind == "Pod":
        return _parts(obj.get("metadata"), obj.get("spec"))
    if kind in _TEMPLATE_KINDS:
        template = dig(obj, "spec", "template")
        return _parts(dig(template, "metadata"), dig(template, "spec"))
    if kind == "CronJob":
        template = dig(obj, "spec", "jobTemplate", "spec", "template")
        return _parts(dig(template, "metadata"), dig(template, "spec"))
    return None
