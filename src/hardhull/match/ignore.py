"""The ignore file: findings a team has decided to accept, each with a reason and an expiry.

YAML, a list of entries (or a mapping whose ``ignore`` key holds that list)::

    - id: CVE-2023-12345          # advisory id or any of its aliases (required)
      package: libfoo*             # optional: package name glob, or a purl glob (pkg:...)
      reason: not reachable in our build   # required
      expires: 2025-06-30          # optional date; from the day after, the entry stops working

An expired entry no longer suppresses anything; the report carries a ``warn`` note saying
so. Errors name the file and the line of the offending entry.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass
from pathlib import Path

import yaml

from hardhull.errors import HardhullError
from hardhull.model import Finding

_KEYS = frozenset({"id", "package", "reason", "expires"})


class SuppressionError(HardhullError):
    """An ignore or VEX file is unreadable or malformed."""


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    """One ignore entry; ``where`` is ``file:line`` for messages and the suppression record."""

    id: str
    reason: str
    where: str
    package: str | None = None
    expires: dt.date | None = None

    def expired(self, today: dt.date) -> bool:
        """True once ``today`` is past the expiry date."""
        return self.expires is not None and today > self.expires

    def applies(self, finding: Finding) -> bool:
        """Whether this entry names ``finding`` (by id or alias, and package if given)."""
        wanted = self.id.upper()
        if finding.rule_id.upper() != wanted and wanted not in (a.upper() for a in finding.aliases):
            return False
        if self.package is None:
            return True
        pkg = finding.package
        if pkg is None:
            return False
        if self.package.startswith("pkg:"):
            return fnmatch.fnmatchcase(pkg.purl, self.package) or fnmatch.fnmatchcase(
                pkg.purl.split("?", 1)[0], self.package
            )
        names = {pkg.name, *([pkg.source_name] if pkg.source_name else [])}
        return any(fnmatch.fnmatchcase(n, self.package) for n in names)


def _scalar(node: yaml.Node, what: str, where: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise SuppressionError(f"{where}: `{what}` must be a non-empty string")
    return str(node.value).strip()


def _date(node: yaml.Node, where: str) -> dt.date:
    text = _scalar(node, "expires", where)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise SuppressionError(
            f"{where}: `expires` must be a date like 2025-06-30, not {text!r}"
        ) from None


def parse_ignore(text: str, name: str) -> tuple[IgnoreRule, ...]:
    """Parse ignore-file ``text`` (``name`` is used in messages)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        pos = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise SuppressionError(f"{name}{pos}: not valid YAML ({problem})") from None
    if root is None:
        return ()
    if isinstance(root, yaml.MappingNode):
        found = [v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "ignore"]
        if not found or len(root.value) != 1:
            raise SuppressionError(
                f"{name}:{root.start_mark.line + 1}: expected a list of entries "
                "(or a mapping with only an `ignore` list)"
            )
        root = found[0]
    if not isinstance(root, yaml.SequenceNode):
        raise SuppressionError(f"{name}:{root.start_mark.line + 1}: expected a list of entries")
    rules = []
    for item in root.value:
        where = f"{name}:{item.start_mark.line + 1}"
        if not isinstance(item, yaml.MappingNode):
            raise SuppressionError(f"{where}: each entry must be a mapping with `id` and `reason`")
        fields: dict[str, yaml.Node] = {}
        for key_node, value_node in item.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            kwhere = f"{name}:{key_node.start_mark.line + 1}"
            if key not in _KEYS:
                raise SuppressionError(
                    f"{kwhere}: unknown key {key!r} (expected one of {', '.join(sorted(_KEYS))})"
                )
            if key in fields:
                raise SuppressionError(f"{kwhere}: `{key}` given twice")
            fields[key] = value_node
        for required in ("id", "reason"):
            if required not in fields:
                raise SuppressionError(f"{where}: entry without `{required}`")
        rules.append(
            IgnoreRule(
                id=_scalar(fields["id"], "id", where),
                reason=_scalar(fields["reason"], "reason", where),
                where=where,
                package=_scalar(fields["package"], "package", where)
                if "package" in fields
                else None,
                expires=_date(fields["expires"], where) if "expires" in fields else None,
            )
        )
    return tuple(rules)


def read_suppression_file(path: Path, what: str) -> str:
    """The UTF-8 text of a suppression file (``what``: "ignore file", "VEX file");
    :class:`SuppressionError` when it cannot be read or is not UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SuppressionError(f"{path}: cannot read {what} ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise SuppressionError(f"{path}: {what} is not UTF-8 text") from None


def load_ignore_file(path: Path) -> tuple[IgnoreRule, ...]:
    """Read and parse an ignore file; :class:`SuppressionError` names what is wrong."""
    return parse_ignore(read_suppression_file(path, "ignore file"), str(path))
