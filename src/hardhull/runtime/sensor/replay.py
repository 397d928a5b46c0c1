"""JSONL recording and replay of events (``--record`` of the sensors, tests, benchmarks).

One :class:`~hardhull.model.event.Event` per line::

    {"source": "syscall", "type": "openat", "time": 1718000000123456789,
     "fields": {"proc.name": "cat", "proc.args": ["/etc/shadow"], "fd.name": "/etc/shadow",
                "proc.ancestors": [{"pid": 10, "name": "bash", "exe": "bash",
                                    "exepath": "/usr/bin/bash", "args": []}]},
     "container": {"id": "3f2a9c1b7d0e", "name": "web", "image_digest": "sha256:..."}}

``time`` is an integer (ns since the epoch) or an RFC 3339 string. ``container`` is an
object of :class:`~hardhull.model.event.ContainerInfo` fields (unknown keys ignored) or
``null``. In ``fields``, JSON lists become tuples (``proc.args``, ``proc.env``,
``thread.cap_*``...) and ``proc.ancestors`` becomes a tuple of
:class:`~hardhull.model.event.ProcInfo`; objects (``jevt.value``) stay as parsed.
A line that does not decode is counted in ``SensorStats.malformed`` and skipped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, BinaryIO

import orjson

from hardhull.model.event import ContainerInfo, Event, ProcInfo
from hardhull.runtime.jsonio import MAX_LINE, parse_time_ns
from hardhull.runtime.sensor.base import JsonLineSensor


class DecodeError(ValueError):
    """A record is not a valid event."""


_CONTAINER_KEYS = frozenset(f.name for f in dataclasses.fields(ContainerInfo))
_CONTAINER_STR = frozenset(
    f.name for f in dataclasses.fields(ContainerInfo) if f.type in ("str", str)
)
_MAPPING_KEYS = ("labels", "pod_labels")


def _default(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, frozenset | set):
        return sorted(obj)
    raise TypeError(f"cannot encode {type(obj).__name__}")


def container_to_json(info: ContainerInfo) -> dict[str, Any]:
    """The non-default fields of ``info`` as a JSON-ready dict (``id`` always)."""
    out: dict[str, Any] = {"id": info.id}
    for f in dataclasses.fields(ContainerInfo):
        value = getattr(info, f.name)
        if f.name == "id" or value == f.default or (f.name in _MAPPING_KEYS and not value):
            continue
        out[f.name] = dict(value) if f.name in _MAPPING_KEYS else value
    return out


def event_to_json(event: Event) -> bytes:
    """One recording line (no trailing newline) for ``event``."""
    doc = {
        "source": event.source,
        "type": event.type,
        "time": event.time,
        "fields": event.fields,
        "container": container_to_json(event.container) if event.container else None,
    }
    return orjson.dumps(doc, default=_default)


def _ancestor(obj: Any) -> ProcInfo:
    if type(obj) is not dict:
        raise DecodeError("proc.ancestors entries must be objects")
    get = obj.get
    pid = get("pid")
    name = get("name", "")
    exe = get("exe", "")
    exepath = get("exepath", "")
    args = get("args") or ()
    if type(pid) is not int:
        raise DecodeError("proc.ancestors entry without an integer pid")
    if type(name) is not str or type(exe) is not str or type(exepath) is not str:
        raise DecodeError("proc.ancestors name/exe/exepath must be strings")
    if type(args) is not list and type(args) is not tuple:
        raise DecodeError("proc.ancestors args must be a list of strings")
    for arg in args:
        if type(arg) is not str:
            raise DecodeError("proc.ancestors args must be a list of strings")
    return ProcInfo(pid, name, exe, exepath, tuple(args))


def decode_fields(raw: Any) -> dict[str, Any]:
    """``fields`` of a recording line, lists turned into the tuples the contract says."""
    if type(raw) is not dict:
        raise DecodeError("'fields' must be an object")
    for key in [k for k, v in raw.items() if type(v) is list]:
        value = raw[key]
        if key == "proc.ancestors":
            raw[key] = tuple([_ancestor(a) for a in value])
        else:
            raw[key] = tuple(value)
    return raw


def container_from_json(obj: Any) -> ContainerInfo:
    """A :class:`ContainerInfo` from its JSON object (unknown keys ignored)."""
    if not isinstance(obj, dict):
        raise DecodeError("'container' must be an object or null")
    cid = obj.get("id")
    if not isinstance(cid, str) or not cid:
        raise DecodeError("container without an 'id' string")
    kwargs: dict[str, Any] = {}
    for key, value in obj.items():
        if key not in _CONTAINER_KEYS or value is None:
            continue
        if key in _CONTAINER_STR and not isinstance(value, str):
            raise DecodeError(f"container.{key} must be a string")
        if key in _MAPPING_KEYS:
            if not isinstance(value, dict):
                raise DecodeError(f"container.{key} must be an object")
            value = MappingProxyType({str(k): str(v) for k, v in value.items()})
        elif key == "started_at" and (not isinstance(value, int) or isinstance(value, bool)):
            raise DecodeError("container.started_at must be an integer")
        elif key == "privileged" and not isinstance(value, bool):
            raise DecodeError("container.privileged must be a boolean")
        kwargs[key] = value
    return ContainerInfo(**kwargs)


def decode_time(value: Any) -> int:
    """An event time: integer ns, or an RFC 3339 string."""
    if type(value) is int:
        return value
    if isinstance(value, str):
        try:
            return parse_time_ns(value)
        except ValueError as exc:
            raise DecodeError(str(exc)) from exc
    raise DecodeError("'time' must be integer nanoseconds or an RFC 3339 string")


class EventDecoder:
    """:func:`event_from_json` with a cache that shares one :class:`ContainerInfo` per
    distinct container object (replayed streams repeat the same few containers)."""

    def __init__(self, cache_size: int = 4096) -> None:
        self._containers: dict[str, tuple[dict[str, Any], ContainerInfo]] = {}
        self._cache_size = cache_size

    def container(self, obj: Any) -> ContainerInfo | None:
        if obj is None:
            return None
        if type(obj) is dict:
            cid = obj.get("id")
            if type(cid) is str:
                hit = self._containers.get(cid)
                if hit is not None and hit[0] == obj:
                    return hit[1]
                info = container_from_json(obj)
                if len(self._containers) >= self._cache_size:
                    self._containers.clear()
                self._containers[cid] = (obj, info)
                return info
        return container_from_json(obj)

    def decode(self, obj: Any) -> Event:
        """An :class:`Event` from a parsed recording line; :class:`DecodeError` if invalid."""
        if type(obj) is not dict:
            raise DecodeError("an event must be a JSON object")
        source = obj.get("source")
        etype = obj.get("type")
        if type(source) is not str or not source:
            raise DecodeError("'source' must be a non-empty string")
        if type(etype) is not str or not etype:
            raise DecodeError("'type' must be a non-empty string")
        return Event(
            source=source,
            type=etype,
            time=decode_time(obj.get("time")),
            fields=decode_fields(obj.get("fields", {})),
            container=self.container(obj.get("container")),
        )


def event_from_json(obj: Any) -> Event:
    """An :class:`Event` from a parsed recording line (a dict); :class:`DecodeError`
    (a ``ValueError``) when it is not one."""
    return EventDecoder().decode(obj)


class ReplaySensor(JsonLineSensor):
    """Events from a JSONL recording (a path, ``-`` for stdin, or an open binary stream;
    ``.gz``/``.zst`` decompressed). Malformed and oversized lines are counted and skipped."""

    name = "replay"

    def __init__(
        self, source: str | Path | BinaryIO, *, max_line: int = MAX_LINE, follow: bool = False
    ) -> None:
        super().__init__(
            source,
            EventDecoder().decode,
            (orjson.JSONDecodeError, DecodeError, TypeError),
            max_line=max_line,
            follow=follow,
        )
