"""Load policy files of every language, dispatching each document by apiVersion/kind.

``kyverno.io`` ``ClusterPolicy``/``Policy`` go to :mod:`hardhull.policy.kyverno`;
ValidatingAdmissionPolicy (+ bindings) and Kyverno's CEL ``ValidatingPolicy`` go to
:mod:`hardhull.policy.cel` (imported lazily: it needs the CEL runtime). Every document
keeps its file and line, and so does every rule of a Kyverno policy. Resources (any kind)
are read here too, with their file and line, for ``policy apply`` and ``policy test``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hardhull.errors import UsageError
from hardhull.model import Resource, ResourceRef
from hardhull.policy.base import AdmissionInput, LoadError, Policy, RuleResult, SourcePos
from hardhull.policy.kyverno import API_VERSIONS, KINDS, compile_policy
from hardhull.policy.kyverno.engine import KyvernoPolicy
from hardhull.policy.kyverno.mutate import patched_input
from hardhull.policy.scope import effective_namespace

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILE_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Document:
    """One decoded YAML/JSON document, where it starts, and the lines of its rules."""

    obj: Mapping[str, Any]
    pos: SourcePos
    rule_lines: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class PolicySet:
    """What a load produced: compiled policies and load errors (fatal or not)."""

    policies: tuple[Policy, ...]
    errors: tuple[LoadError, ...]


def _rule_lines(node: yaml.Node) -> tuple[int, ...]:
    if not isinstance(node, yaml.MappingNode):
        return ()
    for key, value in node.value:
        if getattr(key, "value", None) == "spec" and isinstance(value, yaml.MappingNode):
            for k2, v2 in value.value:
                if getattr(k2, "value", None) == "rules" and isinstance(v2, yaml.SequenceNode):
                    return tuple(item.start_mark.line + 1 for item in v2.value)
    return ()


def parse_documents(data: bytes | str, file: str) -> tuple[list[Document], list[LoadError]]:
    """Every document of one YAML/JSON stream, with positions; errors for bad YAML."""
    docs: list[Document] = []
    errors: list[LoadError] = []
    loader = _LOADER(data)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            obj = loader.construct_document(node)
            line = node.start_mark.line + 1
            if obj is None:
                continue
            if isinstance(obj, Mapping):
                docs.append(Document(obj, SourcePos(file, line), _rule_lines(node)))
            elif isinstance(obj, list):
                docs.extend(
                    Document(o, SourcePos(file, line)) for o in obj if isinstance(o, Mapping)
                )
            else:
                errors.append(LoadError(SourcePos(file, line), "document is not a map"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        errors.append(LoadError(SourcePos(file, line), f"malformed YAML: {exc.problem}"))
    except yaml.YAMLError as exc:
        errors.append(LoadError(SourcePos(file), f"malformed YAML: {exc}"))
    finally:
        loader.dispose()
    return docs, errors


def _files(paths: Iterable[str]) -> list[Path]:
    out: list[Path] = []
    for name in paths:
        path = Path(name)
        if not path.exists():
            raise UsageError(f"{name}: no such file or directory")
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file()))
        else:
            out.append(path)
    return out


def read_paths(paths: Iterable[str]) -> tuple[list[Document], list[LoadError]]:
    """Documents from files and directories (recursively, ``*.yaml|yml|json``)."""
    docs: list[Document] = []
    errors: list[LoadError] = []
    for file in _files(paths):
        try:
            if file.stat().st_size > MAX_FILE_BYTES:
                errors.append(LoadError(SourcePos(str(file)), "file is over the size limit"))
                continue
            data = file.read_bytes()
        except OSError as exc:
            errors.append(LoadError(SourcePos(str(file)), exc.strerror or str(exc)))
            continue
        d, e = parse_documents(data, str(file))
        docs += d
        errors += e
    return docs, errors


def is_kyverno(doc: Mapping[str, Any]) -> bool:
    """A ``kyverno.io`` ClusterPolicy/Policy."""
    return doc.get("apiVersion") in API_VERSIONS and doc.get("kind") in KINDS


def is_parameter_object(doc: Mapping[str, Any]) -> bool:
    """A Kubernetes object that is not a policy document (so it may be a policy's
    parameter object)."""
    api = str(doc.get("apiVersion", ""))
    return (
        bool(api and doc.get("kind"))
        and not is_kyverno(doc)
        and not api.startswith(("admissionregistration.k8s.io/", "policies.kyverno.io/"))
    )


def compile_documents(
    docs: Sequence[Document], params: Sequence[Mapping[str, Any]] = ()
) -> PolicySet:
    """Compile the policy documents among ``docs``. The other objects among them (a
    ConfigMap or custom resource next to its policy) are parameter objects that VAP
    bindings' and Kyverno CEL rules' ``paramRef`` can select, with ``params``."""
    policies: list[Policy] = []
    errors: list[LoadError] = []
    cel_docs: list[tuple[Mapping[str, Any], SourcePos]] = []
    params = [*params, *(d.obj for d in docs if is_parameter_object(d.obj))]
    for doc in docs:
        if is_kyverno(doc.obj):
            policy, errs = compile_policy(doc.obj, doc.pos, doc.rule_lines, params)
            errors += errs
            if policy is not None:
                policies.append(policy)
            continue
        api = str(doc.obj.get("apiVersion", ""))
        if api.startswith(("admissionregistration.k8s.io/", "policies.kyverno.io/")):
            cel_docs.append((doc.obj, doc.pos))
    if cel_docs:
        try:
            from hardhull.policy import cel
        except ImportError as exc:
            for _, pos in cel_docs:
                errors.append(LoadError(pos, f"CEL policies are unavailable: {exc}"))
        else:
            cel_policies, cel_errors = cel.load_cel_documents(cel_docs, params)
            policies += cel_policies
            errors += cel_errors
    return PolicySet(tuple(policies), tuple(errors))


def load_policies(paths: Iterable[str], params: Sequence[Mapping[str, Any]] = ()) -> PolicySet:
    """Read and compile every policy under ``paths``."""
    docs, errors = read_paths(paths)
    loaded = compile_documents(docs, params)
    return PolicySet(loaded.policies, tuple(errors) + loaded.errors)


def to_resource(doc: Document) -> Resource | None:
    """A Kubernetes object (any kind) as a Resource, or None if it is not one."""
    obj = doc.obj
    kind, api = obj.get("kind"), obj.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(api, str):
        return None
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), Mapping) else {}
    assert isinstance(meta, Mapping)
    ns = meta.get("namespace")
    ref = ResourceRef(
        kind=kind,
        name=str(meta.get("name") or meta.get("generateName") or ""),
        namespace=str(ns) if ns else None,
        api_version=api,
        file=doc.pos.file,
        line=doc.pos.line,
    )
    labels = meta.get("labels") if isinstance(meta.get("labels"), Mapping) else {}
    assert isinstance(labels, Mapping)
    return Resource(ref, obj, tuple(sorted((str(k), str(v)) for k, v in labels.items())))


def load_resources(paths: Iterable[str]) -> tuple[list[Resource], list[LoadError]]:
    """Every Kubernetes object under ``paths`` (``List`` kinds expanded)."""
    docs, errors = read_paths(paths)
    out: list[Resource] = []
    for doc in docs:
        items = doc.obj.get("items")
        if str(doc.obj.get("kind", "")).endswith("List") and isinstance(items, list):
            subs = [Document(i, doc.pos) for i in items if isinstance(i, Mapping)]
        else:
            subs = [doc]
        for sub in subs:
            res = to_resource(sub)
            if res is None:
                errors.append(LoadError(sub.pos, "document lacks kind or apiVersion"))
            else:
                out.append(res)
    return out, errors


def evaluate_in_cli_order(
    policies: Sequence[Policy],
    inp: AdmissionInput,
    prepare: Callable[[Policy, AdmissionInput], AdmissionInput] | None = None,
) -> tuple[list[tuple[Policy, list[RuleResult]]], dict[str, Any]]:
    """Evaluate as the Kyverno CLI does (``kyverno apply``/``test``): first the mutate
    rules of every policy, in order, each on the object the previous ones left, then every
    policy's other rules on the final object. Returns the (policy, results) steps and the
    object as it was after each policy's mutations, by policy name. ``prepare`` adapts
    the input for one policy (a test's values)."""

    def ready(policy: Policy, current: AdmissionInput) -> AdmissionInput:
        return prepare(policy, current) if prepare is not None else current

    steps: list[tuple[Policy, list[RuleResult]]] = []
    after: dict[str, Any] = {}
    for policy in policies:
        if isinstance(policy, KyvernoPolicy) and policy.mutates and policy.applies_to(inp):
            found = list(policy.evaluate(ready(policy, inp), only="mutate"))
            steps.append((policy, found))
            patch = [op for r in found for op in r.patch]
            if patch:
                inp = patched_input(inp, patch)
        after[policy.name] = inp.obj
    for policy in policies:
        if not policy.applies_to(inp):
            continue
        if isinstance(policy, KyvernoPolicy) and policy.mutates:
            steps.append((policy, list(policy.evaluate(ready(policy, inp), only="validate"))))
        else:
            steps.append((policy, list(policy.evaluate(ready(policy, inp)))))
    return steps, after


def apply_policies(
    policies: Sequence[Policy], resources: Iterable[Resource], values: Any = None
) -> list[RuleResult]:
    """Every applicable policy's verdicts for each resource, evaluated as a CREATE
    (what ``hardhull policy apply`` reports): one result per (policy, rule, resource),
    in the Kyverno CLI's order (:func:`evaluate_in_cli_order`). ``values``: a
    :class:`hardhull.policy.testvalues.KyvernoTestValues` (``--values-file``/``--set``),
    applied as ``policy test`` applies a test's values."""
    results: list[RuleResult] = []
    for res in resources:
        if values is not None:
            inp = values.admission_input(res)
            steps, _ = evaluate_in_cli_order(
                policies, inp, lambda policy, current: values.input_for(current, policy.name)
            )
        else:
            inp = AdmissionInput(
                obj=res.obj,
                kind=res.ref.kind,
                api_version=res.ref.api_version,
                # a namespaced object without one lands in `default`, as in `policy test`
                namespace=effective_namespace(res.ref.kind, res.ref.namespace),
                name=res.ref.name,
                ref=res.ref,
            )
            steps, _ = evaluate_in_cli_order(policies, inp)
        results.extend(r for _, found in steps for r in found)
    return results
