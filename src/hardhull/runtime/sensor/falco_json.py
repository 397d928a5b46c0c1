"""Falco's JSON output (``json_output: true``) as an event source.

Each line is one Falco alert::

    {"hostname": "node-1", "output": "... sensitive file opened ...", "priority": "Warning",
     "rule": "Read sensitive file untrusted", "source": "syscall",
     "tags": ["filesystem", "mitre_credential_access"],
     "time": "2024-06-10T09:12:44.123456789Z",
     "output_fields": {"evt.type": "openat", "fd.name": "/etc/shadow", "proc.name": "cat",
                       "container.id": "3f2a9c1b7d0e", ...}}

and becomes an :class:`~hardhull.model.event.Event` with ``source`` from the alert
(``syscall`` when absent), ``type`` from ``output_fields["evt.type"]`` (``falco`` when the
alert does not print it), ``time`` from ``time`` (or ``evt.time``), and ``fields`` =
``output_fields`` with ``null``/``<NA>`` values dropped (absent), numeric strings turned
into numbers where the field table says the field is numeric, ``proc.args`` /
``thread.cap_*`` / ``proc.env`` split into tuples (the raw-field contract), and
``proc.args`` derived from ``proc.cmdline`` when only the latter was printed. The original
alert is kept under ``falco.rule``, ``falco.priority``, ``falco.tags`` (tuple),
``falco.hostname`` and ``falco.output``. ``container.*`` and ``k8s.*`` output fields
become the event's :class:`~hardhull.model.event.ContainerInfo`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

import orjson

from hardhull.model.event import ContainerInfo, Event
from hardhull.runtime.jsonio import MAX_LINE, parse_time_ns
from hardhull.runtime.sensor.base import JsonLineSensor

_SPLIT_FIELDS = ("proc.args", "proc.env", "thread.cap_effective", "thread.cap_permitted")

_CONTAINER_MAP = {
    "container.id": "id",
    "container.full_id": "full_id",
    "container.name": "name",
    "container.image": "image",
    "container.image.repository": "image_repository",
    "container.image.tag": "image_tag",
    "container.image.digest": "image_digest",
    "container.image.id": "image_id",
    "container.type": "engine",
    "k8s.pod.name": "pod_name",
    "k8s.ns.name": "pod_namespace",
    "k8s.pod.uid": "pod_uid",
}


class FalcoLineError(ValueError):
    """A line is not a Falco JSON alert."""


def _numeric(name: str) -> bool:
    """True when the field table (if present) says ``name`` is numeric."""
    try:
        from hardhull.runtime import fields as table
    except ImportError:  # pragma: no cover - the field table is part of the package
        return False
    try:
        found = table.lookup(name)
    except Exception:
        return False
    return found is not None and found[0].type in table.NUMERIC_TYPES


class FalcoAlertDecoder:
    """Turns parsed Falco alert objects into events (memoises per-field conversions)."""

    def __init__(self) -> None:
        self._numeric: dict[str, bool] = {}

    def _is_numeric(self, name: str) -> bool:
        hit = self._numeric.get(name)
        if hit is None:
            hit = self._numeric[name] = _numeric(name)
        return hit

    def _value(self, name: str, value: Any) -> Any:
        if isinstance(value, str):
            if name in _SPLIT_FIELDS:
                return tuple(value.split())
            if self._is_numeric(name):
                try:
                    return int(value)
                except ValueError:
                    return value
        elif isinstance(value, list):
            return tuple(value)
        return value

    def decode(self, obj: Any) -> Event:
        if not isinstance(obj, dict):
            raise FalcoLineError("a Falco alert must be a JSON object")
        rule = obj.get("rule")
        if not isinstance(rule, str):
            raise FalcoLineError("no 'rule' string: not a Falco JSON alert")
        out_fields = obj.get("output_fields") or {}
        if not isinstance(out_fields, dict):
            raise FalcoLineError("'output_fields' must be an object")
        fields: dict[str, Any] = {}
        for name, value in out_fields.items():
            if value is None or value == "<NA>":
                continue
            fields[name] = self._value(name, value)
        if "proc.args" not in fields and isinstance(fields.get("proc.cmdline"), str):
            fields["proc.args"] = tuple(fields["proc.cmdline"].split()[1:])
        fields["falco.rule"] = rule
        for key in ("priority", "hostname", "output"):
            value = obj.get(key)
            if isinstance(value, str):
                fields[f"falco.{key}"] = value
        tags = obj.get("tags")
        if isinstance(tags, list):
            fields["falco.tags"] = tuple(str(t) for t in tags)
        source = obj.get("source") or "syscall"
        if not isinstance(source, str):
            raise FalcoLineError("'source' must be a string")
        etype = fields.get("evt.type")
        return Event(
            source=source,
            type=etype if isinstance(etype, str) and etype else "falco",
            time=self._time(obj, fields),
            fields=fields,
            container=_container(fields),
        )

    @staticmethod
    def _time(obj: dict[str, Any], fields: dict[str, Any]) -> int:
        stamp = obj.get("time")
        if isinstance(stamp, str):
            try:
                return parse_time_ns(stamp)
            except ValueError as exc:
                raise FalcoLineError(str(exc)) from exc
        evt_time = fields.get("evt.time")
        if isinstance(evt_time, int) and not isinstance(evt_time, bool):
            return evt_time
        raise FalcoLineError("no 'time' (RFC 3339) nor integer 'evt.time'")


def _container(fields: dict[str, Any]) -> ContainerInfo | None:
    cid = fields.get("container.id")
    if not isinstance(cid, str) or not cid:
        return None
    kwargs: dict[str, Any] = {}
    for name, attr in _CONTAINER_MAP.items():
        value = fields.get(name)
        if isinstance(value, str) and value:
            kwargs[attr] = value
    privileged = fields.get("container.privileged")
    if isinstance(privileged, bool):
        kwargs["privileged"] = privileged
    elif privileged in ("true", "false"):
        kwargs["privileged"] = privileged == "true"
    if "image" not in kwargs and "image_repository" in kwargs:
        tag = kwargs.get("image_tag")
        kwargs["image"] = kwargs["image_repository"] + (f":{tag}" if tag else "")
    if cid == "host":
        kwargs.setdefault("name", "host")
    return ContainerInfo(**kwargs)


def falco_event_from_json(obj: Any) -> Event:
    """One Falco JSON alert (parsed) as an :class:`Event`; ``ValueError`` when it is not."""
    return FalcoAlertDecoder().decode(obj)


class FalcoJsonSensor(JsonLineSensor):
    """Events from Falco JSON output: a file, ``-`` (stdin) or an open binary stream;
    ``follow=True`` keeps reading a growing file until :meth:`close`."""

    name = "falco"

    def __init__(
        self, source: str | Path | BinaryIO, *, follow: bool = False, max_line: int = MAX_LINE
    ) -> None:
        super().__init__(
            source,
            FalcoAlertDecoder().decode,
            (orjson.JSONDecodeError, ValueError, TypeError),
            max_line=max_line,
            follow=follow,
        )
