"""Kubernetes manifests -> :class:`~hardhull.model.Resource` objects, with their file and line.

Reads YAML and JSON files, directories (recursively: ``*.yaml``, ``*.yml``, ``*.json``),
standard input (``-``), multi-document streams (``helm template``, ``kustomize build``)
and ``List`` kinds (``items``). Documents are split on their ``---`` markers (a marker at
column 0 always ends a document, so this is exact) and each one is parsed with PyYAML's C
loader; the start line of each document is kept.

Nothing here raises on bad content: malformed YAML, documents that are not objects or
lack ``kind``/``apiVersion``, unknown kinds or API versions, files over the size limit and
documents nested too deeply all become coverage :class:`~hardhull.model.Gap` s naming the
file and line. Only a path that does not exist is a :class:`~hardhull.errors.UsageError`.
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import orjson
import yaml

from hardhull.errors import UsageError
from hardhull.model import Gap, Resource, ResourceRef
from hardhull.posture.gcpause import gc_paused

MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 100
SUFFIXES = (".yaml", ".yml", ".json")

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ = _TAG + "str", _TAG + "map", _TAG + "seq"
#: Scalar tags built with SafeConstructor's own functions on the fast path.
_SCALARS = frozenset({_TAG + "null", _TAG + "bool", _TAG + "int", _TAG + "float"})
_RESOLVED_MAX = 65_536  # plain scalars whose resolved tag is remembered (then restart)


class _Fallback(Exception):
    """The document uses something the fast path leaves to PyYAML's constructor."""


def _item_lines(node: Any) -> list[int]:
    """Where each element of a mapping document's ``items`` sequence starts (the lines of
    a ``List``'s members), read from the nodes before they are built."""
    lines: list[int] = []
    if type(node) is yaml.MappingNode:
        for key, value in node.value:
            if type(key) is yaml.ScalarNode and key.value == "items":
                seq = value.value if type(value) is yaml.SequenceNode else ()
                lines = [item.start_mark.line for item in seq]
    return lines


class _FastLoader(_LOADER):  # type: ignore[misc]
    """PyYAML's safe loader with a one-pass builder for the documents Kubernetes manifests
    are made of: mappings, sequences and str/int/float/bool/null scalars (aliases shared
    as PyYAML shares them), no merge keys or other tags, at most :data:`MAX_DEPTH` deep.
    Anything else falls back to the inherited constructor, so the result is always what
    ``yaml.load(..., Loader=CSafeLoader)`` gives. ``fast`` says which path built the last
    document (the fast one has checked the depth already). Plain scalars' resolved tags
    are remembered across documents (the resolver's regexes are the same for every one).
    """

    _resolved: ClassVar[dict[str, str]] = {}

    def __init__(self, stream: bytes) -> None:
        super().__init__(stream)
        self.fast = False
        #: 0-based line (in the stream) of each element of the document's ``items``
        self.item_lines: list[int] = []
        self._aliases_possible = b"&" in stream

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and not self.yaml_path_resolvers:
            if not implicit[0]:
                return self.DEFAULT_SCALAR_TAG
            cache = _FastLoader._resolved
            tag = cache.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(cache) >= _RESOLVED_MAX:
                    cache.clear()
                cache[value] = tag
            return tag
        return super().resolve(kind, value, implicit)

    def construct_document(self, node: Any) -> Any:
        self.fast = False
        self.item_lines = _item_lines(node)
        try:
            if self._aliases_possible:
                data = self._build_shared(node, 1, {})[0]
            else:
                data = self._build(node, 1)
        except _Fallback:
            return super().construct_document(node)
        self.fast = True
        return data

    def _build(self, node: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise _Fallback
        tag = node.tag
        if type(node) is yaml.ScalarNode:
            if tag == _STR:
                return node.value
            if tag in _SCALARS:
                return self.yaml_constructors[tag](self, node)
            raise _Fallback
        if tag == _MAP and type(node) is yaml.MappingNode:
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if type(key_node) is not yaml.ScalarNode:
                    raise _Fallback  # complex keys (and their errors): PyYAML's business
                key = self._build(key_node, depth + 1)  # the key first, as PyYAML does
                out[key] = self._build(value_node, depth + 1)
            return out
        if tag == _SEQ and type(node) is yaml.SequenceNode:
            return [self._build(item, depth + 1) for item in node.value]
        raise _Fallback

    def _build_shared(
        self, node: Any, depth: int, memo: dict[int, tuple[Any, int]]
    ) -> tuple[Any, int]:
        """:meth:`_build` for a stream with anchors: an aliased mapping or sequence is
        built once and shared, as PyYAML does; returns the object and its height in
        nested containers (an alias deeper than the original must still fit)."""
        if depth > MAX_DEPTH:
            raise _Fallback
        if type(node) is yaml.ScalarNode:
            return self._build(node, depth), 0
        hit = memo.get(id(node))
        if hit is not None:
            if hit[0] is _Fallback or depth + hit[1] - 1 > MAX_DEPTH:
                raise _Fallback  # a recursive structure, or too deep here
            return hit
        memo[id(node)] = (_Fallback, 0)  # in progress
        tag = node.tag
        height = 0
        if tag == _MAP and type(node) is yaml.MappingNode:
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if type(key_node) is not yaml.ScalarNode:
                    raise _Fallback
                key = self._build(key_node, depth + 1)
                value, sub = self._build_shared(value_node, depth + 1, memo)
                out[key] = value
                height = max(height, sub)
            built: tuple[Any, int] = (out, height + 1)
        elif tag == _SEQ and type(node) is yaml.SequenceNode:
            items: list[Any] = []
            for item in node.value:
                value, sub = self._build_shared(item, depth + 1, memo)
                items.append(value)
                height = max(height, sub)
            built = (items, height + 1)
        else:
            raise _Fallback
        memo[id(node)] = built
        return built


_MARKER = re.compile(rb"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.MULTILINE)

_CORE = ("v1",)
_APPS = ("apps/v1", "apps/v1beta1", "apps/v1beta2", "extensions/v1beta1")
_RBAC = ("rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io/v1beta1")
_NET = ("networking.k8s.io/v1", "extensions/v1beta1", "networking.k8s.io/v1beta1")
#: The kinds hardhull's posture checks understand, with the API versions of their shape.
KNOWN_KINDS: Mapping[str, tuple[str, ...]] = {
    "Pod": _CORE,
    "PodTemplate": _CORE,
    "ReplicationController": _CORE,
    "Service": _CORE,
    "Namespace": _CORE,
    "ServiceAccount": _CORE,
    "ConfigMap": _CORE,
    "Secret": _CORE,
    "Deployment": _APPS,
    "StatefulSet": _APPS,
    "DaemonSet": _APPS,
    "ReplicaSet": _APPS,
    "Job": ("batch/v1",),
    "CronJob": ("batch/v1", "batch/v1beta1", "batch/v2alpha1"),
    "Ingress": _NET,
    "NetworkPolicy": ("networking.k8s.io/v1", "extensions/v1beta1"),
    "Role": _RBAC,
    "ClusterRole": _RBAC,
    "RoleBinding": _RBAC,
    "ClusterRoleBinding": _RBAC,
}


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What was read: the resources to check and what could not be checked, and why."""

    resources: tuple[Resource, ...]
    gaps: tuple[Gap, ...]
    files: int = 0
    documents: int = 0


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, dict | list))
    return False


def _labels(meta: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    labels = meta.get("labels")
    if not isinstance(labels, dict):
        return ()
    return tuple(sorted((str(k), str(v)) for k, v in labels.items()))


class _Collector:
    """Accumulates resources and gaps for one load."""

    def __init__(self) -> None:
        self.resources: list[Resource] = []
        self.gaps: list[Gap] = []
        self.documents = 0

    def gap(self, kind: str, where: str, detail: str) -> None:
        self.gaps.append(Gap(kind=kind, subject=where, detail=detail))

    def add(
        self,
        doc: Any,
        file: str,
        line: int,
        *,
        nested: bool = False,
        shallow: bool = False,
        item_lines: list[int] | None = None,
    ) -> None:
        """Keep ``doc`` (or the items of a ``List``), or record why not. ``shallow``: the
        loader has checked that it is no deeper than :data:`MAX_DEPTH` already;
        ``item_lines``: the line of each element of ``items`` (a ``List``'s members get
        their own line when the loader knows it, else the List's)."""
        where = f"{file}:{line}"
        if doc is None:
            return
        self.documents += 1
        if not isinstance(doc, dict):
            what = type(doc).__name__ if not isinstance(doc, str) else "a string"
            self.gap("not-an-object", where, f"document is {what}, not a Kubernetes object")
            return
        if not shallow and _depth_exceeds(doc, MAX_DEPTH):
            self.gap("too-deep", where, f"document nested deeper than {MAX_DEPTH} levels")
            return
        kind, api = doc.get("kind"), doc.get("apiVersion")
        if not isinstance(kind, str) or not kind or not isinstance(api, str) or not api:
            self.gap("not-a-kubernetes-object", where, "document lacks kind or apiVersion")
            return
        items = doc.get("items")
        if kind.endswith("List") and isinstance(items, list) and not nested:
            self.documents -= 1
            known = item_lines is not None and len(item_lines) == len(items)
            for i, item in enumerate(items):
                at = item_lines[i] if known and item_lines is not None else line
                self.add(item, file, at, nested=True, shallow=shallow)
            return
        meta = doc.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        name = meta.get("name") or meta.get("generateName") or "<unnamed>"
        namespace = meta.get("namespace")
        ref = ResourceRef(
            kind=kind,
            name=str(name),
            namespace=str(namespace) if namespace else None,
            api_version=api,
            file=file,
            line=line,
        )
        versions = KNOWN_KINDS.get(kind)
        if versions is None:
            self.gap("not-checked", where, f"{api} {kind} {ref.name}: no check for this kind")
            return
        if api not in versions:
            self.gap("not-checked", where, f"{api} {kind} {ref.name}: unknown API version")
            return
        self.resources.append(Resource(ref=ref, obj=doc, labels=_labels(meta)))


def _chunks(data: bytes) -> Iterator[tuple[int, bytes]]:
    """``(1-based line of the document's first content, bytes)`` per ``---`` document."""
    starts = [m.start() for m in _MARKER.finditer(data)]
    bounds = [0, *starts, len(data)]
    line = 1
    for begin, end in itertools.pairwise(bounds):
        chunk = data[begin:end]
        first = line
        for raw in chunk.splitlines():
            text = raw.strip()
            if text.startswith(b"..."):
                break
            if text and not text.startswith(b"#") and not text.startswith(b"%"):
                if text == b"---" or (text.startswith(b"--- ") and text[4:].lstrip() == b""):
                    first += 1
                    continue
                break
            first += 1
        yield first, chunk
        line += chunk.count(b"\n")


def _load_yaml(data: bytes, file: str, out: _Collector) -> None:
    offset = 1
    for first, chunk in _chunks(data):
        if chunk.startswith(b"..."):
            offset += chunk.count(b"\n")
            continue
        loader: _FastLoader | None = None
        try:
            loader = _FastLoader(chunk)
            doc = loader.get_single_data()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            at = offset + mark.line if mark is not None else first
            problem = exc.problem or exc.context or "malformed YAML"
            out.gap("malformed-yaml", f"{file}:{at}", f"malformed YAML: {problem}")
        except (yaml.YAMLError, ValueError, RecursionError) as exc:
            out.gap("malformed-yaml", f"{file}:{first}", f"malformed YAML: {exc}")
        else:
            lines = [offset + line for line in loader.item_lines]
            out.add(doc, file, first, shallow=loader.fast, item_lines=lines)
        finally:
            if loader is not None:
                loader.dispose()
        offset += chunk.count(b"\n")


def _load_bytes(data: bytes, file: str, out: _Collector) -> None:
    if len(data) > MAX_FILE_BYTES:
        out.gap("too-large", file, f"{len(data)} bytes is over the {MAX_FILE_BYTES} limit")
        return
    if file.endswith(".json") or data.lstrip()[:1] in (b"{", b"["):
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            if file.endswith(".json"):
                out.gap("malformed-json", f"{file}:{exc.lineno}", f"malformed JSON: {exc.msg}")
                return
        else:
            if isinstance(doc, list):
                for item in doc:
                    out.add(item, file, 1)
            else:
                out.add(doc, file, 1)
            return
    _load_yaml(data, file, out)


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
    return [path]


def load_bytes(data: bytes, file: str = "<stdin>") -> LoadResult:
    """Load one stream of manifests (YAML or JSON) named ``file`` in refs and gaps."""
    out = _Collector()
    with gc_paused():
        _load_bytes(data, file, out)
    return LoadResult(tuple(out.resources), tuple(out.gaps), 1, out.documents)


def load_paths(paths: Iterable[str]) -> LoadResult:
    """Load files, directories and ``-`` (standard input), in the order given."""
    out = _Collector()
    files = 0
    for name in paths:
        if name == "-":
            files += 1
            with gc_paused():
                _load_bytes(sys.stdin.buffer.read(), "<stdin>", out)
            continue
        path = Path(name)
        if not path.exists():
            raise UsageError(f"{name}: no such file or directory")
        for file in _files(path):
            files += 1
            try:
                size = file.stat().st_size
                if size > MAX_FILE_BYTES:
                    out.gap("too-large", str(file), f"{size} bytes is over the limit")
                    continue
                data = file.read_bytes()
            except OSError as exc:
                out.gap("unreadable-file", str(file), exc.strerror or str(exc))
                continue
            with gc_paused():
                _load_bytes(data, str(file), out)
    return LoadResult(tuple(out.resources), tuple(out.gaps), files, out.documents)


__all__ = ["KNOWN_KINDS", "MAX_DEPTH", "MAX_FILE_BYTES", "LoadResult", "load_bytes", "load_paths"]
