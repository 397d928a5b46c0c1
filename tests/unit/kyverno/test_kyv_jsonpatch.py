"""RFC 6902 JSON Patch: every op, pointer escaping, failures, and diff round trips."""

from __future__ import annotations

import copy
import random
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


def test_diff_inserts_at_the_front_and_follows_names() -> None:
    assert jsonpatch.diff([1, 2, 3], [0, 1, 2, 3, 4]) == [
        {"op": "add", "path": "/0", "value": 0},
        {"op": "add", "path": "/4", "value": 4},
    ]
    old = {"c": [{"name": "a", "x": 1}, {"name": "b"}]}
    new = {"c": [{"name": "side"}, {"name": "a", "x": 2}, {"name": "b"}]}
    assert jsonpatch.diff(old, new) == [
        {"op": "add", "path": "/c/0", "value": {"name": "side"}},
        {"op": "replace", "path": "/c/1/x", "value": 2},
    ]


def _random_value(rnd: random.Random, depth: int = 0) -> Any:
    roll = rnd.random()
    if depth > 3 or roll < 0.4:
        return rnd.choice([0, 1, "a", "b", True, False, None, 1.5])
    if roll < 0.7:
        return [_random_value(rnd, depth + 1) for _ in range(rnd.randint(0, 5))]
    keys = ["name", "x", "a/b", "~y"]
    return {rnd.choice(keys): _random_value(rnd, depth + 1) for _ in range(rnd.randint(0, 4))}


def _random_edit(rnd: random.Random, value: Any) -> Any:
    value = copy.deepcopy(value)
    if isinstance(value, list):
        for _ in range(rnd.randint(0, 3)):
            roll = rnd.random()
            if roll < 0.3 and value:
                value.pop(rnd.randrange(len(value)))
            elif roll < 0.6:
                value.insert(rnd.randint(0, len(value)), _random_value(rnd, 2))
            elif value:
                k = rnd.randrange(len(value))
                value[k] = _random_edit(rnd, value[k])
    elif isinstance(value, dict):
        for key in list(value):
            if rnd.random() < 0.3:
                value[key] = _random_edit(rnd, value[key])
            elif rnd.random() < 0.1:
                del value[key]
        if rnd.random() < 0.3:
            value[rnd.choice(["name", "q"])] = _random_value(rnd, 2)
    elif rnd.random() < 0.5:
        value = _random_value(rnd, 2)
    return value


def test_diff_round_trips_on_random_documents() -> None:
    rnd = random.Random(20261127)
    for _ in range(2000):
        old = _random_value(rnd)
        new = _random_edit(rnd, old) if rnd.random() < 0.8 else _random_value(rnd)
        ops = jsonpatch.diff(old, new)
        assert jsonpatch.equal(jsonpatch.apply(old, ops), new), (old, new, ops)


def test_lenient_add_creates_missing_lists_and_appends_at_minus_one() -> None:
    # Kyverno (json-patch with EnsurePathExistsOnAdd and negative indices): a missing
    # step followed by a list index becomes a list; adding at -1 appends
    doc = {"spec": {"template": {"spec": {}}}}
    path = "/spec/template/spec/affinity/terms/-1/expressions/-1"
    out = jsonpatch.apply(doc, [{"op": "add", "path": path, "value": {"key": "z"}}], lenient=True)
    assert out["spec"]["template"]["spec"] == {
        "affinity": {"terms": [{"expressions": [{"key": "z"}]}]}
    }
    existing = {"items": [1, 2]}
    appended = jsonpatch.apply(
        existing, [{"op": "add", "path": "/items/-1", "value": 3}], lenient=True
    )
    assert appended == {"items": [1, 2, 3]}
    # a numeric step pads the new list with nulls up to the index
    padded = jsonpatch.apply({}, [{"op": "add", "path": "/a/2/b", "value": 1}], lenient=True)
    assert padded == {"a": [None, None, {"b": 1}]}
    # still an error without the Kyverno leniency, and for an index below -1
    with pytest.raises(JsonPatchError):
        jsonpatch.apply(doc, [{"op": "add", "path": path, "value": 1}])
    with pytest.raises(JsonPatchError):
        jsonpatch.apply({}, [{"op": "add", "path": "/a/-2/b", "value": 1}], lenient=True)
