"""``ValidatingAdmissionPolicy`` + ``ValidatingAdmissionPolicyBinding``
(``admissionregistration.k8s.io/v1``) and Kyverno's CEL ``ValidatingPolicy``
(``policies.kyverno.io``) as :class:`~hardhull.policy.base.Policy` objects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hardhull.policy.base import Action, AdmissionInput, LoadError, Result, RuleResult, SourcePos
from hardhull.policy.cel.match import LabelSelector, MatchResources
from hardhull.policy.cel.program import Body, evaluate

VAP_KIND = "ValidatingAdmissionPolicy"
BINDING_KIND = "ValidatingAdmissionPolicyBinding"
KYVERNO_KIND = "ValidatingPolicy"


def actions_of(raw: Any) -> Action:
    """``validationActions`` -> the strongest :class:`Action` (Deny > Warn > Audit)."""
    names = {str(a) for a in raw or ("Deny",)}
    if "Deny" in names:
        return Action.DENY
    if "Warn" in names:
        return Action.WARN
    return Action.AUDIT


@dataclass(frozen=True)
class ParamRef:
    """A binding's ``paramRef`` plus the parameter objects it can choose from."""

    name: str
    namespace: str | None
    selector: LabelSelector | None
    deny_when_missing: bool
    candidates: tuple[Mapping[str, Any], ...]

    def resolve(self, inp: AdmissionInput) -> list[Mapping[str, Any]]:
        """The parameter objects for this request."""
        found = []
        for obj in self.candidates:
            meta = obj.get("metadata") or {}
            ns = meta.get("namespace")
            want_ns = self.namespace if self.namespace is not None else inp.namespace
            if ns and ns != want_ns:
                continue
            if self.name and meta.get("name") != self.name:
                continue
            if self.selector is not None and not self.selector.matches(meta.get("labels") or {}):
                continue
            found.append(obj)
        return found


@dataclass(frozen=True)
class CelPolicy:
    """One policy (with one binding, when it has one), compiled."""

    name: str
    kind: str
    pos: SourcePos
    body: Body
    constraints: MatchResources
    binding_match: MatchResources | None
    action: Action
    param_ref: ParamRef | None
    binding: str = ""
    # Pod-controller variants of a Pod ValidatingPolicy (hardhull.policy.cel.autogen)
    autogen: tuple[tuple[MatchResources, Body], ...] = ()

    def _body_for(self, inp: AdmissionInput) -> Body | None:
        if self.binding_match is not None and not self.binding_match.matches(inp):
            return None
        if self.constraints.matches(inp):
            return self.body
        for constraints, body in self.autogen:
            if constraints.matches(inp):
                return body
        return None

    def applies_to(self, inp: AdmissionInput) -> bool:
        """Match constraints of the policy (or of a generated Pod-controller variant)
        and of its binding."""
        return self._body_for(inp) is not None

    def evaluate(self, inp: AdmissionInput) -> Sequence[RuleResult]:
        """Results of every validation; ``[]`` when out of scope or a match condition is
        false."""
        body = self._body_for(inp)
        if body is None:
            return []
        if self.param_ref is None:
            return evaluate(body, inp, inp.params, policy=self.name, action=self.action)
        params = [inp.params] if inp.params is not None else self.param_ref.resolve(inp)
        if not params:
            if self.param_ref.deny_when_missing:
                msg = f"no params found for policy binding {self.binding!r} (Deny)"
                return [RuleResult(self.name, "paramRef", Result.FAIL, msg, self.action, inp.ref)]
            msg = f"no params found for policy binding {self.binding!r} (Allow)"
            return [RuleResult(self.name, "paramRef", Result.SKIP, msg, self.action, inp.ref)]
        results: list[RuleResult] = []
        for p in params:
            suffix = "" if len(params) == 1 else f"@{_param_name(p)}"
            results += evaluate(body, inp, p, policy=self.name, action=self.action, suffix=suffix)
        return results


def _param_name(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{ns}/{meta.get('name', '')}" if ns else str(meta.get("name", ""))


def build_binding_params(
    binding: Mapping[str, Any],
    param_kind: Mapping[str, Any] | None,
    params: Sequence[Mapping[str, Any]],
    pos: SourcePos,
    errors: list[LoadError],
) -> ParamRef | None:
    """The binding's ``paramRef`` resolved against the caller's parameter objects."""
    spec = binding.get("spec") or {}
    raw = spec.get("paramRef")
    if not param_kind:
        if raw:
            errors.append(LoadError(pos, "paramRef set but the policy has no paramKind", False))
        return None
    if not raw:
        errors.append(LoadError(pos, "the policy has paramKind but the binding no paramRef"))
        return None
    selector = LabelSelector.parse(raw["selector"]) if raw.get("selector") is not None else None
    kind, api = str(param_kind.get("kind", "")), str(param_kind.get("apiVersion", ""))
    candidates = tuple(p for p in params if p.get("kind") == kind and p.get("apiVersion") == api)
    action = str(raw.get("parameterNotFoundAction") or "Deny")
    return ParamRef(
        name=str(raw.get("name") or ""),
        namespace=str(raw["namespace"]) if raw.get("namespace") else None,
        selector=selector,
        deny_when_missing=action != "Allow",
        candidates=candidates,
    )
