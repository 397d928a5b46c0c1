"""RFC 6902 JSON Patch: check, apply and diff, over decoded JSON (dicts, lists, scalars).

Paths are RFC 6901 JSON Pointers (``~0`` is ``~``, ``~1`` is ``/``; ``-`` appends to a
list). :func:`apply` never changes its input. Kyverno applies ``patchesJson6902`` with
three leniencies, available as options here: ``remove`` of a missing path is a no-op,
``add`` creates missing parents (maps, or lists where the next step is a list index), and
negative list indices count from the end (``-1`` is the last element; adding at ``-1``
appends).
:func:`diff` computes a small patch that turns one document into another.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from hardhull.errors import HardhullError

OPS = ("add", "remove", "replace", "move", "copy", "test")


class JsonPatchError(HardhullError):
    """A malformed patch, or an operation that cannot be applied (a failed ``test`` too)."""


def escape(token: str) -> str:
    """One reference token, escaped for a JSON Pointer."""
    return token.replace("~", "~0").replace("/", "~1")


def pointer(tokens: Sequence[str | int]) -> str:
    """Tokens -> a JSON Pointer (``[]`` is the whole document, ``""``)."""
    return "".join("/" + escape(str(t)) for t in tokens)


def parse_pointer(path: str) -> list[str]:
    """A JSON Pointer -> its unescaped tokens."""
    if path == "":
        return []
    if not path.startswith("/"):
        raise JsonPatchError(f"path {path!r} does not start with '/'")
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def check_ops(ops: Any) -> list[Mapping[str, Any]]:
    """Validate the shape of a patch (a list of operation maps); return it."""
    if not isinstance(ops, list):
        raise JsonPatchError("a JSON patch must be a list of operations")
    for i, op in enumerate(ops):
        if not isinstance(op, Mapping):
            raise JsonPatchError(f"operation {i} is not a map")
        name = op.get("op")
        if name not in OPS:
            raise JsonPatchError(f"operation {i}: unknown op {name!r} (expected one of {OPS})")
        if not isinstance(op.get("path"), str):
            raise JsonPatchError(f"operation {i} ({name}): path must be a string")
        if name in ("add", "replace", "test") and "value" not in op:
            raise JsonPatchError(f"operation {i} ({name}): value is required")
        if name in ("move", "copy") and not isinstance(op.get("from"), str):
            raise JsonPatchError(f"operation {i} ({name}): from must be a string")
    return ops


def equal(a: Any, b: Any) -> bool:
    """JSON equality: booleans are not numbers, ``1 == 1.0``, maps ignore key order."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


class _Options:
    __slots__ = ("lenient",)

    def __init__(self, lenient: bool) -> None:
        self.lenient = lenient


def _index(token: str, size: int, *, adding: bool, opts: _Options) -> int:
    if adding and token == "-":
        return size
    if not token.lstrip("-").isdigit() or (token.startswith("0") and token != "0"):
        raise JsonPatchError(f"invalid list index {token!r}")
    index = int(token)
    if index < 0 and opts.lenient:
        # -1 is the last element; when adding, the position after it (an append)
        index += size + 1 if adding else size
    upper = size if adding else size - 1
    if index < 0 or index > upper:
        raise JsonPatchError(f"list index {token} is out of range")
    return index


def _int_token(token: str) -> int | None:
    body = token[1:] if token.startswith("-") else token
    return int(token) if body.isdigit() else None


def _new_container(following: str) -> Any:
    """The container a lenient ``add`` creates for a missing path step: a list when
    the step after it is a list index (``-``, ``-1`` or ``n``, padded with ``n``
    nulls), else a map."""
    index = _int_token(following)
    if following == "-" or index is not None:
        if index is not None and index < -1:
            raise JsonPatchError(f"cannot create a list for index {following}")
        return [None] * max(index or 0, 0)
    return {}


def _parent(doc: Any, tokens: list[str], opts: _Options, create: bool) -> Any:
    node = doc
    for i, token in enumerate(tokens[:-1]):
        following = tokens[i + 1]
        if isinstance(node, dict):
            if token not in node:
                if not create:
                    raise JsonPatchError(f"path /{'/'.join(tokens)}: {token!r} does not exist")
                node[token] = _new_container(following)
            node = node[token]
        elif isinstance(node, list):
            try:
                node = node[_index(token, len(node), adding=False, opts=opts)]
            except JsonPatchError:
                if not create:
                    raise
                index = _int_token(token)
                if index is not None and index > len(node):
                    node.extend([None] * (index - len(node)))
                new = _new_container(following)
                node.insert(_index(token, len(node), adding=True, opts=opts), new)
                node = new
        else:
            raise JsonPatchError(f"path /{'/'.join(tokens)}: {token!r} is not a container")
    return node


def _get(doc: Any, tokens: list[str], opts: _Options) -> Any:
    if not tokens:
        return doc
    parent = _parent(doc, tokens, opts, create=False)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise JsonPatchError(f"path {pointer(tokens)} does not exist")
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(last, len(parent), adding=False, opts=opts)]
    raise JsonPatchError(f"path {pointer(tokens)}: parent is not a container")


def _add(doc: Any, tokens: list[str], value: Any, opts: _Options) -> Any:
    if not tokens:
        return value
    parent = _parent(doc, tokens, opts, create=opts.lenient)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(last, len(parent), adding=True, opts=opts), value)
    else:
        raise JsonPatchError(f"path {pointer(tokens)}: parent is not a container")
    return doc


def _remove(doc: Any, tokens: list[str], opts: _Options) -> Any:
    if not tokens:
        raise JsonPatchError("cannot remove the whole document")
    try:
        parent = _parent(doc, tokens, opts, create=False)
        last = tokens[-1]
        if isinstance(parent, dict):
            if last not in parent:
                raise JsonPatchError(f"path {pointer(tokens)} does not exist")
            del parent[last]
        elif isinstance(parent, list):
            del parent[_index(last, len(parent), adding=False, opts=opts)]
        else:
            raise JsonPatchError(f"path {pointer(tokens)}: parent is not a container")
    except JsonPatchError:
        if not opts.lenient:
            raise
    return doc


def _step(doc: Any, op: Mapping[str, Any], opts: _Options) -> Any:
    name = op["op"]
    tokens = parse_pointer(str(op["path"]))
    if name == "add":
        return _add(doc, tokens, copy.deepcopy(op["value"]), opts)
    if name == "remove":
        return _remove(doc, tokens, opts)
    if name == "replace":
        _get(doc, tokens, opts)  # must exist
        if not tokens:
            return copy.deepcopy(op["value"])
        doc = _remove(doc, tokens, opts)
        return _add(doc, tokens, copy.deepcopy(op["value"]), opts)
    if name == "test":
        if not equal(_get(doc, tokens, opts), op["value"]):
            raise JsonPatchError(f"test failed at {op['path']}")
        return doc
    source = parse_pointer(str(op["from"]))
    value = copy.deepcopy(_get(doc, source, opts))
    if name == "move":
        if tokens[: len(source)] == source and len(tokens) > len(source):
            raise JsonPatchError(f"cannot move {op['from']} into its own child {op['path']}")
        doc = _remove(doc, source, opts)
    return _add(doc, tokens, value, opts)


def apply(doc: Any, ops: Sequence[Mapping[str, Any]], *, lenient: bool = False) -> Any:
    """``doc`` with ``ops`` applied in order (a new object; ``doc`` is not changed).
    ``lenient``: Kyverno's options (missing-path remove, parents created on add,
    negative indices)."""
    opts = _Options(lenient)
    out = copy.deepcopy(doc)
    for i, op in enumerate(check_ops(list(ops))):
        try:
            out = _step(out, op, opts)
        except JsonPatchError as exc:
            raise JsonPatchError(f"operation {i} ({op['op']} {op['path']}): {exc}") from None
    return out


def diff(old: Any, new: Any) -> list[dict[str, Any]]:
    """A patch that turns ``old`` into ``new`` (``apply(old, diff(old, new)) == new``)."""
    ops: list[dict[str, Any]] = []
    _diff(old, new, [], ops)
    return ops


def _diff(old: Any, new: Any, path: list[str | int], ops: list[dict[str, Any]]) -> None:
    if equal(old, new):
        return
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        ops.extend({"op": "remove", "path": pointer([*path, k])} for k in old if k not in new)
        for key, value in new.items():
            if key in old:
                _diff(old[key], value, [*path, key], ops)
            else:
                ops.append({"op": "add", "path": pointer([*path, key]), "value": value})
        return
    if isinstance(old, list) and isinstance(new, list):
        _diff_list(old, new, path, ops)
        return
    ops.append({"op": "replace", "path": pointer(path), "value": new})


_MAX_ALIGN = 250_000  # old x new middle sizes above which lists are paired by position


def _same_item(a: Any, b: Any) -> bool:
    """Elements that correspond: equal, or maps with the same ``name``."""
    if isinstance(a, Mapping) and isinstance(b, Mapping) and "name" in a and "name" in b:
        return equal(a["name"], b["name"])
    return equal(a, b)


def _align(old: list[Any], new: list[Any]) -> list[tuple[int, int]]:
    """Monotonic (old index, new index) pairs: a longest common subsequence of
    corresponding elements, the gaps between them paired by position."""
    anchors: list[tuple[int, int]] = []
    if old and new and len(old) * len(new) <= _MAX_ALIGN:
        rows = [[0] * (len(new) + 1) for _ in range(len(old) + 1)]
        for i in range(len(old) - 1, -1, -1):
            for j in range(len(new) - 1, -1, -1):
                if _same_item(old[i], new[j]):
                    rows[i][j] = rows[i + 1][j + 1] + 1
                else:
                    rows[i][j] = max(rows[i + 1][j], rows[i][j + 1])
        i = j = 0
        while i < len(old) and j < len(new):
            if _same_item(old[i], new[j]):
                anchors.append((i, j))
                i, j = i + 1, j + 1
            elif rows[i + 1][j] >= rows[i][j + 1]:
                i += 1
            else:
                j += 1
    pairs: list[tuple[int, int]] = []
    prev_i = prev_j = 0
    for i, j in [*anchors, (len(old), len(new))]:
        pairs.extend(zip(range(prev_i, i), range(prev_j, j), strict=False))
        if i < len(old):
            pairs.append((i, j))
        prev_i, prev_j = i + 1, j + 1
    return pairs


def _diff_list(
    old: list[Any], new: list[Any], path: list[str | int], ops: list[dict[str, Any]]
) -> None:
    shortest = min(len(old), len(new))
    head = 0
    while head < shortest and equal(old[head], new[head]):
        head += 1
    tail = 0
    while tail < shortest - head and equal(old[-1 - tail], new[-1 - tail]):
        tail += 1
    old_mid = old[head : len(old) - tail]
    new_mid = new[head : len(new) - tail]
    pairs = _align(old_mid, new_mid)
    kept = {i for i, _ in pairs}
    source = {j: i for i, j in pairs}
    # Remove the old elements nothing corresponds to (last first, so indices hold) ...
    ops.extend(
        {"op": "remove", "path": pointer([*path, head + i])}
        for i in range(len(old_mid) - 1, -1, -1)
        if i not in kept
    )
    # ... then walk the new list: the kept old elements are in place, in order.
    for j, value in enumerate(new_mid):
        if j in source:
            _diff(old_mid[source[j]], value, [*path, head + j], ops)
        else:
            ops.append({"op": "add", "path": pointer([*path, head + j]), "value": value})


__all__ = ["OPS", "JsonPatchError", "apply", "check_ops", "diff", "equal", "escape", "pointer"]
