"""The policy interfaces shared by every policy language and by the admission server.

A loaded :class:`Policy` is compiled once (CEL programs, patterns, JMESPath) and then
evaluated many times against an :class:`AdmissionInput`: the AdmissionReview request's
essentials, or a resource from a file (``operation`` CREATE, no old object). Each
evaluation returns one :class:`RuleResult` per (rule, resource) that applied; rules that
did not match the resource return nothing (or ``skip`` when a precondition excluded it).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from hardhull.model import ResourceRef


class Result(StrEnum):
    """A rule's verdict (wg-policy / kyverno vocabulary)."""

    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    ERROR = "error"
    SKIP = "skip"


class Action(StrEnum):
    """What a failing rule does at admission: deny the request, warn, or only audit."""

    DENY = "deny"
    WARN = "warn"
    AUDIT = "audit"


@dataclass(frozen=True, slots=True)
class SourcePos:
    """Where a policy (or one of its expressions) was written: file, line, column."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where


@dataclass(frozen=True, slots=True)
class VariableValues:
    """Values a policy test supplies for Kyverno variables (``kyverno test`` values):
    dotted names (``request.object.metadata.name``, a context entry name such as
    ``dictionary.data.env``) for every rule of one policy on one resource, per-rule
    values, and per-rule ``foreachValues``: name -> one value per foreach element, either
    one map for every foreach block or a list of maps, one per block."""

    resource: Mapping[str, Any] = field(default_factory=dict)
    rules: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    foreach: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AdmissionInput:
    """What a policy sees. ``obj``/``old_obj`` are the decoded objects (read-only);
    ``namespace_obj`` is the Namespace (for namespaceSelector / namespaceObject), when
    known; ``params`` is the VAP parameter object, when bound."""

    obj: Mapping[str, Any] | None
    operation: str = "CREATE"
    old_obj: Mapping[str, Any] | None = None
    kind: str = ""
    api_version: str = ""
    resource: str = ""  # plural, e.g. "deployments"
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    user_info: Mapping[str, Any] = field(default_factory=dict)
    namespace_obj: Mapping[str, Any] | None = None
    params: Mapping[str, Any] | None = None
    dry_run: bool = False
    ref: ResourceRef | None = None
    values: VariableValues | None = None  # policy tests only


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One verdict. ``action`` is what enforcement would do with a ``fail``;
    ``patch`` holds JSONPatch operations for mutating (defaulting) rules."""

    policy: str
    rule: str
    result: Result
    message: str = ""
    action: Action = Action.DENY
    resource: ResourceRef | None = None
    severity: str = ""
    category: str = ""
    audit_annotations: tuple[tuple[str, str], ...] = ()
    patch: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class LoadError:
    """A policy that could not be loaded, or a feature it needs that is unsupported."""

    pos: SourcePos
    message: str
    fatal: bool = True


def label_expression_holds(
    labels: Mapping[str, Any], key: str, op: str, values: Collection[str]
) -> bool:
    """Whether ``labels`` satisfy one LabelSelector ``matchExpressions`` entry
    (``In``, ``NotIn``, ``Exists``, ``DoesNotExist``; any other operator holds)."""
    present = key in labels
    if op == "In":
        return present and str(labels[key]) in values
    if op == "NotIn":
        return not (present and str(labels[key]) in values)
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    return True


class Policy(Protocol):
    """A compiled policy of any language."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def pos(self) -> SourcePos: ...

    def applies_to(self, inp: AdmissionInput) -> bool:
        """Cheap pre-filter (match constraints by kind/operation/namespace)."""
        ...

    def evaluate(self, inp: AdmissionInput) -> Sequence[RuleResult]: ...


CONTAINER_SECTIONS = ("containers", "initContainers", "ephemeralContainers")


def container_images(spec: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """``(container path, image)`` for every container of a pod spec (``""`` for an
    image that is missing or not a string); the path is ``section[name]``, or
    ``section[index]`` for a container without a name."""
    for section in CONTAINER_SECTIONS:
        items = spec.get(section)
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if isinstance(item, Mapping):
                image = item.get("image")
                name = item.get("name")
                label = f"{section}[{name if isinstance(name, str) and name else i}]"
                yield label, image if isinstance(image, str) else ""
