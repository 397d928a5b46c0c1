"""Read a rules YAML file keeping line/column positions of every item, key and value
(PyYAML's node API, with the C loader when available)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from hardhull.runtime.rules.model import Diagnostic, Position

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """Safe loading, plus ``=`` as a plain string (Falco writes ``comps: [=, in]``)."""


def _plain(loader: Any, node: yaml.ScalarNode) -> Any:
    return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:value", _plain)


@dataclass
class Item:
    """One top-level list element: its values, and where each key's value starts."""

    values: dict[str, Any]
    position: Position
    key_pos: dict[str, Position] = field(default_factory=dict)
    value_span: dict[str, tuple[int, int]] = field(default_factory=dict)

    def pos(self, key: str) -> Position:
        return self.key_pos.get(key, self.position)


@dataclass
class RulesFile:
    path: str
    text: str
    items: list[Item]

    def locate(self, key_item: Item, key: str, text: str, offset: int | None) -> Position:
        """Position of ``offset`` within ``key``'s string value (searching the source)."""
        base = key_item.pos(key)
        span = key_item.value_span.get(key)
        if offset is None or span is None or offset >= len(text):
            return base
        token = text[offset:].split(None, 1)[0] if text[offset:].strip() else ""
        token = token[:40]
        if not token:
            return base
        nth = text[:offset].count(token)
        src = self.text[span[0] : span[1]]
        at = -1
        for _ in range(nth + 1):
            at = src.find(token, at + 1)
            if at < 0:
                return base
        absolute = span[0] + at
        line = self.text.count("\n", 0, absolute) + 1
        col = absolute - (self.text.rfind("\n", 0, absolute) + 1) + 1
        return Position(self.path, line, col)


def _pos(path: str, node: yaml.Node) -> Position:
    return Position(path, node.start_mark.line + 1, node.start_mark.column + 1)


def read_rules_file(path: str, text: str) -> tuple[RulesFile | None, list[Diagnostic]]:
    """Parse ``text``; a syntax error or a top level that is not a list is a diagnostic."""
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = Position(path, mark.line + 1, mark.column + 1) if mark else Position(path, 1)
        msg = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        return None, [Diagnostic("error", "yaml-syntax", f"YAML syntax error: {msg}", pos)]
    except yaml.YAMLError as exc:
        return None, [Diagnostic("error", "yaml-syntax", f"YAML error: {exc}", Position(path, 1))]
    if root is None or data is None:
        return RulesFile(path, text, []), []
    if not isinstance(root, yaml.SequenceNode) or not isinstance(data, list):
        return None, [
            Diagnostic(
                "error",
                "not-a-list",
                "a rules file must be a YAML list of items (- rule:, - macro:, - list: ...)",
                _pos(path, root),
            )
        ]
    items: list[Item] = []
    diags: list[Diagnostic] = []
    for node, value in zip(root.value, data, strict=True):
        if not isinstance(node, yaml.MappingNode) or not isinstance(value, dict):
            diags.append(
                Diagnostic("error", "wrong-type", "each item must be a mapping", _pos(path, node))
            )
            continue
        item = Item(values={str(k): v for k, v in value.items()}, position=_pos(path, node))
        for knode, vnode in node.value:
            key = str(knode.value)
            item.key_pos[key] = _pos(path, vnode)
            item.value_span[key] = (vnode.start_mark.index, vnode.end_mark.index)
        items.append(item)
    return RulesFile(path, text, items), diags
