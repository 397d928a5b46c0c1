"""The LabelSelector ``matchExpressions`` operators shared by the CEL (VAP) and Kyverno
matchers."""

from __future__ import annotations

import pytest

from hardhull.policy.base import label_expression_holds

LABELS = {"env": "prod", "tier": "web"}


@pytest.mark.parametrize(
    ("key", "op", "values", "expected"),
    [
        ("env", "In", ["prod", "dev"], True),
        ("env", "In", ["dev"], False),
        ("missing", "In", ["prod"], False),
        ("env", "NotIn", ["prod"], False),
        ("env", "NotIn", ["dev"], True),
        ("missing", "NotIn", ["prod"], True),
        ("tier", "Exists", [], True),
        ("missing", "Exists", [], False),
        ("tier", "DoesNotExist", [], False),
        ("missing", "DoesNotExist", [], True),
        ("env", "Gt", ["1"], True),
    ],
)
def test_operator(key: str, op: str, values: list[str], expected: bool) -> None:
    assert label_expression_holds(LABELS, key, op, values) is expected
