"""Per-workload drift allow-lists: executables that may be new in selected workloads.

File format (YAML)::

    allow:
      - name: JIT cache of the api            # optional, shown in errors
        match:                                # every key given must match (AND);
          container_name: api-*               #   an entry without match applies everywhere
          image_repository: docker.io/library/eclipse-temurin
          namespace: prod
          pod_labels: {app: api}
        paths: [/tmp/jit/*, /opt/app/cache/**]

``container_name``, ``image_repository``, ``namespace`` and ``paths`` are globs
(:func:`fnmatch.fnmatchcase`: ``*`` matches any characters, ``/`` included; ``?`` one
character; ``[abc]`` a set). A value may also be a list of globs (any may match).
``pod_labels`` maps label names to exact values, all of which must be present.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from types import MappingProxyType

import yaml

from hardhull.errors import HardhullError
from hardhull.model.event import ContainerInfo

_MATCH_KEYS = ("container_name", "image_repository", "namespace", "pod_labels")
_EMPTY: Mapping[str, str] = MappingProxyType({})


class DriftConfigError(HardhullError):
    """A drift allow-list file could not be read or is malformed."""


@dataclass(frozen=True, slots=True)
class AllowEntry:
    """One allow-list entry: which workloads, and which executable paths may be new."""

    paths: tuple[str, ...]
    name: str = ""
    container_names: tuple[str, ...] = ()
    image_repositories: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    pod_labels: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    def selects(self, container: ContainerInfo) -> bool:
        if self.container_names and not _any(self.container_names, container.name):
            return False
        if self.image_repositories and not _any(
            self.image_repositories, container.image_repository
        ):
            return False
        if self.namespaces and not _any(self.namespaces, container.pod_namespace):
            return False
        labels = container.pod_labels
        return all(labels.get(k) == v for k, v in self.pod_labels.items())

    def allows(self, container: ContainerInfo, path: str) -> bool:
        return self.selects(container) and _any(self.paths, path)


def _any(globs: tuple[str, ...], value: str) -> bool:
    return any(fnmatchcase(value, g) for g in globs)


@dataclass(frozen=True, slots=True)
class DriftAllowList:
    entries: tuple[AllowEntry, ...] = ()

    def allows(self, container: ContainerInfo, path: str) -> bool:
        """True when some entry selects ``container`` and has a glob matching ``path``."""
        return any(e.allows(container, path) for e in self.entries)


def _where(source: str, node: yaml.Node) -> str:
    return f"{source}:{node.start_mark.line + 1}"


def _scalar(node: yaml.Node, source: str, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise DriftConfigError(f"{_where(source, node)}: {what} must be a non-empty string")
    return str(node.value)


def _globs(node: yaml.Node, source: str, what: str) -> tuple[str, ...]:
    if isinstance(node, yaml.SequenceNode):
        if not node.value:
            raise DriftConfigError(f"{_where(source, node)}: {what} is an empty list")
        return tuple(_scalar(n, source, what) for n in node.value)
    return (_scalar(node, source, what),)


def _mapping(node: yaml.Node, source: str, what: str) -> list[tuple[str, yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise DriftConfigError(f"{_where(source, node)}: {what} must be a mapping")
    return [(_scalar(k, source, "a key"), k, v) for k, v in node.value]


def _entry(node: yaml.Node, source: str) -> AllowEntry:
    name = ""
    paths: tuple[str, ...] = ()
    sel: dict[str, tuple[str, ...]] = {}
    labels: dict[str, str] = {}
    for key, knode, value in _mapping(node, source, "an allow entry"):
        if key == "name":
            name = _scalar(value, source, "name")
        elif key == "paths":
            paths = _globs(value, source, "paths")
            for glob in paths:
                if not glob.startswith(("/", "*")):
                    raise DriftConfigError(
                        f"{_where(source, value)}: path glob {glob!r} must be absolute"
                    )
        elif key == "match":
            for mkey, mknode, mvalue in _mapping(value, source, "match"):
                if mkey == "pod_labels":
                    for lkey, _, lvalue in _mapping(mvalue, source, "pod_labels"):
                        labels[lkey] = _scalar(lvalue, source, "a label value")
                elif mkey in _MATCH_KEYS:
                    sel[mkey] = _globs(mvalue, source, mkey)
                else:
                    raise DriftConfigError(
                        f"{_where(source, mknode)}: unknown match key {mkey!r} "
                        f"(expected one of {', '.join(_MATCH_KEYS)})"
                    )
        else:
            raise DriftConfigError(
                f"{_where(source, knode)}: unknown allow entry key {key!r} "
                "(expected name, match, paths)"
            )
    if not paths:
        raise DriftConfigError(f"{_where(source, node)}: allow entry without paths")
    return AllowEntry(
        paths=paths,
        name=name,
        container_names=sel.get("container_name", ()),
        image_repositories=sel.get("image_repository", ()),
        namespaces=sel.get("namespace", ()),
        pod_labels=MappingProxyType(labels),
    )


def parse_allow_list(text: str, source: str = "<allow-list>") -> DriftAllowList:
    """Parse allow-list YAML; :class:`DriftConfigError` names ``source:line`` on errors."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DriftConfigError(f"{source}{line}: not valid YAML ({problem})") from None
    if root is None:
        return DriftAllowList()
    entries: list[AllowEntry] = []
    for key, knode, value in _mapping(root, source, "the allow-list document"):
        if key != "allow":
            raise DriftConfigError(f"{_where(source, knode)}: unknown key {key!r} (expected allow)")
        if not isinstance(value, yaml.SequenceNode):
            raise DriftConfigError(f"{_where(source, value)}: allow must be a list of entries")
        entries.extend(_entry(item, source) for item in value.value)
    return DriftAllowList(tuple(entries))


def load_allow_list(path: str | Path) -> DriftAllowList:
    """Read an allow-list file (see the module docstring for its format)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DriftConfigError(f"{p}: cannot read drift allow-list ({reason})") from None
    return parse_allow_list(text, str(p))
