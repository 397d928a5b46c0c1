"""Controls and checks of the posture stage. Explicit registry in ``posture/registry.py``.

A **control** is the documented rule (id, severity, rationale, remediation, framework
mappings). A **check** evaluates one control (or a family, such as the PSS checks) and
returns findings of kind ``posture`` with ``rule_id`` = the control id and ``resource``
set. Per-object checks see one resource at a time; cluster checks see them all (default-
deny NetworkPolicies per namespace, RBAC bindings -> service accounts -> workloads).

A check decides pass or fail per (control, resource). Failures (and warnings) are
:class:`~hardhull.model.Finding` objects; a pass is a small :class:`Pass` that the engine
counts per control and namespace, and turns into a ``pass`` finding only when the caller
asks for passes (``hardhull k8s scan --show-passed``). Building a finding per pass was
most of the cost of a scan (issue 4).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, final

from hardhull.model import Finding, Resource, ResourceRef, Severity


@dataclass(frozen=True, slots=True)
class Control:
    """A documented rule. ``frameworks`` pairs a framework name (``CIS Kubernetes
    Benchmark``, ``NSA-CISA``, ``NIST SP 800-190``, ``MITRE ATT&CK Containers``,
    ``Pod Security Standards``) with the id of its matching control/technique."""

    id: str
    title: str
    severity: Severity
    rationale: str
    remediation: str
    frameworks: tuple[tuple[str, str], ...] = ()
    family: str = "kubernetes"


@final
@dataclass(frozen=True, slots=True)
class Pass:
    """``rule_id`` passed. ``ref`` is the resource it passed for; ``None`` means the
    resource being evaluated (per-resource checks return one shared instance per control,
    so a pass costs no allocation). ``message`` and ``evidence`` are used only when the
    pass is materialised as a finding."""

    rule_id: str
    title: str
    severity: Severity
    ref: ResourceRef | None = None
    message: str = ""
    evidence: tuple[tuple[str, str], ...] = ()


#: What a check returns: findings for what did not pass, :class:`Pass` for what did.
CheckResult = Finding | Pass


@dataclass(frozen=True)
class PostureContext:
    """What every check may consult: the whole input, the PSS level and version, options."""

    resources: Sequence[Resource] = ()
    pss_level: str = "restricted"
    pss_version: str = "latest"
    allowed_registries: tuple[str, ...] = ()
    options: dict[str, str] = field(default_factory=dict)


class ResourceCheck(Protocol):
    """Evaluates one resource; returns no findings for kinds it does not apply to."""

    @property
    def controls(self) -> tuple[Control, ...]: ...

    def evaluate(self, resource: Resource, ctx: PostureContext) -> Iterable[CheckResult]: ...


class ClusterCheck(Protocol):
    """Evaluates relations between resources (namespaces, RBAC, network policies)."""

    @property
    def controls(self) -> tuple[Control, ...]: ...

    def evaluate_all(self, ctx: PostureContext) -> Iterable[CheckResult]: ...
