"""A compiled CEL policy body (matchConditions, variables, validations,
auditAnnotations) and its evaluation; shared by ValidatingAdmissionPolicy and Kyverno's
ValidatingPolicy, which have the same body."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cel_expr_python import cel

from hardhull.policy.base import Action, LoadError, Result, RuleResult, SourcePos
from hardhull.policy.cel.activation import activation_for
from hardhull.policy.cel.env import Compiled, clean_error, compile_expression, environment
from hardhull.policy.cel.inline import inline_variables, mask, strip_comments
from hardhull.policy.cel.regex import rewrite_matches

_ERROR = cel.Type.ERROR
_BOOL = cel.Type.BOOL
_STRING = cel.Type.STRING
_NULL = cel.Type.NULL


@dataclass(frozen=True)
class Expr:
    """A compiled expression with the variables it needs, in evaluation order, and
    (when it uses variables and they could be inlined) the program of the same
    expression with its variables inlined, which runs on the request's shared
    activation."""

    compiled: Compiled
    closure: tuple[str, ...]
    where: str
    inlined: Any = None


@dataclass(frozen=True)
class Validation:
    """One ``validations[i]`` entry."""

    rule: str
    expr: Expr
    message: str
    message_expr: Expr | None
    reason: str


@dataclass(frozen=True)
class Body:
    """Everything of a policy that is CEL."""

    match_conditions: tuple[tuple[str, Expr], ...]
    variables: Mapping[str, Expr]
    validations: tuple[Validation, ...]
    audit_annotations: tuple[tuple[str, Expr], ...]
    fail_closed: bool


def position(node: Any, key: str | int, fallback: SourcePos) -> SourcePos:
    """The line of ``node[key]`` when the YAML loader kept positions (ruamel), else the
    document's position."""
    lc = getattr(node, "lc", None)
    if lc is not None:
        try:
            line, col = lc.key(key) if isinstance(key, str) else lc.item(key)
            return SourcePos(fallback.file, int(line) + 1, int(col) + 1)
        except (KeyError, IndexError, TypeError, AttributeError):
            pass
    return fallback


class BodyBuilder:
    """Compiles a spec's CEL into a :class:`Body`, collecting positioned load errors."""

    def __init__(self, spec: Mapping[str, Any], pos: SourcePos) -> None:
        self.spec = spec
        self.pos = pos
        self.errors: list[LoadError] = []
        self._var_deps: dict[str, frozenset[str]] = {}
        self._var_src: dict[str, str] = {}
        self._inlined_src: dict[str, str | None] = {}

    def _compile(self, node: Mapping[str, Any], key: str, where: str) -> Compiled | None:
        source = node.get(key)
        at = position(node, key, self.pos)
        if not isinstance(source, str) or not source.strip():
            self.errors.append(LoadError(at, f"{where}: a CEL expression is required"))
            return None
        try:
            return compile_expression(source)
        except ValueError as exc:
            msg = f"{where}: CEL does not compile: {exc}; expression: {source.strip()!r}"
            self.errors.append(LoadError(at, msg))
            return None

    def _closure(self, compiled: Compiled, where: str) -> tuple[str, ...]:
        order: list[str] = []

        def visit(name: str) -> None:
            if name in order:
                return
            for dep in sorted(self._var_deps.get(name, frozenset())):
                visit(dep)
            order.append(name)

        for name in sorted(compiled.variables):
            if name not in self._var_deps:
                self.errors.append(LoadError(self.pos, f"{where}: unknown variable {name!r}"))
                continue
            visit(name)
        return tuple(order)

    def build(self) -> Body | None:
        """The compiled body, or ``None`` when a fatal error was recorded."""
        spec = self.spec
        raw_vars = list(spec.get("variables") or [])
        compiled_vars: dict[str, Compiled] = {}
        for i, var in enumerate(raw_vars):
            name = str(var.get("name", ""))
            c = self._compile(var, "expression", f"spec.variables[{i}] ({name})")
            if c is not None:
                compiled_vars[name] = c
                self._var_deps[name] = c.variables
                self._var_src[name] = c.source
        self._check_cycles()
        variables = {
            n: Expr(c, self._closure(c, f"variable {n}"), f"variables.{n}")
            for n, c in compiled_vars.items()
        }

        def expr(node: Mapping[str, Any], key: str, where: str) -> Expr | None:
            c = self._compile(node, key, where)
            if c is None:
                return None
            closure = self._closure(c, where)
            return Expr(c, closure, where, self._inlined(c, closure))

        conditions = []
        for i, mc in enumerate(spec.get("matchConditions") or []):
            name = str(mc.get("name") or f"matchConditions[{i}]")
            e = expr(mc, "expression", f"spec.matchConditions[{i}] ({name})")
            if e is not None:
                conditions.append((name, e))
        validations = []
        for i, v in enumerate(spec.get("validations") or []):
            e = expr(v, "expression", f"spec.validations[{i}].expression")
            m = None
            if v.get("messageExpression"):
                m = expr(v, "messageExpression", f"spec.validations[{i}].messageExpression")
            if e is not None:
                message = str(v.get("message") or "")
                validations.append(
                    Validation(f"validation[{i}]", e, message, m, str(v.get("reason") or "Invalid"))
                )
        annotations = []
        for i, a in enumerate(spec.get("auditAnnotations") or []):
            e = expr(a, "valueExpression", f"spec.auditAnnotations[{i}].valueExpression")
            if e is not None:
                annotations.append((str(a.get("key", "")), e))
        if any(err.fatal for err in self.errors):
            return None
        return Body(
            tuple(conditions),
            variables,
            tuple(validations),
            tuple(annotations),
            str(spec.get("failurePolicy") or "Fail") != "Ignore",
        )

    def _inlined_var(self, name: str, visiting: frozenset[str] = frozenset()) -> str | None:
        """Variable ``name``'s source with its own variables inlined, comments dropped."""
        if name in self._inlined_src:
            return self._inlined_src[name]
        source = self._var_src.get(name)
        if source is None or name in visiting:
            return None
        deps = {d: self._inlined_var(d, visiting | {name}) for d in self._var_deps[name]}
        inlined = inline_variables(strip_comments(source), deps)
        self._inlined_src[name] = inlined
        return inlined

    def _inlined(self, c: Compiled, closure: tuple[str, ...]) -> Any:
        """The program of ``c`` with its variables inlined and its constant ``matches``
        patterns precompiled, or ``None`` (nothing to gain, or the variables cannot be
        inlined: the expression is then evaluated as written, variable by variable)."""
        if c.uses_authorizer:
            return None
        source = c.source
        if closure:
            inlined = inline_variables(c.source, {n: self._inlined_var(n) for n in c.variables})
            if inlined is None:
                return None
            source = inlined
        source = rewrite_matches(source, mask(source)[0])
        if source == c.source:
            return None
        try:
            fast = compile_expression(source)
        except ValueError:
            return None
        return None if fast.uses_authorizer else fast.program

    def _check_cycles(self) -> None:
        state: dict[str, int] = {}

        def visit(name: str, path: list[str]) -> bool:
            if state.get(name) == 2 or name not in self._var_deps:
                return False
            if state.get(name) == 1:
                cycle = " -> ".join([*path[path.index(name) :], name])
                self.errors.append(LoadError(self.pos, f"spec.variables: cycle {cycle}"))
                return True
            state[name] = 1
            found = any(visit(d, [*path, name]) for d in sorted(self._var_deps[name]))
            state[name] = 2
            return found

        for name in list(self._var_deps):
            if visit(name, []):
                self._var_deps = {n: frozenset() for n in self._var_deps}
                return


class _Run:
    """One evaluation: variables computed lazily, each at most once."""

    def __init__(self, body: Body, data: dict[str, Any], act: Any) -> None:
        self.body = body
        self.data = data
        self.base = act
        self.values: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self.act = act
        self.act_size = -1

    def _activation(self, e: Expr) -> tuple[Any, str | None]:
        if not e.closure:
            return self.base, None
        for name in e.closure:
            if name in self.values or name in self.errors:
                continue
            var = self.body.variables[name]
            act, err = self._activation(var) if var.closure else (self.base, None)
            if err is None:
                ok, value = self._value(var, act)
                if ok:
                    self.values[name] = value
                else:
                    self.errors[name] = str(value)
            else:
                self.errors[name] = err
        for name in e.closure:
            if name in self.errors:
                return None, f"variable {name!r}: {self.errors[name]}"
        if self.act_size != len(self.values):
            data = dict(self.data)
            data["variables"] = dict(self.values)
            self.act = environment().Activation(data)
            self.act_size = len(self.values)
        return self.act, None

    def _value(self, e: Expr, act: Any) -> tuple[bool, Any]:
        if e.compiled.uses_authorizer:
            return False, "the authorizer variable is not supported by hardhull"
        try:
            r = e.compiled.program.eval(act)
            if r.type() == _ERROR:
                return False, clean_error(str(r.value()))
            return True, r.plain_value()
        except Exception as exc:  # the binding raises for values it cannot convert
            return False, clean_error(str(exc))

    def eval(self, e: Expr) -> tuple[bool, Any]:
        """(True, value) or (False, error message)."""
        if e.inlined is not None:
            try:
                r = e.inlined.eval(self.base)
                if r.type() != _ERROR:
                    return True, r.plain_value()
            except Exception:  # the binding raises for values it cannot convert
                pass
            # An error: evaluate variable by variable, which names the failing variable.
        act, err = self._activation(e)
        if err is not None:
            return False, err
        return self._value(e, act)


def evaluate(
    body: Body,
    inp: Any,
    params: Mapping[str, Any] | None,
    *,
    policy: str,
    action: Action,
    suffix: str = "",
) -> list[RuleResult]:
    """Evaluate a body; ``[]`` when a match condition is false."""
    data, act = activation_for(inp, params)
    run = _Run(body, data, act)
    ref = inp.ref

    def error(rule: str, message: str) -> RuleResult:
        if body.fail_closed:
            msg, act_ = f"{message} (failurePolicy Fail)", action
        else:
            msg, act_ = f"{message} (failurePolicy Ignore: not enforced)", Action.AUDIT
        return RuleResult(policy, rule + suffix, Result.ERROR, msg, act_, ref)

    for name, cond in body.match_conditions:
        ok, value = run.eval(cond)
        if not ok:
            return [error(f"matchConditions[{name}]", f"match condition error: {value}")]
        if not isinstance(value, bool):
            return [error(f"matchConditions[{name}]", "match condition must evaluate to bool")]
        if not value:
            return []
    results: list[RuleResult] = []
    for v in body.validations:
        ok, value = run.eval(v.expr)
        if not ok:
            results.append(error(v.rule, f"expression {v.expr.compiled.source!r}: {value}"))
        elif not isinstance(value, bool):
            results.append(error(v.rule, f"expression {v.expr.compiled.source!r} is not a bool"))
        elif value:
            results.append(RuleResult(policy, v.rule + suffix, Result.PASS, "", action, ref))
        else:
            results.append(
                RuleResult(policy, v.rule + suffix, Result.FAIL, _message(run, v), action, ref)
            )
    annotations = _annotations(run, body, policy, results, error)
    if annotations:
        results = [_with_annotations(r, annotations) for r in results]
    return results


def _message(run: _Run, v: Validation) -> str:
    if v.message_expr is not None:
        ok, value = run.eval(v.message_expr)
        if ok and isinstance(value, str) and value.strip() and "\n" not in value:
            return value
    return v.message or f"failed expression: {v.expr.compiled.source.strip()}"


def _annotations(
    run: _Run, body: Body, policy: str, results: list[RuleResult], error: Any
) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for key, e in body.audit_annotations:
        ok, value = run.eval(e)
        if not ok:
            results.append(error(f"auditAnnotations[{key}]", f"valueExpression: {value}"))
        elif isinstance(value, str):
            out.append((f"{policy}/{key}", value))
        elif value is not None:
            results.append(error(f"auditAnnotations[{key}]", "valueExpression must be a string"))
    return tuple(out)


def _with_annotations(r: RuleResult, annotations: Sequence[tuple[str, str]]) -> RuleResult:
    return RuleResult(
        r.policy, r.rule, r.result, r.message, r.action, r.resource, r.severity, r.category,
        tuple(annotations), r.patch,
    )  # fmt: skip
