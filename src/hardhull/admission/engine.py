"""The admission decision: every applicable policy, modes, exemptions, budget, audit.

:meth:`AdmissionEngine.decide` is synchronous and pure apart from the clock: it runs
each policy that ``applies_to`` the request, maps every ``fail`` to the policy's mode
(config ``modes`` > ``default_mode`` > the rule's own action) and folds the results into
one :class:`Decision`. A policy that raises, returns ``error``, or a request whose
evaluation runs past the latency budget follows the failure policy (fail-open: allow
with a warning; fail-closed: deny) and the message says why. Requests in the server's
own namespace are never blocked. :meth:`AdmissionEngine.record` writes the audit line.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hardhull.admission.audit import AuditLog
from hardhull.admission.config import AdmissionConfig, FailurePolicy, Mode
from hardhull.admission.review import Review, build_response
from hardhull.policy import jsonpatch
from hardhull.policy.base import Action, AdmissionInput, Policy, Result, RuleResult

MAX_MESSAGE = 4096
_MODE_OF_ACTION = {action: Mode.from_action(action) for action in Action}
_PASS = Result.PASS


@dataclass(frozen=True, slots=True)
class PolicyOutcome:
    """What one policy said: its mode, its results, or the error it raised."""

    policy: str
    mode: Mode
    results: tuple[RuleResult, ...] = ()
    error: str = ""


@dataclass(frozen=True)
class Decision:
    """The answer to one request, ready to become an AdmissionReview response."""

    allowed: bool
    code: int | None = None
    message: str = ""
    reason: str = ""
    warnings: tuple[str, ...] = ()
    audit_annotations: tuple[tuple[str, str], ...] = ()
    patch: tuple[Mapping[str, Any], ...] = ()
    outcomes: tuple[PolicyOutcome, ...] = ()
    note: str = ""

    def response(self, uid: str) -> bytes:
        """This decision as an AdmissionReview v1 response body for request ``uid``."""
        return build_response(
            uid,
            allowed=self.allowed,
            code=self.code,
            message=self.message,
            reason=self.reason,
            warnings=self.warnings,
            audit_annotations=self.audit_annotations,
            patch=self.patch,
        )


def _labels(obj: Mapping[str, Any] | None) -> Mapping[str, Any]:
    meta = obj.get("metadata") if obj is not None else None
    labels = meta.get("labels") if isinstance(meta, Mapping) else None
    return labels if isinstance(labels, Mapping) else {}


def _annotation_key(policy: str) -> str:
    key = "".join(c if c.isalnum() or c in "-_." else "-" for c in policy).strip("-_.")
    return (key or "policy")[:63]


@dataclass
class _Fold:
    """Accumulates outcomes into a decision."""

    denials: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    annotations: list[tuple[str, str]] = field(default_factory=list)
    patch: list[Mapping[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # errors under the failure policy


class AdmissionEngine:
    """Policies plus configuration; one instance serves every request."""

    def __init__(
        self,
        policies: Sequence[Policy],
        config: AdmissionConfig,
        audit: AuditLog | None = None,
    ) -> None:
        self.policies = tuple(policies)
        self.config = config
        self.audit = audit
        self.budget_s = config.budget_ms / 1000.0
        # What depends only on the policy and the configuration, worked out once:
        # (policy, its name, its configured mode or None, its audit annotation key).
        self._entries = tuple(
            (p, p.name, config.modes.get(p.name) or config.default_mode, _annotation_key(p.name))
            for p in self.policies
        )

    def close(self) -> None:
        """Stop what policies run in the background (on-demand scans)."""
        for policy in self.policies:
            close = getattr(policy, "close", None)
            if callable(close):
                close()

    @staticmethod
    def _mode(configured: Mode | None, result: RuleResult | None) -> Mode:
        if configured is not None:
            return configured
        return _MODE_OF_ACTION[result.action] if result is not None else Mode.ENFORCE

    def _exempt(self, review: Review) -> tuple[bool, frozenset[str]]:
        """(every policy exempt, names of exempt policies)."""
        inp = review.input
        labels = _labels(inp.obj if inp.obj is not None else inp.old_obj)
        names: set[str] = set()
        for ex in self.config.exemptions:
            if ex.covers(inp.namespace, labels):
                if not ex.policies:
                    return True, frozenset()
                names |= ex.policies
        return False, frozenset(names)

    def decide(self, review: Review, *, mutate: bool = False) -> Decision:
        """Evaluate ``review`` against every applicable policy."""
        inp = review.input
        own = self.config.self_namespace
        if inp.namespace == own or (inp.kind == "Namespace" and inp.name == own):
            return Decision(True, note="self-namespace")
        every, exempt = self._exempt(review)
        if every:
            return Decision(True, note="exempt")
        deadline = time.perf_counter() + self.budget_s
        outcomes: list[PolicyOutcome] = []
        fold = _Fold()
        over_budget = False
        for policy, name, configured, key in self._entries:
            if time.perf_counter() > deadline:
                over_budget = True
                break
            if name in exempt:
                continue
            try:
                if not policy.applies_to(inp):
                    continue
                results = tuple(policy.evaluate(inp))
            except Exception as exc:  # a policy bug must not take the server down
                outcome = PolicyOutcome(name, self._mode(configured, None), error=f"{exc!r}")
                outcomes.append(outcome)
                why = f"raised {type(exc).__name__}: {exc}"
                self._fold_error(fold, outcome.mode, name, key, why)
                continue
            outcomes.append(
                PolicyOutcome(
                    name, self._mode(configured, results[0] if results else None), results
                )
            )
            applied = len(fold.patch)
            for res in results:
                if res.result is _PASS:  # the common case: only annotations and patches
                    if res.audit_annotations:
                        fold.annotations.extend(res.audit_annotations)
                    if mutate and res.patch:
                        fold.patch.extend(res.patch)
                    continue
                self._fold_result(fold, name, key, self._mode(configured, res), res, mutate)
            if len(fold.patch) > applied:
                inp = self._mutated(fold, inp, applied, outcomes[-1], key)
        if fold.patch:  # one patch, from the original object to the final one
            fold.patch[:] = jsonpatch.diff(review.input.obj, inp.obj)
        if not over_budget and time.perf_counter() > deadline:
            over_budget = True
        if over_budget:
            fold.failures.append(
                f"evaluation exceeded the {self.config.budget_ms:g} ms latency budget"
            )
        return self._finish(fold, tuple(outcomes), mutate, over_budget)

    def _mutated(
        self, fold: _Fold, inp: AdmissionInput, start: int, outcome: PolicyOutcome, key: str
    ) -> AdmissionInput:
        """The request as the next policy sees it: ``inp`` with this policy's patches
        (``fold.patch[start:]``) applied. Each policy's patches are relative to the
        object it saw, so applying them in order composes all mutations."""
        try:
            obj = jsonpatch.apply(inp.obj, fold.patch[start:])
        except jsonpatch.JsonPatchError as exc:
            del fold.patch[start:]
            why = f"its patch does not apply: {exc}"
            self._fold_error(fold, outcome.mode, outcome.policy, key, why)
            return inp
        return dataclasses.replace(inp, obj=obj)

    @staticmethod
    def _fold_error(fold: _Fold, mode: Mode, policy: str, key: str, why: str) -> None:
        text = f"[{policy}] {why}"
        fold.annotations.append((key, f"error: {why}"))
        if mode is Mode.ENFORCE:
            fold.failures.append(text)
        elif mode is Mode.WARN:
            fold.warnings.append(text)

    def _fold_result(
        self, fold: _Fold, policy: str, key: str, mode: Mode, res: RuleResult, mutate: bool
    ) -> None:
        """Fold one result other than a pass (:meth:`decide` folds passes inline)."""
        fold.annotations.extend(res.audit_annotations)
        if mutate and res.patch and res.result in (Result.FAIL, Result.WARN):
            fold.patch.extend(res.patch)
        if res.result is Result.ERROR:
            self._fold_error(fold, mode, policy, key, f"{res.rule}: {res.message}")
            return
        if res.result not in (Result.FAIL, Result.WARN):
            return
        text = f"[{policy}] {res.rule}: {res.message}" if res.message else f"[{policy}] {res.rule}"
        fold.annotations.append((key, f"{res.result}: {res.rule}: {res.message}"))
        if res.result is Result.WARN or mode is Mode.WARN:
            fold.warnings.append(text)
        elif mode is Mode.ENFORCE:
            fold.denials.append(text)

    def _finish(
        self,
        fold: _Fold,
        outcomes: tuple[PolicyOutcome, ...],
        mutate: bool,
        over_budget: bool,
    ) -> Decision:
        annotations = tuple(_merge(fold.annotations))
        warnings = tuple(fold.warnings)
        if fold.denials and not mutate:
            message = "hardhull denied the request: " + "; ".join(fold.denials)
            if fold.failures:
                message += "; also: " + "; ".join(fold.failures)
            return Decision(
                False, 403, message[:MAX_MESSAGE], "Forbidden", warnings, annotations,
                outcomes=outcomes, note="denied",
            )  # fmt: skip
        if fold.failures:
            why = "; ".join(fold.failures)
            policy = self.config.failure_policy
            note = "budget-exceeded" if over_budget else "policy-error"
            prefix = f"hardhull could not evaluate the request ({why});"
            if policy is FailurePolicy.FAIL_CLOSED:
                code, reason = (504, "Timeout") if over_budget else (500, "InternalError")
                message = f"{prefix} denied by failure policy fail-closed"
                return Decision(
                    False, code, message[:MAX_MESSAGE], reason, warnings, annotations,
                    outcomes=outcomes, note=note,
                )  # fmt: skip
            warn = f"{prefix} allowed by failure policy fail-open"
            return Decision(
                True, warnings=(*warnings, warn),
                audit_annotations=(*annotations, ("failure", warn)),
                patch=tuple(fold.patch), outcomes=outcomes, note=note,
            )  # fmt: skip
        return Decision(
            True, warnings=warnings, audit_annotations=annotations, patch=tuple(fold.patch),
            outcomes=outcomes, note="allowed",
        )  # fmt: skip

    def timeout_decision(self) -> Decision:
        """The answer when evaluation did not finish within the budget at all."""
        return self._finish(
            _Fold(
                failures=[f"evaluation exceeded the {self.config.budget_ms:g} ms latency budget"]
            ),
            (),
            False,
            True,
        )

    def error_decision(self, why: str) -> Decision:
        """The answer when evaluation itself failed unexpectedly."""
        return self._finish(_Fold(failures=[why]), (), False, False)

    def record(self, review: Review, decision: Decision, endpoint: str, duration_s: float) -> None:
        """Append the audit line for one decision (``dryRun`` requests are logged and marked)."""
        if self.audit is None:
            return
        inp = review.input
        user = inp.user_info.get("username", "")
        policies = []
        for o in decision.outcomes:
            failed = [r for r in o.results if r.result is not _PASS]
            policies.append(
                {
                    "policy": o.policy,
                    "mode": o.mode.value,
                    "error": o.error or None,
                    "results": [
                        {"rule": r.rule, "result": r.result.value, "message": r.message}
                        for r in failed
                    ],
                    "passed": len(o.results) - len(failed),
                }
            )
        self.audit.write(
            {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "uid": review.uid,
                "endpoint": endpoint,
                "operation": inp.operation,
                "kind": inp.kind,
                "namespace": inp.namespace,
                "name": inp.name,
                "user": user,
                "dryRun": inp.dry_run,
                "allowed": decision.allowed,
                "note": decision.note,
                "code": decision.code,
                "message": decision.message,
                "warnings": list(decision.warnings),
                "policies": policies,
                "duration_ms": round(duration_s * 1000.0, 3),
            }
        )


def _merge(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """One annotation per key; values of repeated keys joined with ``; ``."""
    merged: dict[str, list[str]] = {}
    for key, value in pairs:
        merged.setdefault(key, []).append(value)
    return [(k, "; ".join(v)) for k, v in merged.items()]
