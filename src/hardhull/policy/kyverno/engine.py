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
from hardhull.policy.base import (
    Action,
    AdmissionInput,
    Result,
    RuleResult,
    SourcePos,
    VariableValues,
)
from hardhull.policy.kyverno import conditions, mutate, subrules
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
    # podSecurity / cel subrules, compiled at load time (see subrules.compile_rule)
    compiled: Any = field(default=None, hash=False, compare=False, repr=False)
    # Context entries that need external data (apiCall, configMap, ...), when they are
    # the only reason the rule is unsupported: a policy test's values can supply them.
    external: frozenset[str] = frozenset()
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


def set_variable(data: dict[str, Any], key: str, value: Any) -> None:
    """Kyverno's ``AddVariable``: ``a.b.c`` sets a nested value, merging maps (JSON merge
    patch). Copy-on-write: the maps already in ``data`` are never modified."""
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        child = dict(child) if isinstance(child, Mapping) else {}
        node[part] = child
        node = child
    node[parts[-1]] = _merge(node.get(parts[-1]), value)


def _merge(old: Any, new: Any) -> Any:
    if not (isinstance(old, Mapping) and isinstance(new, Mapping)):
        return new
    out = dict(old)
    for k, v in new.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = _merge(out.get(k), v)
    return out


def _rule_values(values: VariableValues, rule: Rule) -> Mapping[str, Any]:
    """Per-rule values; an auto-generated rule uses those of the rule it came from."""
    return values.rules.get(rule.name) or values.rules.get(rule.origin) or {}


def _foreach_values(values: VariableValues | None, rule: Rule) -> list[Mapping[str, Any]]:
    """``foreachValues`` per foreach block (one map for all blocks: a 1-list)."""
    found = None if values is None else values.foreach.get(rule.name)
    if found is None and values is not None:
        found = values.foreach.get(rule.origin)
    if isinstance(found, Mapping):
        return [found]
    return [m for m in found or [] if isinstance(m, Mapping)]


def _supplied(values: VariableValues | None, rule: Rule) -> frozenset[str]:
    """The top-level names a policy test gives values for, for this rule."""
    if values is None:
        return frozenset()
    keys = [*values.resource, *_rule_values(values, rule)]
    for block in _foreach_values(values, rule):
        keys.extend(block)
    return frozenset(str(k).split(".", 1)[0] for k in keys)


def _load_context(entries: Any, data: dict[str, Any], skip: frozenset[str] = frozenset()) -> None:
    for entry in entries or []:
        if isinstance(entry, Mapping) and entry.get("name") in skip:
            continue  # external data, supplied by the test's values
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


def _patterns(
    resource: Any,
    validate: Mapping[str, Any],
    data: dict[str, Any],
    skip: frozenset[str] = frozenset(),
    element_values: Sequence[Mapping[str, Any]] = (),
) -> _Verdict:
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
        return _foreach(validate["foreach"], data, resource, skip, element_values)
    raise _RuleError("validate rule has no pattern, anyPattern, deny or foreach")


def _foreach(
    decls: Sequence[Mapping[str, Any]],
    data: dict[str, Any],
    resource: Any,
    skip: frozenset[str] = frozenset(),
    element_values: Sequence[Mapping[str, Any]] = (),
    nesting: int = 0,
) -> _Verdict:
    applied = 0
    for block, decl in enumerate(decls):
        per_block = element_values[0] if len(element_values) == 1 else {}
        if len(element_values) > 1 and block < len(element_values):
            per_block = element_values[block]
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
            local["element"] = local[f"element{nesting}"] = element
            local["elementIndex"] = local[f"elementIndex{nesting}"] = index
            local["@"] = element
            for key, per_element in per_block.items():
                if isinstance(per_element, list) and index < len(per_element):
                    set_variable(local, str(key), per_element[index])
            _load_context(decl.get("context"), local, skip)
            if not conditions.evaluate(decl.get("preconditions"), local):
                continue
            on_element = scope is not False
            target = element if on_element else resource
            if "foreach" in decl:  # nested: element0, element1... name the levels
                verdict = _foreach(decl["foreach"] or [], local, resource, skip, (), nesting + 1)
            else:
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

    @property
    def mutates(self) -> bool:
        """Whether any rule is a mutate rule."""
        return any("mutate" in rule.spec for rule in self.rules)

    def evaluate(self, inp: AdmissionInput, only: str = "") -> Sequence[RuleResult]:
        """One result per rule whose match/exclude selects ``inp`` (``only="mutate"`` or
        ``"validate"``: just those rules, for the Kyverno CLI's two passes)."""
        if not self.applies_to(inp):
            return []
        out: list[RuleResult] = []
        base: dict[str, Any] | None = None  # the request's context, built once, on demand
        seen = inp  # what mutate rules see: the object as earlier mutate rules left it
        for rule in self.rules:
            if only and ("mutate" in rule.spec) != (only == "mutate"):
                continue
            target = seen if "mutate" in rule.spec else inp
            if rule.kinds is not None and target.kind not in rule.kinds:
                continue
            spec = rule.spec
            if not block_matches(spec.get("match"), target, empty=False):
                continue
            if block_matches(spec.get("exclude"), target, empty=False):
                continue
            if (
                rule.origin
                and rule.unsupported
                and not rule.external <= _supplied(inp.values, rule)
            ):
                continue  # generated from an unsupported rule: only runs on a test's values
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
        values = inp.values
        skip = rule.external if rule.external and rule.external <= _supplied(values, rule) else None
        if rule.unsupported and skip is None:
            return self._result(rule, inp, _Verdict(Result.ERROR, rule.unsupported), base)
        data = dict(base)  # rule context entries are added at the top level only
        if values is not None:
            for key, value in [*values.resource.items(), *_rule_values(values, rule).items()]:
                set_variable(data, str(key), value)
        spec = rule.spec
        try:
            _load_context(spec.get("context"), data, skip or frozenset())
            if not conditions.evaluate(spec.get("preconditions"), data):
                verdict = _Verdict(Result.SKIP, "preconditions not met")
                return self._result(rule, inp, verdict, base)
            if "mutate" in spec:
                done = mutate.run(spec["mutate"], data, _load_context)
                res = self._result(rule, inp, _Verdict(done.result, done.message), base)
                return dataclasses.replace(res, patch=done.patch)
            if rule.compiled is not None:
                result, detail, notes = subrules.run(
                    rule.compiled, inp, base["request"]["object"], self.name
                )
                out = self._result(rule, inp, _Verdict(result, detail), base)
                return dataclasses.replace(out, audit_annotations=notes) if notes else out
            verdict = _patterns(
                base["request"]["object"],  # values change variables, not the resource
                spec.get("validate") or {},
                data,
                skip or frozenset(),
                _foreach_values(values, rule),
            )
        except HardhullError as exc:
            verdict = _Verdict(Result.ERROR, str(exc))
        except (TypeError, ValueError, KeyError, RecursionError) as exc:
            verdict = _Verdict(Result.ERROR, f"{type(exc).__name__}: {exc}")
        return self._result(rule, inp, verdict, data)  # the message sees the rule's context
