"""Kyverno ``mutate`` rules: ``patchStrategicMerge``, ``patchesJson6902`` and ``foreach``.

A mutate rule runs after match/exclude, rule context and preconditions (as a validate
rule does). Its outcome, as Kyverno reports it: ``pass`` ("resource patched") with the
RFC 6902 patch from the object the rule saw to the mutated one, ``skip`` ("no patches
applied") when the object did not change (conditional or global anchor not met, every
foreach element filtered out, ...), ``error`` when a patch cannot be applied (a failed
``test`` op, a ``replace``/``move``/``copy`` of a missing path, a bad list index).
``patchesJson6902`` is applied with Kyverno's leniencies (``remove`` of a missing path
is a no-op, ``add`` creates missing parent maps, negative indices count from the end).

Rules of a policy mutate in order, each seeing the object as the previous rule left it
(:func:`patched_input`).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from hardhull.errors import HardhullError
from hardhull.policy import jsonpatch
from hardhull.policy.base import AdmissionInput, Result
from hardhull.policy.kyverno import conditions
from hardhull.policy.kyverno.strategic import check_overlay, strategic_merge
from hardhull.policy.kyverno.variables import compile_expr, precompile, query, substitute

_METHODS = ("patchStrategicMerge", "patchesJson6902", "foreach")
_UNSUPPORTED = ("targets",)
_UNSUPPORTED_CONTEXT = ("apiCall", "configMap", "imageRegistry", "globalReference")
_VAR = re.compile(r"(?<!\\)\{\{.*?\}\}", re.DOTALL)
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
ContextLoader = Callable[[Any, dict[str, Any]], None]


class MutateError(HardhullError):
    """A mutation that cannot be applied to this resource."""


@dataclass(frozen=True, slots=True)
class Mutation:
    """What one mutate rule did."""

    result: Result
    message: str
    patch: tuple[Mapping[str, Any], ...] = ()


@functools.lru_cache(maxsize=1024)
def _parse_ops(text: str) -> Any:
    """The operations of a ``patchesJson6902`` text, parsed once per text (shared:
    :func:`jsonpatch.apply` copies the values it inserts, nothing changes them)."""
    try:
        return yaml.load(text, Loader=_LOADER)  # a safe loader
    except yaml.YAMLError as exc:
        raise MutateError(f"patchesJson6902 is not valid YAML/JSON: {exc}") from None


def _check_patch_text(value: Any) -> None:
    if not isinstance(value, str):
        raise MutateError("patchesJson6902 must be a string of JSON patch operations")
    # Variables are resolved per request; check the shape with placeholders.
    try:
        jsonpatch.check_ops(_parse_ops(_VAR.sub("0", value)))
    except jsonpatch.JsonPatchError as exc:
        raise MutateError(f"patchesJson6902: {exc}") from None


def _check_method(block: Mapping[str, Any], where: str, allow_foreach: bool) -> None:
    present = [m for m in _METHODS if m in block and (allow_foreach or m != "foreach")]
    if len(present) != 1:
        allowed = ", ".join(_METHODS if allow_foreach else _METHODS[:2])
        raise MutateError(f"{where} needs exactly one of {allowed}")
    if "patchStrategicMerge" in block:
        check_overlay(block["patchStrategicMerge"])
    if "patchesJson6902" in block:
        _check_patch_text(block["patchesJson6902"])


def _check_context(entries: Any) -> str:
    for entry in entries or []:
        if not isinstance(entry, Mapping):
            return "a context entry is not a map"
        for key in _UNSUPPORTED_CONTEXT:
            if key in entry:
                return f"context.{key} ({entry.get('name')}) is not supported"
    return ""


def problem(rule: Mapping[str, Any]) -> str:
    """Why this mutate rule cannot be used ("" when it can): checked once, at load."""
    block = rule.get("mutate")
    if not isinstance(block, Mapping):
        return "mutate must be a map"
    if "validate" in rule:
        return "a rule cannot both validate and mutate"
    for key in _UNSUPPORTED:
        if key in block:
            return f"mutate.{key} (mutate existing resources) is not supported"
    try:
        _check_method(block, "mutate", allow_foreach=True)
        reason = _check_context(rule.get("context"))
        if not isinstance(block.get("foreach", []), list):
            raise MutateError("mutate.foreach must be a list")
        for decl in block.get("foreach") or []:
            if not isinstance(decl, Mapping) or not isinstance(decl.get("list"), str):
                raise MutateError("each mutate.foreach entry needs a list expression")
            compile_expr(_list_expr(decl))
            if "foreach" in decl:
                raise MutateError("nested foreach is not supported")
            _check_method(decl, "mutate.foreach entry", allow_foreach=False)
            if decl.get("order", "Ascending") not in ("Ascending", "Descending"):
                raise MutateError("mutate.foreach order must be Ascending or Descending")
            reason = reason or _check_context(decl.get("context"))
            conditions.validate_block(decl.get("preconditions"))
        precompile(rule)
        conditions.validate_block(rule.get("preconditions"))
    except HardhullError as exc:
        return str(exc)
    return reason


def _with_object(data: Mapping[str, Any], obj: Any) -> dict[str, Any]:
    out = dict(data)
    out["request"] = {**data["request"], "object": obj}
    out["@"] = obj
    return out


def _apply_one(block: Mapping[str, Any], obj: Any, data: Mapping[str, Any]) -> Any:
    if "patchStrategicMerge" in block:
        overlay = substitute(block["patchStrategicMerge"], data)
        if not isinstance(overlay, Mapping):
            raise MutateError("patchStrategicMerge is not a map after variable substitution")
        return strategic_merge(obj, overlay)
    text = substitute(str(block["patchesJson6902"]), data)
    try:
        ops = jsonpatch.check_ops(_parse_ops(str(text)))
        return jsonpatch.apply(obj, ops, lenient=True)
    except jsonpatch.JsonPatchError as exc:
        raise MutateError(f"failed to apply patchesJson6902: {exc}") from None


def _list_expr(decl: Mapping[str, Any]) -> str:
    expr = str(decl["list"]).strip()
    if expr.startswith("{{") and expr.endswith("}}"):
        expr = expr[2:-2].strip()
    return expr


def _elements(decl: Mapping[str, Any], data: Mapping[str, Any]) -> list[Any]:
    expr = _list_expr(decl)
    found = query(expr, data)
    if found is None:
        return []
    if isinstance(found, Mapping):
        return [{"key": k, "value": v} for k, v in found.items()]
    if not isinstance(found, list):
        raise MutateError(f"foreach list {expr!r} is not a list")
    return found


def _foreach(
    decls: Sequence[Mapping[str, Any]], obj: Any, data: Mapping[str, Any], load: ContextLoader
) -> Any:
    for decl in decls:
        elements = list(enumerate(_elements(decl, _with_object(data, obj))))
        if decl.get("order") == "Descending":
            elements.reverse()
        for index, element in elements:
            local = _with_object(data, obj)
            local["element"] = element
            local["elementIndex"] = index
            local["@"] = element
            load(decl.get("context"), local)
            if not conditions.evaluate(decl.get("preconditions"), local):
                continue
            obj = _apply_one(decl, obj, local)
    return obj


def run(block: Mapping[str, Any], data: Mapping[str, Any], load: ContextLoader) -> Mutation:
    """Apply one mutate rule (context and preconditions already handled) to
    ``data["request"]["object"]``; ``load`` adds a foreach entry's context variables.
    Raises on errors the caller reports as ``error``."""
    original = data["request"]["object"]
    # A DELETE's object is the old one (nothing will be stored); CONNECT has none.
    if data["request"].get("operation") in ("DELETE", "CONNECT") or not original:
        return Mutation(Result.SKIP, f"{data['request'].get('operation')} is not mutated")
    if "foreach" in block:
        mutated = _foreach(block["foreach"], original, data, load)
    else:
        mutated = _apply_one(block, original, data)
    if jsonpatch.equal(original, mutated):
        return Mutation(Result.SKIP, "no patches applied")
    return Mutation(Result.PASS, "resource patched", tuple(jsonpatch.diff(original, mutated)))


def patched_input(inp: AdmissionInput, patch: Sequence[Mapping[str, Any]]) -> AdmissionInput:
    """``inp`` with its object replaced by the object ``patch`` produces."""
    obj = jsonpatch.apply(inp.obj if inp.obj is not None else {}, patch)
    return dataclasses.replace(inp, obj=obj)


__all__ = ["MutateError", "Mutation", "patched_input", "problem", "run"]
