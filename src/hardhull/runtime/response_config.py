"""The response configuration file: what to do for which alert, and what never to touch.

Loaded with positions (``file:line:column``) so a mistake names its place; see
``docs/runtime-response.md`` for the reference.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

import yaml

from hardhull.errors import ResponseError
from hardhull.model.event import Alert, ContainerInfo, Priority

ACTIONS = ("kill_process", "pause_container", "stop_container", "disconnect_network")
MATCH_MODES = ("all", "first")
_OPS = (">=", "<=", "==", "!=", ">", "<", "=")
_TOP_KEYS = (
    "dry_run",
    "audit_log",
    "match",
    "stop_timeout",
    "burst_window",
    "protected",
    "actions",
)
_ACTION_KEYS = ("action", "rule", "priority", "tag")
_PROTECT_KEYS = ("name", "label", "namespace", "image", "id")


@dataclass(frozen=True, slots=True)
class PriorityTest:
    """``>=critical``: at least as severe as Critical (Emergency is the most severe)."""

    op: str
    priority: Priority

    def __call__(self, priority: Priority) -> bool:
        # A lower rank is more severe, so "a >= b" (severity) is "rank(a) <= rank(b)".
        a, b = priority.rank, self.priority.rank
        return {
            ">=": a <= b,
            ">": a < b,
            "<=": a >= b,
            "<": a > b,
            "==": a == b,
            "=": a == b,
            "!=": a != b,
        }[self.op]

    def __str__(self) -> str:
        return f"{self.op}{self.priority.value.lower()}"


@dataclass(frozen=True, slots=True)
class ActionRule:
    """One ``actions:`` entry: every given test must hold (rule glob, priority, tag)."""

    action: str
    rule: str | None = None
    priority: PriorityTest | None = None
    tag: str | None = None
    where: str = ""

    def matches(self, alert: Alert) -> bool:
        if self.rule is not None and not fnmatch.fnmatchcase(alert.rule, self.rule):
            return False
        if self.priority is not None and not self.priority(alert.priority):
            return False
        return self.tag is None or self.tag in alert.tags

    def describe(self) -> str:
        parts = []
        if self.rule is not None:
            parts.append(f"rule {self.rule!r}")
        if self.priority is not None:
            parts.append(f"priority {self.priority}")
        if self.tag is not None:
            parts.append(f"tag {self.tag!r}")
        return " and ".join(parts)


@dataclass(frozen=True, slots=True)
class Protection:
    """One ``protected:`` entry: ``name``/``namespace``/``image`` globs, ``id`` prefix,
    ``label`` as ``key=value-glob`` or just ``key`` (present with any value)."""

    kind: str
    value: str
    where: str = ""

    def matches(self, info: ContainerInfo) -> bool:
        if self.kind == "name":
            return fnmatch.fnmatchcase(info.name, self.value)
        if self.kind == "namespace":
            return bool(info.pod_namespace) and fnmatch.fnmatchcase(info.pod_namespace, self.value)
        if self.kind == "image":
            return fnmatch.fnmatchcase(info.image, self.value)
        if self.kind == "id":
            return bool(info.full_id or info.id) and (
                (info.full_id or info.id).startswith(self.value)
            )
        key, eq, pattern = self.value.partition("=")
        if key not in info.labels:
            return False
        return not eq or fnmatch.fnmatchcase(info.labels[key], pattern)

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"


@dataclass(frozen=True, slots=True)
class ResponseConfig:
    dry_run: bool = True
    audit_log: str | None = None
    match: str = "all"
    stop_timeout: int = 10
    burst_window: float = 60.0
    protected: tuple[Protection, ...] = ()
    actions: tuple[ActionRule, ...] = ()
    path: str = ""

    def actions_for(self, alert: Alert) -> tuple[ActionRule, ...]:
        """The entries that apply, in file order; ``first`` mode keeps only the first.
        Each action name appears once."""
        chosen: list[ActionRule] = []
        for entry in self.actions:
            if entry.matches(alert) and all(c.action != entry.action for c in chosen):
                chosen.append(entry)
                if self.match == "first":
                    break
        return tuple(chosen)

    def protection_for(self, info: ContainerInfo) -> Protection | None:
        for protection in self.protected:
            if protection.matches(info):
                return protection
        return None


def parse_priority_test(text: str) -> PriorityTest:
    """``>=critical``, ``> warning``, ``error`` (same as ``==error``)."""
    body = text.strip()
    op = "=="
    for candidate in _OPS:
        if body.startswith(candidate):
            op, body = candidate, body[len(candidate) :].strip()
            break
    return PriorityTest("==" if op == "=" else op, Priority.parse(body))


class _Loader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, node: yaml.Node | None, message: str) -> ResponseError:
        if node is None:
            return ResponseError(f"{self.path}: {message}")
        mark = node.start_mark
        return ResponseError(f"{self.path}:{mark.line + 1}:{mark.column + 1}: {message}")

    def where(self, node: yaml.Node) -> str:
        return f"{self.path}:{node.start_mark.line + 1}"

    def mapping(self, node: yaml.Node, what: str, keys: tuple[str, ...]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping")
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key not in keys:
                raise self.fail(
                    key_node, f"unknown key {key!r} in {what} (expected one of: {', '.join(keys)})"
                )
            if key in out:
                raise self.fail(key_node, f"duplicate key {key!r} in {what}")
            out[key] = value_node
        return out

    def scalar(self, node: yaml.Node, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.value == "":
            raise self.fail(node, f"{what} must be a non-empty string")
        return str(node.value)

    def boolean(self, node: yaml.Node, what: str) -> bool:
        value = self.scalar(node, what).lower()
        if value in ("true", "yes", "on"):
            return True
        if value in ("false", "no", "off"):
            return False
        raise self.fail(node, f"{what} must be true or false, not {node.value!r}")

    def number(self, node: yaml.Node, what: str) -> float:
        text = self.scalar(node, what)
        try:
            value = float(text)
        except ValueError:
            raise self.fail(node, f"{what} must be a number, not {text!r}") from None
        if value < 0:
            raise self.fail(node, f"{what} must not be negative")
        return value

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"):
            return []
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{what} must be a list")
        return list(node.value)

    def action(self, node: yaml.Node, n: int) -> ActionRule:
        what = f"actions[{n}]"
        fields = self.mapping(node, what, _ACTION_KEYS)
        if "action" not in fields:
            raise self.fail(node, f"{what} has no 'action' (one of: {', '.join(ACTIONS)})")
        action = self.scalar(fields["action"], f"{what}.action")
        if action not in ACTIONS:
            raise self.fail(
                fields["action"],
                f"unknown action {action!r} (expected one of: {', '.join(ACTIONS)})",
            )
        if not any(k in fields for k in ("rule", "priority", "tag")):
            raise self.fail(node, f"{what} needs at least one of rule, priority, tag")
        priority = None
        if "priority" in fields:
            text = self.scalar(fields["priority"], f"{what}.priority")
            try:
                priority = parse_priority_test(text)
            except ValueError:
                raise self.fail(
                    fields["priority"],
                    f"bad priority {text!r} (expected e.g. '>=critical'; priorities: "
                    + ", ".join(p.value.lower() for p in Priority)
                    + ")",
                ) from None
        rule = self.scalar(fields["rule"], f"{what}.rule") if "rule" in fields else None
        tag = self.scalar(fields["tag"], f"{what}.tag") if "tag" in fields else None
        return ActionRule(action, rule, priority, tag, self.where(node))

    def protection(self, node: yaml.Node, n: int) -> Protection:
        what = f"protected[{n}]"
        fields = self.mapping(node, what, _PROTECT_KEYS)
        if len(fields) != 1:
            raise self.fail(node, f"{what} must have exactly one of: {', '.join(_PROTECT_KEYS)}")
        ((kind, value_node),) = fields.items()
        value = self.scalar(value_node, f"{what}.{kind}")
        if kind == "label" and value.startswith("="):
            raise self.fail(value_node, f"{what}.label needs a key (key or key=value)")
        return Protection(kind, value, self.where(node))

    def load(self, text: str) -> ResponseConfig:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
            raise ResponseError(f"{self.path}{where}: invalid YAML ({exc.problem})") from None
        except yaml.YAMLError as exc:
            raise ResponseError(f"{self.path}: invalid YAML ({exc})") from None
        if root is None:
            return ResponseConfig(path=str(self.path))
        top = self.mapping(root, "the response configuration", _TOP_KEYS)
        values: dict[str, object] = {"path": str(self.path)}
        if "dry_run" in top:
            values["dry_run"] = self.boolean(top["dry_run"], "dry_run")
        if "audit_log" in top:
            values["audit_log"] = self.scalar(top["audit_log"], "audit_log")
        if "match" in top:
            mode = self.scalar(top["match"], "match")
            if mode not in MATCH_MODES:
                raise self.fail(top["match"], f"match must be 'all' or 'first', not {mode!r}")
            values["match"] = mode
        if "stop_timeout" in top:
            values["stop_timeout"] = int(self.number(top["stop_timeout"], "stop_timeout"))
        if "burst_window" in top:
            values["burst_window"] = self.number(top["burst_window"], "burst_window")
        if "protected" in top:
            items = self.sequence(top["protected"], "protected")
            values["protected"] = tuple(self.protection(n, i) for i, n in enumerate(items))
        if "actions" in top:
            items = self.sequence(top["actions"], "actions")
            values["actions"] = tuple(self.action(n, i) for i, n in enumerate(items))
        return ResponseConfig(**values)  # type: ignore[arg-type]


def parse_response_config(text: str, path: str | Path = "<response config>") -> ResponseConfig:
    return _Loader(Path(path)).load(text)


def load_response_config(path: str | Path) -> ResponseConfig:
    """Read and validate a response configuration file; :class:`ResponseError` with
    ``file:line:column`` on the first problem."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ResponseError(f"cannot read response configuration {p}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ResponseError(f"response configuration {p} is not UTF-8 text") from None
    return parse_response_config(text, p)
