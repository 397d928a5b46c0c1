"""Syscall-source fields, part 3: ``container.*`` and the pod context ``k8s.*`` (from
:class:`hardhull.model.event.ContainerInfo`)."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from typing import Any

from hardhull.model.event import ContainerInfo, Event
from hardhull.runtime.fields import Extractor, Factory, memo
from hardhull.runtime.fields_define import _bool, _f, _int, derived

# --- container ---------------------------------------------------------------------------


def _c(get: Callable[[ContainerInfo], Any], raw_key: str) -> Factory:
    def factory(_a: str | None) -> Extractor:
        def ex(e: Event) -> Any:
            c = e.container
            if c is None:
                return e.fields.get(raw_key)
            v = get(c)
            return v if v not in ("", None) else e.fields.get(raw_key)

        return ex

    return factory


def _label(get: Callable[[ContainerInfo], Mapping[str, str]]) -> Factory:
    """One label by key (the field's argument) of the container's ``get`` labels."""

    def factory(arg: str | None) -> Extractor:
        key = arg or ""
        return lambda e: get(e.container).get(key) if e.container else None

    return factory


def _labels(get: Callable[[ContainerInfo], Mapping[str, str]]) -> Factory:
    """All of the container's ``get`` labels as ``key:value, ...`` (sorted)."""

    def ex(e: Event) -> Any:
        if not e.container:
            return None
        return ", ".join(f"{k}:{v}" for k, v in sorted(get(e.container).items())) or None

    return lambda _a: ex


def _mounts_of(e: Event) -> tuple[tuple[str, str, str, str, str], ...] | None:
    """The container's mounts as (source, dest, mode, rdwr, propagation) texts: from
    :attr:`ContainerInfo.mounts`, else the raw ``container.mounts`` key
    (``src:dest:mode:rdwr:propagation``, comma separated, as Falco prints it)."""
    c = e.container
    if c is not None and c.mounts:
        return tuple(
            (m.source, m.dest, m.mode, "true" if m.rw else "false", m.propagation) for m in c.mounts
        )
    m = e.fields.get("container.mounts")
    if m is None:
        return None
    items = [i for i in m.split(",") if i] if isinstance(m, str) else list(m)
    out = []
    for item in items:
        parts = [*str(item).split(":"), "", "", "", "", ""][:5]
        out.append((parts[0], parts[1], parts[2], parts[3], parts[4]))
    return tuple(out)


_mounts = memo(_mounts_of)


def _mounts_text(e: Event) -> str | None:
    m = _mounts(e)
    return None if m is None else ",".join(":".join(x) for x in m)


def _mount_factory(col: int) -> Factory:
    def factory(arg: str | None) -> Extractor:
        if arg is None:
            raise ValueError("needs an index or a path")
        key_col = 1 if col == 0 else 0
        if arg.isdigit():
            n = int(arg)

            def by_index(e: Event) -> Any:
                m = _mounts(e)
                if m is None:
                    return "<NA>"
                return m[n][col] if n < len(m) else "<NA>"

            return by_index

        def by_path(e: Event) -> Any:
            m = _mounts(e)
            if m is None:
                return "<NA>"  # as the container plugin prints "not found"
            for mount in m:
                if fnmatch.fnmatchcase(mount[key_col], arg):
                    return mount[col]
            return "<NA>"

        return by_path

    return factory


_f(
    "container.id",
    "string",
    "container id (12 hex characters; host for the host)",
    _c(lambda c: c.id, "container.id"),
)
_f("container.full_id", "string", "full container id", _c(lambda c: c.full_id, "container.full_id"))
_f("container.name", "string", "container name", _c(lambda c: c.name, "container.name"))
_f(
    "container.image",
    "string",
    "image reference the container runs",
    _c(lambda c: c.image, "container.image"),
)
_f("container.image.id", "string", "image id", _c(lambda c: c.image_id, "container.image.id"))
_f(
    "container.image.repository",
    "string",
    "image repository (without tag or digest)",
    _c(lambda c: c.image_repository, "container.image.repository"),
)
_f("container.image.tag", "string", "image tag", _c(lambda c: c.image_tag, "container.image.tag"))
_f(
    "container.image.digest",
    "string",
    "image manifest digest (sha256:...)",
    _c(lambda c: c.image_digest, "container.image.digest"),
)
_f(
    "container.type",
    "string",
    "container engine (podman, docker, containerd...)",
    _c(lambda c: c.engine, "container.type"),
)
_f(
    "container.privileged",
    "bool",
    "the container runs privileged",
    lambda _a: (
        lambda e: (
            e.container.privileged
            if e.container is not None and e.container.privileged is not None
            else _bool(e.fields.get("container.privileged"))
        )
    ),
)
_f(
    "container.start_ts",
    "abstime",
    "container start time (ns since the epoch)",
    lambda _a: (
        lambda e: (
            e.container.started_at
            if e.container is not None and e.container.started_at
            else _int(e.fields.get("container.start_ts"))
        )
    ),
)
derived(
    "container.duration",
    "reltime",
    "nanoseconds since the container started",
    lambda e: (
        e.time - e.container.started_at
        if e.container is not None and e.container.started_at
        else None
    ),
)
_f(
    "container.label",
    "string",
    "container label by key (container.label[app])",
    _label(lambda c: c.labels),
    arg="required",
    arg_doc="label key",
)
_f(
    "container.labels",
    "string",
    "container labels as key:value, comma separated",
    _labels(lambda c: c.labels),
)
_f(
    "container.mounts",
    "string",
    "container mounts (source:dest:mode:rdwr:propagation, comma separated)",
    lambda _a: _mounts_text,
)
for _n, _col, _d in (
    ("container.mount.source", 0, "mount source by index or by destination path (glob)"),
    ("container.mount.dest", 1, "mount destination by index or by source path (glob)"),
    ("container.mount.mode", 2, "mount mode by index or by source path (glob)"),
    ("container.mount.rdwr", 3, "mount read/write flag by index or by source path (glob)"),
    ("container.mount.propagation", 4, "mount propagation by index or by source path (glob)"),
):
    _f(
        _n,
        "string",
        _d + "; <NA> when not found",
        _mount_factory(_col),
        arg="required",
        arg_doc="index or path glob",
    )
_f(
    "container.mount",
    "string",
    "one mount (source:dest:mode:rdwr:propagation) by index or source path (glob)",
    lambda arg: _mount_whole(arg),
    arg="required",
    arg_doc="index or path glob",
)


def _mount_whole(arg: str | None) -> Extractor:
    if arg is None:
        raise ValueError("needs an index or a path")

    if arg.isdigit():
        n = int(arg)

        def by_index(e: Event) -> Any:
            m = _mounts(e)
            return ":".join(m[n]) if m is not None and n < len(m) else None

        return by_index

    def by_path(e: Event) -> Any:
        for mount in _mounts(e) or ():
            if fnmatch.fnmatchcase(mount[0], arg):
                return ":".join(mount)
        return None

    return by_path


# --- k8s (pod context of the container) ------------------------------------------------


_f(
    "k8s.ns.name",
    "string",
    "Kubernetes namespace of the pod",
    _c(lambda c: c.pod_namespace, "k8s.ns.name"),
)
_f("k8s.pod.name", "string", "Kubernetes pod name", _c(lambda c: c.pod_name, "k8s.pod.name"))
_f("k8s.pod.uid", "string", "Kubernetes pod uid", _c(lambda c: c.pod_uid, "k8s.pod.uid"))
_f(
    "k8s.pod.id",
    "string",
    "Kubernetes pod uid (legacy name)",
    _c(lambda c: c.pod_uid, "k8s.pod.id"),
)
_f(
    "k8s.pod.label",
    "string",
    "pod label by key (k8s.pod.label[app])",
    _label(lambda c: c.pod_labels),
    arg="required",
    arg_doc="label key",
)
_f(
    "k8s.pod.labels",
    "string",
    "pod labels as key:value, comma separated",
    _labels(lambda c: c.pod_labels),
)
