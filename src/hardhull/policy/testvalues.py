"""The ``values`` of a ``kyverno-test.yaml`` (inline, or ``variables: <file>``).

Shape (``cli.kyverno.io/v1alpha1`` ``Values``)::

    globalValues: {request.operation: UPDATE, <dotted name>: <value>}
    policies:
      - name: <policy>
        rules: [{name: <rule>, values: {...}, foreachValues: {<name>: [per element]}}]
        resources: [{name: <resource name>, values: {...}}]
    namespaceSelector: [{name: <namespace>, labels: {...}}]
    namespaces: [<Namespace object>]          # takes precedence over namespaceSelector
    subresources:
      - subresource: {name: deployments/scale, kind: Scale, group: autoscaling, version: v1}
        parentResource: {name: deployments, kind: Deployment, group: apps, version: v1}

As in the Kyverno CLI, global values, then the resource's values (for one policy), are
set into every rule's context; a rule's values come next, so its context entries (which
may be ``apiCall``/``configMap`` ones the values stand in for) see them; ``request.operation``
is the request's operation. A resource whose kind and apiVersion are those of a declared
subresource is evaluated as that subresource of its parent kind (``Deployment/scale``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hardhull.model import Resource
from hardhull.policy.base import AdmissionInput, LoadError, SourcePos, VariableValues
from hardhull.policy.loader import parse_documents
from hardhull.policy.scope import effective_namespace

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Subresource:
    """One ``subresources`` entry: the subresource's kind and apiVersion, its parent's,
    and the subresource name (``scale``)."""

    kind: str
    api_version: str
    parent_kind: str
    parent_api_version: str
    name: str


@dataclass(frozen=True)
class KyvernoTestValues:
    """The values of one test file, resolved."""

    global_values: Mapping[str, Any] = field(default_factory=dict)
    resources: Mapping[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)
    rules: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)
    foreach: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    namespaces: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    subresources: tuple[Subresource, ...] = ()

    def namespace_obj(self, name: str) -> Mapping[str, Any] | None:
        """The Namespace a namespaced resource is in (labels from the values)."""
        if not name:
            return None
        known = self.namespaces.get(name)
        if known is not None:
            return known
        return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {}}}

    def kind_of(self, kind: str, api_version: str) -> tuple[str, str, str]:
        """(kind, apiVersion, subresource) the engine sees for a resource."""
        for sub in self.subresources:
            if sub.kind == kind and sub.api_version == api_version:
                return sub.parent_kind, sub.parent_api_version, sub.name
        return kind, api_version, ""

    def admission_input(self, res: Resource) -> AdmissionInput:
        """The request ``res`` is evaluated as: a CREATE (or the global
        ``request.operation``), in ``default`` when namespaced without a namespace, as its
        parent kind when it is a declared subresource."""
        ns = effective_namespace(res.ref.kind, res.ref.namespace)
        kind, api_version, subresource = self.kind_of(res.ref.kind, res.ref.api_version)
        return AdmissionInput(
            obj=res.obj,
            operation=str(self.global_values.get("request.operation", "CREATE")),
            kind=kind,
            api_version=api_version,
            subresource=subresource,
            namespace=ns,
            name=res.ref.name,
            namespace_obj=self.namespace_obj(ns),
            ref=res.ref,
        )

    def with_globals(self, extra: Mapping[str, Any]) -> KyvernoTestValues:
        """These values with ``extra`` global values on top (``--set``)."""
        return dataclasses.replace(self, global_values={**self.global_values, **extra})

    def input_for(self, inp: AdmissionInput, policy: str) -> AdmissionInput:
        """``inp`` with the values one policy sees (``inp`` itself when there are none)."""
        resource = {**self.global_values, **self.resources.get((policy, inp.name), {})}
        rules = self.rules.get(policy, {})
        foreach = self.foreach.get(policy, {})
        if not (resource or rules or foreach):
            return inp
        operation = str(resource.get("request.operation", inp.operation))
        values = VariableValues(resource=resource, rules=rules, foreach=foreach)
        return dataclasses.replace(inp, values=values, operation=operation)


def _lines(text: bytes) -> dict[KeyPath, int]:
    """The line of every mapping value / sequence item of the first document."""
    out: dict[KeyPath, int] = {}
    try:
        node = next(iter(yaml.compose_all(text, Loader=_LOADER)), None)
    except yaml.YAMLError:
        return out

    def walk(n: Any, path: KeyPath) -> None:
        out[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                walk(v, (*path, str(k.value)))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, (*path, i))

    if node is not None:
        walk(node, ())
    return out


class _Reader:
    """Checks the shape, collecting positioned errors."""

    def __init__(self, file: str, lines: Mapping[KeyPath, int], root: KeyPath) -> None:
        self.file = file
        self.lines = lines
        self.root = root
        self.errors: list[LoadError] = []

    def error(self, path: KeyPath, message: str) -> None:
        full = (*self.root, *path)
        while full and full not in self.lines:
            full = full[:-1]
        dotted = ".".join(str(p) for p in path)
        pos = SourcePos(self.file, self.lines.get(full))
        self.errors.append(LoadError(pos, f"values: {dotted}: {message}"))

    def mapping(self, value: Any, path: KeyPath) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.error(path, "must be a map")
            return {}
        return value

    def items(
        self, value: Any, path: KeyPath, *, named: bool = True
    ) -> list[tuple[KeyPath, Mapping[str, Any]]]:
        """The map items of a list (each with a ``name`` when ``named``)."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, "must be a list")
            return []
        out = []
        for i, item in enumerate(value):
            if isinstance(item, Mapping) and (not named or item.get("name") not in (None, "")):
                out.append(((*path, i), item))
            else:
                self.error((*path, i), "must be a map with a name" if named else "must be a map")
        return out


def _gvk(r: _Reader, value: Any, path: KeyPath) -> tuple[str, str, str] | None:
    api = r.mapping(value, path)
    kind, name = str(api.get("kind") or ""), str(api.get("name") or "")
    if not kind or not name:
        r.error(path, "needs name and kind")
        return None
    group, version = str(api.get("group") or ""), str(api.get("version") or "v1")
    return kind, f"{group}/{version}" if group else version, name


def _read(spec: Mapping[str, Any], r: _Reader) -> KyvernoTestValues:
    glob = dict(r.mapping(spec.get("globalValues"), ("globalValues",)))
    resources: dict[tuple[str, str], Mapping[str, Any]] = {}
    rules: dict[str, dict[str, Mapping[str, Any]]] = {}
    foreach: dict[str, dict[str, Any]] = {}
    for path, pol in r.items(spec.get("policies"), ("policies",)):
        pname = str(pol["name"]).rpartition("/")[2]
        for rpath, rule in r.items(pol.get("rules"), (*path, "rules")):
            rvalues = r.mapping(rule.get("values"), (*rpath, "values"))
            rules.setdefault(pname, {})[str(rule["name"])] = rvalues
            fvalues = rule.get("foreachValues")
            if fvalues is not None:
                if isinstance(fvalues, Mapping | list):
                    foreach.setdefault(pname, {})[str(rule["name"])] = fvalues
                else:
                    r.error((*rpath, "foreachValues"), "must be a map or a list of maps")
        for rpath, res in r.items(pol.get("resources"), (*path, "resources")):
            rvalues = r.mapping(res.get("values"), (*rpath, "values"))
            resources[(pname, str(res["name"]))] = rvalues
    namespaces: dict[str, Mapping[str, Any]] = {}
    for path, sel in r.items(spec.get("namespaceSelector"), ("namespaceSelector",)):
        labels = r.mapping(sel.get("labels"), (*path, "labels"))
        name = str(sel["name"])
        namespaces[name] = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        namespaces[name]["metadata"]["labels"] = dict(labels)
    for path, ns in r.items(spec.get("namespaces"), ("namespaces",), named=False):
        meta = r.mapping(ns.get("metadata"), (*path, "metadata"))
        if not meta.get("name"):
            r.error(path, "a namespace needs metadata.name")
            continue
        namespaces[str(meta["name"])] = ns
    subs: list[Subresource] = []
    for path, entry in r.items(spec.get("subresources"), ("subresources",), named=False):
        sub = _gvk(r, entry.get("subresource"), (*path, "subresource"))
        parent = _gvk(r, entry.get("parentResource"), (*path, "parentResource"))
        if sub is None or parent is None:
            continue
        if "/" not in sub[2]:
            r.error((*path, "subresource", "name"), "must be <resource>/<subresource>")
            continue
        subs.append(Subresource(sub[0], sub[1], parent[0], parent[1], sub[2].split("/")[1]))
    return KyvernoTestValues(glob, resources, rules, foreach, namespaces, tuple(subs))


def load_values(
    test: Mapping[str, Any], test_file: Path
) -> tuple[KyvernoTestValues, list[LoadError]]:
    """The values of a test: inline ``values``, else the ``variables`` file."""
    inline = test.get("values")
    ref = test.get("variables")
    if inline is not None:
        r = _Reader(str(test_file), _lines(test_file.read_bytes()), ("values",))
        if not isinstance(inline, Mapping):
            r.error((), "must be a map")
            return KyvernoTestValues(), r.errors
        return _read(inline, r), r.errors
    if ref is None:
        return KyvernoTestValues(), []
    if not isinstance(ref, str) or not ref:
        r = _Reader(str(test_file), _lines(test_file.read_bytes()), ())
        r.error(("variables",), "must be the path of a values file")
        return KyvernoTestValues(), r.errors
    path = test_file.parent / ref
    if not path.is_file():
        pos = SourcePos(str(test_file), _lines(test_file.read_bytes()).get(("variables",)))
        return KyvernoTestValues(), [LoadError(pos, f"values file {ref}: no such file")]
    return read_values_file(path)


def read_values_file(path: Path) -> tuple[KyvernoTestValues, list[LoadError]]:
    """A ``Values`` file (``policy test``'s ``variables:``, ``policy apply --values-file``)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return KyvernoTestValues(), [
            LoadError(SourcePos(str(path)), f"cannot read values file: {exc.strerror or exc}")
        ]
    docs, errors = parse_documents(data, str(path))
    if not docs:
        return KyvernoTestValues(), errors or [LoadError(SourcePos(str(path)), "empty values file")]
    r = _Reader(str(path), _lines(data), ())
    return _read(docs[0].obj, r), errors + r.errors
