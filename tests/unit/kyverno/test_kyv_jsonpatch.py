"""RFC 6902 JSON Patch: every op, pointer escaping, failures, and diff round trips."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hardhull.policy import jsonpatch
from hardhull.policy.jsonpatch import JsonPatchError

DOC: dict[str, Any] = {
    "metadata": {"name": "p", "annotations": {"a/b": "1", "x~y": "2"}},
    "spec": {"containers": [{"name": "a"}, {"name": "b"}]},
}


def test_every_op_and_escaped_pointers() -> None:
    ops = [
        {"op": "add", "path": "/metadata/labels", "value": {"team": "web"}},
        {"op": "replace", "path": "/metadata/annotations/a~1b", "value": "one"},
        {"op": "remove", "path": "/metadata/annotations/x~0y"},
        {"op": "add", "path": "/spec/containers/-", "value": {"name": "c"}},
        {"op": "add", "path": "/spec/containers/0", "value": {"name": "z"}},
        {"op": "copy", "from": "/metadata/labels", "path": "/spec/labels"},
        {"op": "move", "from": "/spec/containers/1", "path": "/spec/first"},
        {"op": "test", "path": "/spec/first/name", "value": "a"},
    ]
    before = copy.deepcopy(DOC)
    out = jsonpatch.apply(DOC, ops)
    assert before == DOC  # the input is never changed
    assert out == {
        "metadata": {"name": "p", "annotations": {"a/b": "one"}, "labels": {"team": "web"}},
        "spec": {
            "containers": [{"name": "z"}, {"name": "b"}, {"name": "c"}],
            "labels": {"team": "web"},
            "first": {"name": "a"},
        },
    }


@pytest.mark.parametrize(
    ("op", "message"),
    [
        ({"op": "test", "path": "/metadata/name", "value": "q"}, "test failed"),
        ({"op": "replace", "path": "/metadata/missing", "value": 1}, "does not exist"),
        ({"op": "remove", "path": "/spec/containers/7"}, "out of range"),
        ({"op": "add", "path": "/nope/deeper/x", "value": 1}, "does not exist"),
        ({"op": "move", "from": "/spec", "path": "/spec/x"}, "own child"),
        ({"op": "add", "path": "spec", "value": 1}, "does not start with"),
    ],
)
def test_strict_failures(op: dict[str, Any], message: str) -> None:
    with pytest.raises(JsonPatchError, match=message):
        jsonpatch.apply(DOC, [op])


def test_test_op_is_type_strict() -> None:
    doc = {"a": True, "b": 1}
    with pytest.raises(JsonPatchError):
        jsonpatch.apply(doc, [{"op": "test", "path": "/a", "value": 1}])
    assert jsonpatch.apply(doc, [{"op": "test", "path": "/b", "value": 1.0}]) == doc


def test_lenient_options_as_kyverno() -> None:
    ops = [
        {"op": "remove", "path": "/metadata/labels/absent"},
        {"op": "add", "path": "/metadata/labels/team", "value": "web"},
        {"op": "replace", "path": "/spec/containers/-1/name", "value": "last"},
    ]
    out = jsonpatch.apply(DOC, ops, lenient=True)
    assert out["metadata"]["labels"] == {"team": "web"}
    assert out["spec"]["containers"][1] == {"name": "last"}
    with pytest.raises(JsonPatchError):
        jsonpatch.apply(DOC, ops[:1])


@pytest.mark.parametrize(
    "bad",
    [
        {"op": "add"},
        [{"op": "frobnicate", "path": "/a"}],
        [{"op": "add", "path": "/a"}],
        [{"op": "copy", "path": "/a"}],
        ["add /a"],
    ],
)
def test_check_ops_rejects_malformed(bad: Any) -> None:
    with pytest.raises(JsonPatchError):
        jsonpatch.check_ops(bad)


ROUND_TRIPS: list[tuple[Any, Any]] = [
    (DOC, {**DOC, "metadata": {"name": "q", "annotations": {"a/b": "1", "new~": True}}}),
    ([1, 2, 3], [0, 1, 2, 3, 4]),
    ([1, 2, 3, 4, 5], [1, 5]),
    ([{"name": "a", "x": 1}], [{"name": "a", "x": 2, "y": [1]}, {"name": "b"}]),
    ({"a": 1}, {"a": True}),
    ({"a": [1, 2]}, {"a": {"0": 1}}),
    ({"a": 1}, [1]),
    ({}, {}),
]


@pytest.mark.parametrize(("old", "new"), ROUND_TRIPS)
def test_diff_applied_to_old_gives_new(old: Any, new: Any) -> None:
    ops = jsonpatch.diff(old, new)
    assert jsonpatch.equal(jsonpatch.apply(old, ops), new)
    assert (ops == []) == jsonpatch.equal(old, new)


def test_diff_is_minimal_for_nested_changes() -> None:
    old = {"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b"}]}}
    new = copy.deepcopy(old)
    new["spec"]["containers"][1]["securityContext"] = {"runAsNonRoot": True}
    assert jsonpatch.diff(old, new) == [
        {
            "op": "add",
            "path": "/spec/containers/1/securityContext",
            "value": {"runAsNonRoot": True},
        }
    ]
