"""Custom posture checks as data: loaded policies (Kyverno, VAP, ValidatingPolicy) run
over manifests like any other check.

Each (policy, rule) becomes a control ``<policy>/<rule>``; a ``fail`` result is a finding
of kind ``policy`` on the resource, a ``pass`` counts as a pass, a ``skip`` (rule did not
apply) is nothing. Severity comes from the result (Kyverno's
``policies.kyverno.io/severity`` annotation), else medium.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hardhull.model import Finding, FindingKind, Resource, Severity, Status
from hardhull.policy.base import Policy, Result
from hardhull.policy.loader import apply_policies
from hardhull.posture.base import CheckResult, Control, Pass, PostureContext

_STATUS = {Result.FAIL: Status.FAIL, Result.WARN: Status.WARN, Result.ERROR: Status.ERROR}


def _severity(text: str) -> Severity:
    try:
        return Severity.parse(text) if text else Severity.MEDIUM
    except ValueError:
        return Severity.MEDIUM


class PolicyCheck:
    """Adapts compiled policies to the posture :class:`ResourceCheck` interface."""

    def __init__(self, policies: Sequence[Policy]) -> None:
        self._policies = tuple(policies)
        self._passes: dict[tuple[str, str], Pass] = {}

    @property
    def controls(self) -> tuple[Control, ...]:
        """One control per policy (rules are reported as ``<policy>/<rule>``)."""
        return tuple(
            Control(
                id=p.name,
                title=f"Custom policy {p.name} ({p.kind})",
                severity=Severity.MEDIUM,
                rationale=f"Loaded from {p.pos}.",
                remediation="See the policy's message.",
                family="policy",
            )
            for p in self._policies
        )

    def evaluate(self, resource: Resource, ctx: PostureContext) -> Iterable[CheckResult]:
        """Every applicable policy's verdicts for ``resource`` (as a CREATE)."""
        ref = resource.ref
        out: list[CheckResult] = []
        for result in apply_policies(self._policies, (resource,)):
            rule_id = f"{result.policy}/{result.rule}"
            severity = _severity(result.severity)
            if result.result is Result.PASS:
                key = (rule_id, severity.value)
                shared = self._passes.get(key)
                if shared is None:
                    shared = self._passes[key] = Pass(rule_id, rule_id, severity)
                out.append(shared)
                continue
            status = _STATUS.get(result.result)
            if status is None:  # skip: the rule did not apply
                continue
            out.append(
                Finding(
                    kind=FindingKind.POLICY,
                    status=status,
                    severity=severity,
                    rule_id=rule_id,
                    title=f"{result.policy}: {result.rule}",
                    subject=ref.label(),
                    message=result.message,
                    resource=ref,
                    evidence=(("policy", result.policy), ("action", result.action.value)),
                )
            )
        return out
