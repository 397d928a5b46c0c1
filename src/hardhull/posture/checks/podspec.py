"""Find the pod spec inside any workload kind, and walk its containers with JSON paths.

Tolerant of malformed input: a field of the wrong type reads as absent, never raises.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from hardhull.model import Resource
from hardhull.posture.pss.helpers import is_map

#: kind -> path (as keys) from the object root to the pod spec.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "PodTemplate": ("template", "spec"),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
WORKLOAD_KINDS = frozenset(POD_SPEC_PATHS)
BATCH_KINDS = frozenset({"Job", "CronJob"})


def as_map(value: object) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one."""
    # plain dicts first: the ABC check of isinstance(x, Mapping) is several times slower
    if type(value) is dict or (value is not None and isinstance(value, Mapping)):
        return value
    return {}


def as_list(value: object) -> list[Any]:
    """``value`` if it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def as_str(value: object) -> str:
    """``value`` if it is a string, else ``""``."""
    return value if isinstance(value, str) else ""


_LABELS = {"containers": "container", "initContainers": "initContainer"}
_SECTIONS = ("containers", "initContainers", "ephemeralContainers")


@dataclass(frozen=True, slots=True)
class Container:
    """One container of a pod spec: ``section`` is ``containers``, ``initContainers`` or
    ``ephemeralContainers``; ``path`` its JSON path (``spec.containers[0]``)."""

    name: str
    section: str
    path: str
    obj: Mapping[str, Any]

    @property
    def label(self) -> str:
        """``container "web"`` / ``initContainer "setup"`` for messages."""
        return f'{_LABELS.get(self.section, "ephemeralContainer")} "{self.name}"'


@dataclass(frozen=True, slots=True)
class PodTemplate:
    """The pod spec of a workload: ``spec`` (read-only), its JSON ``path``, the template
    ``metadata``, whether the workload runs to completion (Job, CronJob), and every
    container of it (``containers``, ``initContainers``, ``ephemeralContainers`` in that
    order), walked once for all the checks."""

    spec: Mapping[str, Any]
    path: str
    metadata: Mapping[str, Any]
    batch: bool
    all_containers: tuple[Container, ...]
    #: True when every container is in ``containers`` (no init or ephemeral ones)
    only_main: bool = False


#: A one-entry memo of :func:`pod_template`, ``(resource, template)``: the engine runs
#: every check on one resource before the next, so all but the first lookup per resource
#: hit it. Keyed by identity (the memo holds the resource, so its id cannot be reused);
#: replaced in one assignment, so concurrent scans never see a torn entry.
_LAST: list[tuple[Resource, PodTemplate | None] | None] = [None]


def pod_template(resource: Resource) -> PodTemplate | None:
    """The pod spec of ``resource``, or ``None`` when its kind has none (or it is absent)."""
    last = _LAST[0]
    if last is not None and last[0] is resource:
        return last[1]
    tpl = _pod_template(resource)
    _LAST[0] = (resource, tpl)
    return tpl


def pod_spec(resource: Resource) -> tuple[Mapping[str, Any], str] | None:
    """The pod spec of ``resource`` and its JSON path, as :func:`pod_template` finds
    them, without walking the containers (for the cluster checks' scans of every
    resource); ``None`` when :func:`pod_template` would give ``None``."""
    last = _LAST[0]
    if last is not None and last[0] is resource:
        tpl = last[1]
        return None if tpl is None else (tpl.spec, tpl.path)
    found = _find_spec(resource)
    return None if found is None else (found[2], _PATHS[found[0]])


_PATHS = {keys: ".".join(keys) for keys in POD_SPEC_PATHS.values()}


def _find_spec(
    resource: Resource,
) -> tuple[tuple[str, ...], object, Mapping[str, Any]] | None:
    """``(keys, parent, spec)``: the path to ``resource``'s pod spec (as keys), the
    object holding it and the spec; ``None`` when its kind has none or it is absent."""
    keys = POD_SPEC_PATHS.get(resource.ref.kind)
    if keys is None:
        return None
    node: object = resource.obj
    parent: object = None
    for key in keys:
        parent = node
        node = as_map(node).get(key)
    if not is_map(node):
        return None
    return keys, parent, node


def _pod_template(resource: Resource) -> PodTemplate | None:
    found = _find_spec(resource)
    if found is None:
        return None
    keys, parent, node = found
    metadata = (
        as_map(resource.obj.get("metadata"))
        if len(keys) == 1
        else as_map(as_map(parent).get("metadata"))
    )
    path = _PATHS[keys]
    walked = tuple(
        Container(as_str(item.get("name")) or f"#{i}", section, f"{path}.{section}[{i}]", item)
        for section in _SECTIONS
        for i, item in enumerate(as_list(node.get(section)))
        if is_map(item)
    )
    only_main = all(c.section == "containers" for c in walked)
    return PodTemplate(node, path, metadata, resource.ref.kind in BATCH_KINDS, walked, only_main)


def containers(
    tpl: PodTemplate, *, init: bool = True, ephemeral: bool = False
) -> Iterable[Container]:
    """The containers of ``tpl`` (then init, then ephemeral ones when asked for)."""
    if tpl.only_main:
        return tpl.all_containers
    return _filtered(tpl, init, ephemeral)


def _filtered(tpl: PodTemplate, init: bool, ephemeral: bool) -> Iterator[Container]:
    for c in tpl.all_containers:
        section = c.section
        if (
            section == "containers"
            or (init and section == "initContainers")
            or (ephemeral and section == "ephemeralContainers")
        ):
            yield c


def namespace_of(resource: Resource) -> str | None:
    """The resource's namespace: from its ref, else ``metadata.namespace``."""
    if resource.ref.namespace:
        return resource.ref.namespace
    return as_str(as_map(resource.obj.get("metadata")).get("namespace")) or None


def service_account_of(tpl: PodTemplate) -> str:
    """The service account the pod runs as (``default`` when none is named)."""
    return service_account_in(tpl.spec)


def service_account_in(spec: Mapping[str, Any]) -> str:
    """The service account a pod ``spec`` runs as (``default`` when none is named)."""
    return (
        as_str(spec.get("serviceAccountName")) or as_str(spec.get("serviceAccount")) or ("default")
    )
