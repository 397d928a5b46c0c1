"""A compiled Kyverno ``ClusterPolicy``/``Policy`` and the evaluation of its validate rules.

Flow per rule (as Kyverno ``validate_resource.go``): match/exclude, context variables,
preconditions (false -> skip), then ``deny`` conditions, ``pattern``/``anyPattern`` or
``foreach``. Rules that need something hardhull does not support carry the reason and
evaluate to ``error``, never to ``pass``.
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hardhull.errors import HardhullError
from hardhull.policy.base import Action, AdmissionInput, Result, RuleResult, SourcePos
from hardhull.policy.kyverno import conditions, mutate
from hardhull.policy.kyverno.images import images_of
from hardhull.policy.kyverno.match import block_matches, candidate_kinds
from hardhull.policy.kyverno.pattern import Status, match_pattern
from hardhull.policy.kyverno.variables import query, substitute


@dataclass(frozen=True)
class Rule:
    """One validate rule (possibly auto-generated), with its raw spec kept read-only."""

    name: str
    spec: Mapping[str, Any] = field(hash=False, compare=False)
    action: Action
    pos: SourcePos
    unsupported: str = ""
    origin: str = ""  # the Pod rule an autogen rule was generated from
    # The only kinds ``match`` can select (None: any), so that most rules are passed
    # over with one set lookup.
    kinds: frozenset[str] | None = field(init=False, default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", candidate_kinds(self.spec.get("match")))


def _action(value: Any, default: Action) -> Action:
    if value is None:
        return default
    return Action.DENY if str(value).lower() == "enforce" else Action.AUDIT


def action_of(value: Any) -> Action:
    """``validationFailureAction`` -> Action (Kyverno's default is Audit)."""
    return _action(value, Action.AUDIT)


def rule_action(rule: Mapping[str, Any], default: Action) -> Action:
    """The per-rule ``validate.failureAction`` when present, else the policy's."""
    validate = rule.get("validate") or {}
    return _action(validate.get("failureAction"), default)


def _context(inp: AdmissionInput) -> dict[str, Any]:
    obj = dict(inp.obj) if inp.obj is not None else {}
    old = dict(inp.old_obj) if inp.old_obj is not None else {}
    user = dict(inp.user_info)
    username = str(user.get("username", ""))
    sa_ns, sa_name = "", ""
    if username.startswith("system:serviceaccount:"):
        _, _, rest = username.partition("system:serviceaccount:")
        sa_ns, _, sa_name = rest.partition(":")
    return {
        "request": {
            "object": obj,
            "oldObject": old or None,
            "operation": inp.operation,
            "namespace": inp.namespace,
            "name": inp.name,
            "userInfo": user,
            "kind": {"kind": inp.kind},
            "dryRun": inp.dry_run,
        },
        "images": images_of(obj),
        "serviceAccountName": sa_name,
        "serviceAccountNamespace": sa_ns,
        "@": obj,
    }


class _ContextCache(threading.local):
    def __init__(self) -> None:
        self.owner: weakref.ref[AdmissionInput] | None = None
        self.context: dict[str, Any] = {}


_contexts = _ContextCache()


def shared_context(inp: AdmissionInput) -> dict[str, Any]:
    """The request context of ``inp``, built once per input (per thread) and shared by
    every Kyverno policy evaluated on it; rules only ever read it or copy it."""
    owner = _contexts.owner() if _contexts.owner is not None else None
    if owner is not inp:
        _contexts.context = _context(inp)
        _contexts.owner = weakref.ref(inp)
    return _contexts.context


class _RuleError(HardhullError):
    """A rule could not be evaluated against this resource."""


@dataclass(frozen=True, slots=True)
class _Verdict:
    result: Result
    detail: str = ""
    data: Mapping[str, Any] | None = None  # the variables the message sees (foreach)


_PASS = _Verdict(Result.PASS)
_SKIP = _Verdict(Result.SKIP)


def _load_context(entries: Any, data: dict[str, Any]) -> None:
    for entry in entries or []:
        var = entry.get("variable") if isinstance(entry, Mapping) else None
        if not isinstance(var, Mapping):
            raise _RuleError(f"context entry {entry.get('name')!r} is unsupported")
        value = substitute(var.get("value"), data) if "value" in var else None
        if "jmesPath" in var:
            source = value if "value" in var else data
            value = query(str(var["jmesPath"]), source if isinstance(source, Mapping) else {})
        if value is None and "default" in var:
            value = substitute(var["default"], data)
        data[str(entry["name"])] = value


def _patterns(resource: Any, validate: Mapping[str, Any], data: dict[str, Any]) -> _Verdict:
    if "pattern" in validate:
        outcome = match_pattern(resource, substitute(validate["pattern"], data))
        if outcome.status == Status.OK:
            return _PASS
        if outcome.status in (Status.SKIP, Status.GLOBAL_SKIP):
            return _Verdict(Result.SKIP, outcome.detail)
        return _Verdict(Result.FAIL, f"rule failed at path {outcome.path}")
    if "anyPattern" in validate:
        alternatives = validate["anyPattern"] or []
        failures, skipped = [], 0
        for i, pat in enumerate(alternatives):
            outcome = match_pattern(resource, substitute(pat, data))
            if outcome.status == Status.OK:
                return _PASS
            if outcome.status in (Status.SKIP, Status.GLOBAL_SKIP):
                skipped += 1
            else:
                failures.append(f"anyPattern[{i}] failed at path {outcome.path}")
        if alternatives and skipped == len(alternatives):
            return _SKIP
        return _Verdict(Result.FAIL, "; ".join(failures))
    if "deny" in validate:
        deny = validate["deny"] or {}
        if conditions.evaluate(deny.get("conditions"), data):
            return _Verdict(Result.FAIL, "")
        return _PASS
    if "foreach" in validate:
        return _foreach(validate["foreach"], data)
    raise _RuleError("validate rule has no pattern, anyPattern, deny or foreach")


def _foreach(decls: Sequence[Mapping[str, Any]], data: dict[str, Any]) -> _Verdict:
    applied = 0
    for decl in decls:
        expr = str(decl.get("list", "")).strip()
        if expr.startswith("{{") and expr.endswith("}}"):
            expr = expr[2:-2]
        elements = query(expr, data)
        if elements is None:
            continue
        if isinstance(elements, Mapping):
            elements = [{"key": k, "value": v} for k, v in elements.items()]
        if not isinstance(elements, list):
            raise _RuleError(f"foreach list {expr!r} is not a list")
        scope = decl.get("elementScope")
        for index, element in enumerate(elements):
            local = dict(data)
            local["element"] = element
            local["elementIndex"] = index
            local["@"] = element
            _load_context(decl.get("context"), local)
            if not conditions.evaluate(decl.get("preconditions"), local):
                continue
            on_element = scope is not False
            target = element if on_element else data["request"]["object"]
            verdict = _patterns(target, decl, local)
            if verdict.result == Result.SKIP:
                continue
            if verdict.result != Result.PASS:
                where = f"foreach element {index}"
                detail = f"{where}: {verdict.detail}".rstrip(": ")
                return _Verdict(verdict.result, detail, verdict.data or local)
            applied += 1
    return _PASS if applied else _SKIP


@dataclass(frozen=True)
class KyvernoPolicy:
    """A compiled Kyverno policy: implements :class:`hardhull.policy.base.Policy`."""

    name: str
    kind: str
    pos: SourcePos
    rules: tuple[Rule, ...]
    namespace: str = ""
    severity: str = ""
    category: str = ""
    scored: bool = True

    def applies_to(self, inp: AdmissionInput) -> bool:
        """Namespaced ``Policy`` objects only see their own namespace."""
        return not (self.kind == "Policy" and self.namespace and inp.namespace != self.namespace)

    def evaluate(self, inp: AdmissionInput) -> Sequence[RuleResult]:
        """One result per rule whose match/exclude selects ``inp``."""
        if not self.applies_to(inp):
            return []
        out: list[RuleResult] = []
        base: dict[str, Any] | None = None  # the request's context, built once, on demand
        seen = inp  # what mutate rules see: the object as earlier mutate rules left it
        for rule in self.rules:
            target = seen if "mutate" in rule.spec else inp
            if rule.kinds is not None and target.kind not in rule.kinds:
                continue
            spec = rule.spec
            if not block_matches(spec.get("match"), target, empty=False):
                continue
            if block_matches(spec.get("exclude"), target, empty=False):
                continue
            if base is None:
                base = shared_context(inp)
            out.append(self._run(rule, target, base if target is inp else _context(target)))
            if out[-1].patch:
                seen = mutate.patched_input(seen, out[-1].patch)
        return out

    def _result(
        self, rule: Rule, inp: AdmissionInput, verdict: _Verdict, base: Mapping[str, Any]
    ) -> RuleResult:
        message = verdict.detail
        if verdict.result == Result.FAIL:
            custom = ""
            raw = (rule.spec.get("validate") or {}).get("message")
            if raw:
                try:
                    data = verdict.data if verdict.data is not None else base
                    custom = str(substitute(str(raw), data))
                except HardhullError as exc:
                    custom = f"{raw} (message variables failed: {exc})"
            parts = [p for p in (custom.strip(), verdict.detail) if p]
            message = "validation error: " + "; ".join(parts) if parts else "validation error"
        result = verdict.result
        if result == Result.FAIL and not self.scored:
            result = Result.WARN
        return RuleResult(
            policy=self.name,
            rule=rule.name,
            result=result,
            message=message,
            action=rule.action,
            resource=inp.ref,
            severity=self.severity,
            category=self.category,
        )

    def _run(self, rule: Rule, inp: AdmissionInput, base: Mapping[str, Any]) -> RuleResult:
        if rule.unsupported:
            return self._result(rule, inp, _Verdict(Result.ERROR, rule.unsupported), base)
        data = dict(base)  # rule context entries are added at the top level only
        spec = rule.spec
        try:
            _load_context(spec.get("context"), data)
            if not conditions.evaluate(spec.get("preconditions"), data):
                verdict = _Verdict(Result.SKIP, "preconditions not met")
                return self._result(rule, inp, verdict, base)
            if "mutate" in spec:
                done = mutate.run(spec["mutate"], data, _load_context)
                res = self._result(rule, inp, _Verdict(done.result, done.message), base)
                return dataclasses.replace(res, patch=done.patch)
            verdict = _patterns(data["request"]["object"], spec.get("validate") or {}, data)
        except HardhullError as exc:
            verdict = _Verdict(Result.ERROR, str(exc))
        except (TypeError, ValueError, KeyError, RecursionError) as exc:
            verdict = _Verdict(Result.ERROR, f"{type(exc).__name__}: {exc}")
        return self._result(rule, inp, verdict, base)
