"""The posture engine: every check over every resource, failures isolated.

:func:`run_posture` calls each :class:`~hardhull.posture.base.ResourceCheck` on each
resource and each :class:`~hardhull.posture.base.ClusterCheck` once. A check that raises
does not stop the run: it becomes an ``error`` finding for that resource (or for the
whole input) and a ``check-error`` coverage gap, so a broken check never reads as a pass.

Passes (:class:`~hardhull.posture.base.Pass`) are counted per (control id, namespace) in
:attr:`PostureRun.passes`; they become ``pass`` findings (:func:`pass_finding`) only with
``show_passed``. The counts feed the per-control tallies, the framework pass rate and the
PolicyReport summaries.

:class:`PssCheck` adapts the Pod Security Standards evaluator (``posture/pss``) to the
check interface: a finding per failed PSA check id and pod-bearing resource, a pass for
each other one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from hardhull.model import Finding, FindingKind, Gap, Resource, ResourceRef, Severity, Status
from hardhull.posture.base import (
    CheckResult,
    ClusterCheck,
    Control,
    Pass,
    PostureContext,
    ResourceCheck,
)
from hardhull.posture.checks.podspec import WORKLOAD_KINDS
from hardhull.posture.findings import posture_finding
from hardhull.posture.pss import active_checks, pod_spec_of, walk
from hardhull.posture.pss.helpers import present_keys
from hardhull.posture.pss.model import CheckFn

#: (control id, namespace or None, number of resources that passed it)
PassCount = tuple[str, str | None, int]

#: Kinds that carry a pod (template) checked with the pod's own rules.
POD_KINDS = WORKLOAD_KINDS


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


@dataclass(frozen=True, slots=True)
class PostureRun:
    """What the engine concluded: the non-passing ``findings`` (plus the materialised
    passes when asked for), the ``gaps`` of checks that failed, and ``passes``: how many
    resources passed each control, per namespace (sorted)."""

    findings: tuple[Finding, ...]
    gaps: tuple[Gap, ...]
    passes: tuple[PassCount, ...] = ()


def pass_finding(item: Pass, ref: ResourceRef) -> Finding:
    """The ``pass`` finding of ``item`` about ``ref`` (only built on request)."""
    subject = ref.label()
    return Finding(
        kind=FindingKind.POSTURE,
        status=Status.PASS,
        severity=item.severity,
        rule_id=item.rule_id,
        title=item.title,
        subject=subject,
        message=item.message or f"{subject}: {item.rule_id} passed",
        evidence=item.evidence,
        resource=ref,
    )


class _Collector:
    """Sorts check results into findings and pass counts (and pass findings on request)."""

    __slots__ = ("counts", "findings", "show_passed")

    def __init__(self, show_passed: bool) -> None:
        self.findings: list[Finding] = []
        self.counts: dict[tuple[str, str | None], int] = {}
        self.show_passed = show_passed

    def add(self, results: Iterable[CheckResult], ref: ResourceRef | None) -> None:
        counts, findings = self.counts, self.findings
        for item in results:
            if type(item) is Pass:
                target = item.ref or ref
                if target is None:  # a cluster check's pass must name its resource
                    raise ValueError(f"pass of {item.rule_id} names no resource")
                key = (item.rule_id, target.namespace)
                counts[key] = counts.get(key, 0) + 1
                if self.show_passed:
                    findings.append(pass_finding(item, target))
            else:
                findings.append(item)

    def passes(self) -> tuple[PassCount, ...]:
        ordered = sorted(self.counts.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
        return tuple((rule, ns, n) for (rule, ns), n in ordered)


def run_posture(
    resources: Sequence[Resource],
    ctx: PostureContext,
    checks: Iterable[ResourceCheck],
    cluster_checks: Iterable[ClusterCheck] = (),
    *,
    strict: bool = False,
    show_passed: bool = False,
) -> PostureRun:
    """Run ``checks`` on every resource and ``cluster_checks`` once on ``ctx``.

    Findings are unsorted; passes are counted, and materialised as findings only with
    ``show_passed``. ``strict`` re-raises check failures (for tests)."""
    out = _Collector(show_passed)
    gaps: list[Gap] = []
    check_list = tuple(checks)
    counts, findings = out.counts, out.findings
    # passes of the resource being checked (item.ref None, the common case), per namespace
    # and control: counted without a (control, namespace) key per pass, merged at the end
    own: dict[str | None, dict[str, int]] = {}
    for resource in resources:
        ref = resource.ref
        here = own.get(ref.namespace)
        if here is None:
            here = own[ref.namespace] = {}
        for check in check_list:
            try:
                # _Collector.add inlined: this loop runs once per (resource, check)
                for item in check.evaluate(resource, ctx):
                    if type(item) is not Pass:
                        findings.append(item)
                        continue
                    if item.ref is None:
                        rule_id = item.rule_id
                        here[rule_id] = here.get(rule_id, 0) + 1
                        target = ref
                    else:
                        target = item.ref
                        key = (item.rule_id, target.namespace)
                        counts[key] = counts.get(key, 0) + 1
                    if show_passed:
                        findings.append(pass_finding(item, target))
            except Exception as exc:
                if strict:
                    raise
                out.findings.append(_error(check, exc, resource))
                gaps.append(Gap("check-error", ref.label(), f"{_check_name(check)}: {exc}"))
    for namespace, by_rule in own.items():
        for rule_id, n in by_rule.items():
            key = (rule_id, namespace)
            counts[key] = counts.get(key, 0) + n
    for cluster_check in cluster_checks:
        try:
            out.add(cluster_check.evaluate_all(ctx), None)
        except Exception as exc:
            if strict:
                raise
            out.findings.append(_error(cluster_check, exc, None))
            gaps.append(
                Gap("check-error", "cluster checks", f"{_check_name(cluster_check)}: {exc}")
            )
    return PostureRun(tuple(out.findings), tuple(gaps), out.passes())


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
        self._plans: dict[tuple[str, str], tuple[_Step, ...]] = {}

    @property
    def controls(self) -> tuple[Control, ...]:
        """The PSS controls known to the catalog (may be empty)."""
        return self._controls

    def _severity(self, check_id: str, level: str) -> Severity:
        control = self._by_id.get(check_id)
        if control is not None:
            return control.severity
        return _BASELINE_SEVERITY if level == "baseline" else _RESTRICTED_SEVERITY

    def _plan(self, ctx: PostureContext) -> tuple[_Step, ...]:
        """Per (level, version): each active check's function, id, title, severity and
        shared pass, worked out once (a bad level or version raises every time)."""
        key = (ctx.pss_level, ctx.pss_version)
        plan = self._plans.get(key)
        if plan is None:
            evidence = (("pss_level", ctx.pss_level), ("pss_version", ctx.pss_version))
            steps: list[_Step] = []
            for check, variant in active_checks(ctx.pss_level, ctx.pss_version):
                level = check.level or ctx.pss_level
                title = f"Pod Security Standards ({level}): {check.id}"
                severity = self._severity(check.id, level)
                shared = Pass(check.id, title, severity, evidence=evidence)
                steps.append((variant.fn, variant.needs, check.id, title, severity, shared))
            plan = self._plans[key] = tuple(steps)
        return plan

    def evaluate(self, resource: Resource, ctx: PostureContext) -> Iterable[CheckResult]:
        """A finding per failed PSA check of a pod-bearing resource and a pass per other
        one; nothing for other kinds."""
        if resource.ref.kind not in POD_KINDS:
            return []
        found = pod_spec_of(resource.obj)
        if found is None:
            return []
        plan = self._plan(ctx)
        metadata, spec = found
        cs = walk(spec)
        present = present_keys(metadata, spec, cs)
        out: list[CheckResult] = []
        ref = resource.ref
        subject = ""
        for fn, needs, check_id, title, severity, shared in plan:
            if needs and needs.isdisjoint(present):
                out.append(shared)  # cannot forbid a pod that sets none of its fields
                continue
            outcome = fn(metadata, spec, cs)
            if outcome.allowed:
                out.append(shared)
                continue
            reason, detail = outcome.forbidden_reason, outcome.forbidden_detail
            message = f"{reason}: {detail}" if reason and detail else reason or detail
            subject = subject or ref.label()
            out.append(
                posture_finding(
                    Status.FAIL,
                    severity,
                    check_id,
                    title,
                    subject,
                    message,
                    shared.evidence,  # the (pss_level, pss_version) pairs, one tuple per plan
                    None,
                    ref,
                )
            )
        return out


#: One PSS check as the adapter runs it: (function, the fields it needs (see
#: ``Variant.needs``), id, title, severity, shared pass).
_Step = tuple[CheckFn, frozenset[str], str, str, Severity, Pass]


__all__ = ["POD_KINDS", "PassCount", "PostureRun", "PssCheck", "pass_finding", "run_posture"]
