"""Evaluating one CEL expression in hardhull's environment, for the library tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cel_expr_python import cel

from hardhull.policy.cel.env import compile_expression, environment


def activation_data(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The admission variables with ``object`` set and the others empty."""
    return {
        "object": obj,
        "oldObject": None,
        "request": {},
        "params": None,
        "namespaceObject": None,
        "authorizer": None,
        "variables": {},
    }


def evaluate(expression: str, data: Mapping[str, Any]) -> Any:
    """The raw CEL value (possibly an error value) of ``expression`` over ``data``."""
    return compile_expression(expression).program.eval(environment().Activation(data))


def value(expression: str, data: Mapping[str, Any]) -> Any:
    """The plain Python value of ``expression``; fails the test on a CEL error."""
    result = evaluate(expression, data)
    assert result.type() != cel.Type.ERROR, result.value()
    return result.plain_value()
