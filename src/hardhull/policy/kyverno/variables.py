"""``{{ jmespath }}`` variables: compiled once at load, substituted per evaluation.

A string that is exactly one ``{{ expr }}`` becomes the typed JMESPath result; a string
with several (or with text around them) gets each result interpolated as text (JSON for
non-strings). ``\\{{`` escapes a brace. Kyverno's custom JMESPath functions
(:mod:`hardhull.policy.kyverno.jmes_functions`) are registered here.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any, cast

import jmespath
import jmespath.exceptions
from jmespath.visitor import TreeInterpreter

from hardhull.errors import HardhullError
from hardhull.policy.kyverno.jmes_extra import go_regex, semver_compare
from hardhull.policy.kyverno.jmes_functions import KyvernoFunctions
from hardhull.policy.kyverno.values import compare

_VAR = re.compile(r"(?<!\\)\{\{(.*?)\}\}", re.DOTALL)
# an innermost variable (no "{{" inside; single braces allowed): with nested variables,
# Kyverno substitutes these first, as text, then evaluates what encloses them
_INNER = re.compile(r"(?<!\\)\{\{((?:\{[^{}]*\}|[^{}])*)\}\}", re.DOTALL)
_MAX_ROUNDS = 16


class VariableError(HardhullError):
    """A ``{{ }}`` expression does not compile or cannot be evaluated."""


_FUNCTIONS = KyvernoFunctions()
_OPTIONS = jmespath.Options(custom_functions=_FUNCTIONS)
_KYVERNO_NAMES = frozenset(n[6:] for n in vars(KyvernoFunctions) if n.startswith("_func_"))
# the argument holding a regex (or semver range) that is checked at load time when constant
_PATTERN_ARGS = {
    "regex_match": 0,
    "regex_replace_all": 0,
    "regex_replace_all_literal": 0,
    "random": 0,
    "semver_compare": 1,
}


def _unknown_functions(node: Any) -> list[str]:
    """Names of the functions ``node`` (a parsed JMESPath AST) calls that hardhull does
    not implement."""
    out: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if not isinstance(item, Mapping):
            continue
        if item.get("type") == "function_expression":
            name = str(item.get("value"))
            if name not in _FUNCTIONS.FUNCTION_TABLE and name not in out:
                out.append(name)
        stack.extend(item.get("children") or [])
    return sorted(out)


@functools.lru_cache(maxsize=8192)
def compile_expr(expr: str) -> Any:
    """Compile one JMESPath expression (cached: compile once, evaluate many). A call of
    a function hardhull does not implement is an error here, at load time."""
    text = expr.strip()
    try:
        compiled = jmespath.compile(text)
    except jmespath.exceptions.JMESPathError as exc:
        raise VariableError(f"JMESPath {text!r} does not compile: {exc}") from exc
    unknown = _unknown_functions(getattr(compiled, "parsed", None))
    if unknown:
        names = ", ".join(unknown)
        raise VariableError(f"JMESPath {text!r}: unsupported function(s) {names}")
    _check_constant_calls(getattr(compiled, "parsed", None), text)
    return compiled


def _literal(node: Any) -> bool:
    """A literal argument that no later ``{{ }}`` substitution can change."""
    return (
        isinstance(node, Mapping)
        and node.get("type") == "literal"
        and "{{" not in json.dumps(node.get("value"))
    )


def _check_constant_calls(node: Any, text: str) -> None:
    """A Kyverno function call whose arguments are all constants and that fails
    (``divide('1Gi', `0`)``), or whose constant regex / semver range / random pattern
    is malformed, would fail at every evaluation: report it when compiling."""
    stack = [node]
    while stack:
        item = stack.pop()
        if not isinstance(item, Mapping):
            continue
        children = item.get("children") or []
        stack.extend(children)
        name = item.get("value")
        if item.get("type") != "function_expression" or name not in _KYVERNO_NAMES:
            continue
        try:
            if children and all(_literal(c) for c in children):
                TreeInterpreter(_OPTIONS).visit(cast(Any, item), {})
                continue
            index = _PATTERN_ARGS.get(str(name))
            if index is None or index >= len(children) or not _literal(children[index]):
                continue
            value = children[index]["value"]
            if isinstance(value, str) and name == "semver_compare":
                semver_compare("0.0.0", value)
            elif isinstance(value, str):
                go_regex(value, str(name))
        except (HardhullError, jmespath.exceptions.JMESPathError, ValueError, TypeError) as exc:
            raise VariableError(f"JMESPath {text!r}: {exc}") from exc


def _fields(node: Mapping[str, Any]) -> tuple[str, ...] | None:
    kind = node.get("type")
    if kind == "field":
        return (node["value"],)
    if kind == "subexpression":
        out: tuple[str, ...] = ()
        for child in node["children"]:
            part = _fields(child)
            if part is None:
                return None
            out += part
        return out
    return None


@functools.lru_cache(maxsize=8192)
def field_path(expr: str) -> tuple[str, ...] | None:
    """The keys of an expression that is only a chain of fields (``a.b.c``), else
    ``None``; such expressions are evaluated without the JMESPath interpreter."""
    parsed = getattr(compile_expr(expr), "parsed", None)
    return _fields(parsed) if isinstance(parsed, Mapping) else None


def query(expr: str, data: Mapping[str, Any]) -> Any:
    """Evaluate ``expr`` (compiled, cached) over ``data``."""
    text = expr.strip()
    if text == "@":
        return data.get("@")
    path = field_path(text)
    if path is not None:
        # As JMESPath's field visitor: ``.get`` on whatever is there, None when it has none.
        value: Any = data
        for key in path:
            try:
                value = value.get(key)
            except AttributeError:
                return None
        return value
    try:
        return compile_expr(text).search(data, options=_OPTIONS)
    except VariableError:
        raise
    except (
        HardhullError,
        jmespath.exceptions.JMESPathError,
        ValueError,
        TypeError,
        KeyError,
    ) as exc:
        raise VariableError(f"JMESPath {text!r} failed: {exc}") from exc


@functools.lru_cache(maxsize=4096)
def _nested(text: str) -> bool:
    """Does ``text`` hold a variable inside another (``{{ f('{{ a }}') }}``)."""
    return any("{{" in m.group(1) for m in _VAR.finditer(text))


def _substitute_nested(value: str, data: Mapping[str, Any]) -> Any:
    """Kyverno's order: innermost variables first, as text, until none is left; a string
    that is then exactly one variable gives its typed result."""
    for _ in range(_MAX_ROUNDS):
        if _INNER.search(value) is None:
            break
        whole = _INNER.fullmatch(value.strip())
        if whole is not None:
            return query(whole.group(1), data)
        value = _INNER.sub(lambda m: _text(query(m.group(1), data)), value)
    return value.replace("\\{{", "{{")


def precompile(value: Any) -> None:
    """Compile every ``{{ }}`` expression inside ``value``; raise on the first bad one.
    Of nested variables only the innermost are known before evaluation."""
    if isinstance(value, str):
        for m in (_INNER if _nested(value) else _VAR).finditer(value):
            if m.group(1).strip() != "@":
                compile_expr(m.group(1))
    elif isinstance(value, Mapping):
        for k, v in value.items():
            precompile(k)
            precompile(v)
    elif isinstance(value, list):
        for v in value:
            precompile(v)


def has_variables(value: Any) -> bool:
    """Does ``value`` (recursively) contain a ``{{ }}`` variable."""
    if isinstance(value, str):
        return _VAR.search(value) is not None
    if isinstance(value, Mapping):
        return any(has_variables(k) or has_variables(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_variables(v) for v in value)
    return False


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, separators=(",", ":"))


# Whether a map or list holds no variables, by identity (policy patterns live as long as
# their policy; the stored object is compared by identity and kept alive, so a reused id
# can never give a wrong answer). Both answers are kept: a pattern with variables is not
# walked again on every request to find that out.
_CONSTANT: dict[int, tuple[Any, bool]] = {}
_MAX_CONSTANT = 4096


def _remember(value: Mapping[str, Any] | list[Any]) -> tuple[Any, bool]:
    entry = (value, not has_variables(value))
    if len(_CONSTANT) >= _MAX_CONSTANT:
        _CONSTANT.clear()
    _CONSTANT[id(value)] = entry
    return entry


def substitute(value: Any, data: Mapping[str, Any]) -> Any:
    """Replace ``{{ }}`` variables in ``value`` (recursively) with their results."""
    if isinstance(value, Mapping | list):
        entry = _CONSTANT.get(id(value))
        if entry is None or entry[0] is not value:
            entry = _remember(value)
        if entry[1]:
            return value
    if isinstance(value, str):
        if "{{" not in value:
            return value
        if _nested(value):
            return _substitute_nested(value, data)
        whole = _VAR.fullmatch(value.strip())
        # "{{ a }}/{{ b }}" also fullmatches (the lazy group stretches): one variable only
        if whole is not None and "}}" not in whole.group(1):
            return query(whole.group(1), data)
        out = _VAR.sub(lambda m: _text(query(m.group(1), data)), value)
        return out.replace("\\{{", "{{")
    if isinstance(value, Mapping):
        pairs = [(k, v, substitute(k, data), substitute(v, data)) for k, v in value.items()]
        if all(k2 is k and v2 is v for k, v, k2, v2 in pairs):
            return value  # nothing to substitute: keep the object (its pattern plan is cached)
        return {k2: v2 for _, _, k2, v2 in pairs}
    if isinstance(value, list):
        items = [substitute(v, data) for v in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return items
    return value


__all__ = [
    "VariableError",
    "compare",
    "compile_expr",
    "has_variables",
    "precompile",
    "query",
    "substitute",
]
