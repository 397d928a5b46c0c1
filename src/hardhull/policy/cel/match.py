"""``matchConstraints`` / ``matchResources``: resource rules, label selectors.

Semantics of ``admissionregistration.k8s.io/v1`` ``MatchResources``: a request matches
when some ``resourceRules`` entry matches (group, version, resource[/subresource],
operation, scope; ``*`` wildcards), no ``excludeResourceRules`` entry matches, and the
namespace and object selectors match. A namespaced request whose Namespace object is
unknown is matched on the label Kubernetes always sets, ``kubernetes.io/metadata.name``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hardhull.policy.base import AdmissionInput, label_expression_holds
from hardhull.policy.scope import CLUSTER_SCOPED_KINDS

_IRREGULAR = {"Endpoints": "endpoints", "PodSecurityPolicy": "podsecuritypolicies"}


def plural(kind: str) -> str:
    """The resource name of a kind, by the Kubernetes pluralisation rules."""
    if kind in _IRREGULAR:
        return _IRREGULAR[kind]
    low = kind.lower()
    if low.endswith("y") and low[-2:-1] not in tuple("aeiou"):
        return low[:-1] + "ies"
    if low.endswith(("s", "x", "z", "ch", "sh")):
        return low + "es"
    return low + "s"


def group_version(inp: AdmissionInput) -> tuple[str, str]:
    """(group, version) of the request's kind."""
    api_version = inp.api_version or str((inp.obj or inp.old_obj or {}).get("apiVersion", ""))
    group, _, version = api_version.rpartition("/")
    return group, version


def kind_of(inp: AdmissionInput) -> str:
    """The request's kind."""
    return inp.kind or str((inp.obj or inp.old_obj or {}).get("kind", ""))


def resource_of(inp: AdmissionInput) -> str:
    """The request's resource (plural), derived from the kind when not given."""
    return inp.resource or plural(kind_of(inp))


@dataclass(frozen=True)
class LabelSelector:
    """A compiled ``metav1.LabelSelector``; ``None`` fields match everything."""

    match_labels: tuple[tuple[str, str], ...] = ()
    expressions: tuple[tuple[str, str, frozenset[str]], ...] = ()

    @classmethod
    def parse(cls, raw: Any) -> LabelSelector:
        """Build from YAML; ``ValueError`` on an unknown operator."""
        if not raw:
            return cls()
        if not isinstance(raw, Mapping):
            raise ValueError("a label selector must be a mapping")
        labels = tuple(sorted((str(k), str(v)) for k, v in (raw.get("matchLabels") or {}).items()))
        exprs = []
        for e in raw.get("matchExpressions") or []:
            op = str(e.get("operator", ""))
            if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
                raise ValueError(f"unknown label selector operator {op!r}")
            exprs.append((str(e.get("key", "")), op, frozenset(map(str, e.get("values") or []))))
        return cls(labels, tuple(exprs))

    def matches(self, labels: Mapping[str, Any]) -> bool:
        """Whether a label set satisfies the selector."""
        if any(labels.get(k) != v for k, v in self.match_labels):
            return False
        return all(
            label_expression_holds(labels, key, op, values) for key, op, values in self.expressions
        )


@dataclass(frozen=True)
class ResourceRule:
    """One ``NamedRuleWithOperations``."""

    groups: frozenset[str]
    versions: frozenset[str]
    resources: tuple[str, ...]
    operations: frozenset[str]
    scope: str
    names: frozenset[str]

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> ResourceRule:
        """Build from YAML."""

        def strs(key: str, default: Sequence[str] = ()) -> frozenset[str]:
            return frozenset(str(x) for x in (raw.get(key) or default))

        return cls(
            groups=strs("apiGroups"),
            versions=strs("apiVersions"),
            resources=tuple(str(x) for x in raw.get("resources") or ()),
            operations=strs("operations"),
            scope=str(raw.get("scope") or "*"),
            names=strs("resourceNames"),
        )

    def matches(self, inp: AdmissionInput) -> bool:
        """Whether the request falls under this rule."""
        group, version = group_version(inp)
        if "*" not in self.groups and group not in self.groups:
            return False
        if "*" not in self.versions and version not in self.versions:
            return False
        if "*" not in self.operations and inp.operation.upper() not in self.operations:
            return False
        if self.names and inp.name not in self.names:
            return False
        if self.scope != "*":
            cluster = kind_of(inp) in CLUSTER_SCOPED_KINDS or not inp.namespace
            if (self.scope == "Cluster") != cluster:
                return False
        return any(_resource_matches(p, resource_of(inp), inp.subresource) for p in self.resources)


def _resource_matches(pattern: str, resource: str, sub: str) -> bool:
    res, _, psub = pattern.partition("/")
    if res not in ("*", resource):
        return False
    if not psub:
        return not sub
    return psub == "*" or psub == sub


@dataclass(frozen=True)
class MatchResources:
    """A compiled ``MatchResources``."""

    rules: tuple[ResourceRule, ...] | None
    excludes: tuple[ResourceRule, ...]
    namespace_selector: LabelSelector
    object_selector: LabelSelector
    # Whether the resource rules (and not the excludes) select a request, by what they
    # look at: (apiVersion, kind, resource, subresource, operation, namespaced, name).
    _memo: dict[tuple[str, str, str, str, str, bool, str], bool] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    _uses_names: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = any(r.names for r in (*(self.rules or ()), *self.excludes))
        object.__setattr__(self, "_uses_names", names)

    @classmethod
    def parse(cls, raw: Any) -> MatchResources:
        """Build from YAML (``None`` = no constraint)."""
        raw = raw or {}
        rules = raw.get("resourceRules")
        return cls(
            rules=None if rules is None else tuple(ResourceRule.parse(r) for r in rules),
            excludes=tuple(ResourceRule.parse(r) for r in raw.get("excludeResourceRules") or ()),
            namespace_selector=LabelSelector.parse(raw.get("namespaceSelector")),
            object_selector=LabelSelector.parse(raw.get("objectSelector")),
        )

    def _rules_match(self, inp: AdmissionInput) -> bool:
        if self.rules is not None and not any(r.matches(inp) for r in self.rules):
            return False
        return not any(r.matches(inp) for r in self.excludes)

    def matches(self, inp: AdmissionInput) -> bool:
        """Whether the request is in scope."""
        if inp.api_version and inp.kind:  # else they come from the object: not memoised
            key = (
                inp.api_version, inp.kind, inp.resource, inp.subresource, inp.operation,
                bool(inp.namespace), inp.name if self._uses_names else "",
            )  # fmt: skip
            hit = self._memo.get(key)
            if hit is None:
                hit = self._rules_match(inp)
                if len(self._memo) >= 1024:
                    self._memo.clear()
                self._memo[key] = hit
            if not hit:
                return False
        elif not self._rules_match(inp):
            return False
        if not self._namespace_ok(inp):
            return False
        sel = self.object_selector
        if sel.match_labels or sel.expressions:
            return any(sel.matches(_labels(o)) for o in (inp.obj, inp.old_obj) if o is not None)
        return True

    def _namespace_ok(self, inp: AdmissionInput) -> bool:
        sel = self.namespace_selector
        if not (sel.match_labels or sel.expressions):
            return True
        if kind_of(inp) == "Namespace":
            return sel.matches(_labels(inp.obj or inp.old_obj or {}))
        if not inp.namespace:
            return True  # cluster-scoped: the namespace selector does not apply
        if inp.namespace_obj is not None:
            return sel.matches(_labels(inp.namespace_obj))
        return sel.matches({"kubernetes.io/metadata.name": inp.namespace})


def _labels(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata") or {}
    return meta.get("labels") or {} if isinstance(meta, Mapping) else {}
