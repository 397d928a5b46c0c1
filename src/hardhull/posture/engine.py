"""The posture engine: every check over every resource, failures isolated.

:func:`run_posture` calls each :class:`~hardhull.posture.base.ResourceCheck` on each
resource and each :class:`~hardhull.posture.base.ClusterCheck` once. A check that raises
does not stop the run: it becomes an ``error`` finding for that resource (or for the
whole input) and a ``check-error`` coverage gap, so a broken check never reads as a pass.

:class:`PssCheck` adapts the Pod Security Standards evaluator (``posture/pss``) to the
check interface: one finding per PSA check id and pod-bearing resource, ``fail`` or
``pass``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hardhull.model import Finding, FindingKind, Gap, Resource, Severity, Status
from hardhull.posture.base import ClusterCheck, Control, PostureContext, ResourceCheck

#: Kinds that carry a pod (template) checked with the pod's own rules.
POD_KINDS = frozenset(
    {
        "Pod",
        "PodTemplate",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "ReplicationController",
        "Job",
        "CronJob",
    }
)


def _check_name(check: object) -> str:
    controls: tuple[Control, ...] = getattr(check, "controls", ())
    if controls:
        return controls[0].id if len(controls) == 1 else f"{type(check).__name__}"
    return type(check).__name__


def _error(check: object, exc: Exception, resource: Resource | None) -> Finding:
    name = _check_name(check)
    where = resource.ref.label() if resource is not None else "the whole input"
    return Finding(
        kind=FindingKind.POSTURE,
        status=Status.ERROR,
        severity=Severity.UNKNOWN,
        rule_id=name,
        title=f"check {name} failed",
        subject=where,
        message=f"{type(exc).__name__}: {exc}",
        resource=resource.ref if resource is not None else None,
    )


def run_posture(
    resources: Sequence[Resource],
    ctx: PostureContext,
    checks: Iterable[ResourceCheck],
    cluster_checks: Iterable[ClusterCheck] = (),
    *,
    strict: bool = False,
) -> tuple[list[Finding], list[Gap]]:
    """Run ``checks`` on every resource and ``cluster_checks`` once on ``ctx``.

    Returns the findings (unsorted) and the gaps of checks that failed. ``strict``
    re-raises check failures (for tests)."""
    findings: list[Finding] = []
    gaps: list[Gap] = []
    check_list = tuple(checks)
    for resource in resources:
        for check in check_list:
            try:
                findings.extend(check.evaluate(resource, ctx))
            except Exception as exc:
                if strict:
                    raise
                findings.append(_error(check, exc, resource))
                gaps.append(
                    Gap("check-error", resource.ref.label(), f"{_check_name(check)}: {exc}")
                )
    for cluster_check in cluster_checks:
        try:
            findings.extend(cluster_check.evaluate_all(ctx))
        except Exception as exc:
            if strict:
                raise
            findings.append(_error(cluster_check, exc, None))
            gaps.append(
                Gap("check-error", "cluster checks", f"{_check_name(cluster_check)}: {exc}")
            )
    return findings, gaps


# --- Pod Security Standards adapter ------------------------------------------------------

_BASELINE_SEVERITY = Severity.HIGH
_RESTRICTED_SEVERITY = Severity.MEDIUM


class PssCheck:
    """Pod Security Standards at ``ctx.pss_level`` / ``ctx.pss_version`` as findings.

    ``rule_id`` is the pod-security-admission check id; severity comes from the control
    catalog when it names the check, else high for baseline and medium for restricted."""

    def __init__(self, controls: Sequence[Control] = ()) -> None:
        self._controls = tuple(controls)
        self._by_id: Mapping[str, Control] = {c.id: c for c in controls}
        self._titles: dict[tuple[str, str], tuple[str, Severity]] = {}

    @property
    def controls(self) -> tuple[Control, ...]:
        """The PSS controls known to the catalog (may be empty)."""
        return self._controls

    def _severity(self, check_id: str, level: str) -> Severity:
        control = self._by_id.get(check_id)
        if control is not None:
            return control.severity
        return _BASELINE_SEVERITY if level == "baseline" else _RESTRICTED_SEVERITY

    def evaluate(self, resource: Resource, ctx: PostureContext) -> Iterable[Finding]:
        """One finding per PSA check for pod-bearing resources; nothing for other kinds."""
        if resource.ref.kind not in POD_KINDS:
            return []
        pss: Any = importlib.import_module("hardhull.posture.pss")
        found = pss.pod_spec_of(resource.obj)
        if found is None:
            return []
        metadata, spec = found
        results = pss.evaluate_pod(metadata, spec, ctx.pss_level, ctx.pss_version)
        out: list[Finding] = []
        ref = resource.ref
        subject = ref.label()
        evidence = (("pss_level", ctx.pss_level), ("pss_version", ctx.pss_version))
        titles = self._titles
        for result in results:
            check_id: str = result.check_id
            level: str = result.level or ctx.pss_level
            key = (check_id, level)
            head = titles.get(key)
            if head is None:
                head = titles[key] = (
                    f"Pod Security Standards ({level}): {check_id}",
                    self._severity(check_id, level),
                )
            if result.allowed:
                status, message = Status.PASS, ""
            else:
                reason, detail = result.forbidden_reason, result.forbidden_detail
                status = Status.FAIL
                message = f"{reason}: {detail}" if reason and detail else reason or detail
            out.append(
                Finding(
                    kind=FindingKind.POSTURE,
                    status=status,
                    severity=head[1],
                    rule_id=check_id,
                    title=head[0],
                    subject=subject,
                    message=message,
                    evidence=evidence,
                    resource=ref,
                )
            )
        return out


__all__ = ["POD_KINDS", "PssCheck", "run_posture"]
