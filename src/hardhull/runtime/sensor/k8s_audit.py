"""Kubernetes audit events (``audit.k8s.io/v1``) as an event source.

Input, either:

* the API server's log backend in JSON format: one audit ``Event`` object per line
  (``--audit-log-path`` with ``--audit-log-format=json``); a line may also hold a whole
  ``EventList``;
* one ``EventList`` document (pretty-printed JSON allowed), as the webhook backend posts
  it, up to ``max_document`` bytes.

Each audit record becomes ``Event(source="k8s_audit", type="k8s_audit",
time=<stageTimestamp, else requestReceivedTimestamp, in ns>, fields={"jevt.value":
record})``; the ``ka.*``/``jevt.*`` extractors of the field table read the record.
Only the ``ResponseComplete`` stage is kept by default (as Falco's k8saudit plugin does,
so one request gives one event); ``all_stages=True`` keeps ``RequestReceived``,
``ResponseStarted`` and ``Panic`` too. Records of other stages are counted as
``filtered``; records that are not audit events are counted as malformed and skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from hardhull.errors import SensorError
from hardhull.model.event import Event
from hardhull.runtime.jsonio import MAX_LINE, parse_time_ns
from hardhull.runtime.sensor.base import JsonLineInput, SensorStats

SOURCE = "k8s_audit"
STAGES = ("RequestReceived", "ResponseStarted", "ResponseComplete", "Panic")
_API_VERSIONS = ("audit.k8s.io/v1", "audit.k8s.io/v1beta1")

#: Largest whole EventList document read from a file (bytes).
MAX_DOCUMENT = 256 << 20


class AuditRecordError(ValueError):
    """An object is not a Kubernetes audit Event / EventList."""


def record_time_ns(record: dict[str, Any]) -> int:
    """``stageTimestamp`` (else ``requestReceivedTimestamp``) in ns since the epoch."""
    for key in ("stageTimestamp", "requestReceivedTimestamp"):
        value = record.get(key)
        if isinstance(value, str) and value:
            try:
                return parse_time_ns(value)
            except ValueError as exc:
                raise AuditRecordError(f"{key}: {exc}") from exc
    raise AuditRecordError("no stageTimestamp nor requestReceivedTimestamp")


def _check_record(record: Any) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise AuditRecordError("an audit event must be a JSON object")
    kind = record.get("kind", "Event")
    if kind != "Event":
        raise AuditRecordError(f"kind {kind!r} is not an audit Event")
    api = record.get("apiVersion")
    if api is not None and api not in _API_VERSIONS:
        raise AuditRecordError(f"apiVersion {api!r} is not audit.k8s.io/v1")
    stage = record.get("stage")
    if stage not in STAGES:
        raise AuditRecordError(f"unknown stage {stage!r}")
    if not isinstance(record.get("verb"), str):
        raise AuditRecordError("no 'verb' string")
    return record


class AuditDecoder:
    """Audit records (or EventLists) to events, with counters."""

    def __init__(self, *, all_stages: bool = False) -> None:
        self.all_stages = all_stages
        self.received = 0
        self.malformed = 0
        self.filtered = 0

    def record_event(self, record: Any) -> Event | None:
        """The event for one audit record; ``None`` when its stage is filtered out.
        Raises :class:`AuditRecordError` when it is not an audit record."""
        rec = _check_record(record)
        if not self.all_stages and rec["stage"] != "ResponseComplete":
            return None
        return Event(
            source=SOURCE, type=SOURCE, time=record_time_ns(rec), fields={"jevt.value": rec}
        )

    def decode(self, doc: Any) -> list[Event]:
        """The events of one Event or EventList object; counts malformed/filtered."""
        if isinstance(doc, dict) and doc.get("kind") == "EventList":
            items = doc.get("items")
            if items is None:
                return []
            if not isinstance(items, list):
                self.malformed += 1
                return []
            records: list[Any] = items
        else:
            records = [doc]
        out: list[Event] = []
        for record in records:
            try:
                event = self.record_event(record)
            except AuditRecordError:
                self.malformed += 1
                continue
            if event is None:
                self.filtered += 1
                continue
            out.append(event)
        self.received += len(out)
        return out

    def decode_body(self, body: bytes) -> list[Event]:
        """Events of an HTTP body / document; :class:`AuditRecordError` when it is not an
        Event or EventList at all (bad JSON, wrong kind)."""
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise AuditRecordError(f"not JSON: {exc}") from exc
        if not isinstance(doc, dict) or doc.get("kind", "Event") not in ("Event", "EventList"):
            raise AuditRecordError("expected an audit.k8s.io/v1 EventList or Event")
        if doc.get("kind") == "EventList" and not isinstance(doc.get("items", []), list):
            raise AuditRecordError("EventList 'items' must be a list")
        return self.decode(doc)


class K8sAuditFileSensor:
    """Audit events from a JSON-lines audit log or an EventList document (path, ``-`` or
    an open binary stream; ``.gz``/``.zst`` decompressed; ``follow=True`` tails a growing
    log)."""

    name = "k8s_audit"

    def __init__(
        self,
        source: str | Path | BinaryIO,
        *,
        all_stages: bool = False,
        follow: bool = False,
        max_line: int = MAX_LINE,
        max_document: int = MAX_DOCUMENT,
    ) -> None:
        self._input = JsonLineInput(source, max_line=max_line, follow=follow)
        self.max_document = max_document
        self.decoder = AuditDecoder(all_stages=all_stages)

    def events(self) -> Iterator[Event]:
        decoder = self.decoder
        first = True
        for line in self._input.reader:
            if line is None:
                decoder.malformed += 1
                first = False
                continue
            if not line.strip():
                continue
            try:
                doc = orjson.loads(line)
            except orjson.JSONDecodeError:
                if first and line.lstrip()[:1] in (b"{", b"["):
                    yield from self._whole_document(line)
                    return
                decoder.malformed += 1
                continue
            finally:
                first = False
            yield from decoder.decode(doc)

    def _whole_document(self, head: bytes) -> Iterator[Event]:
        """The first line did not parse alone: read the input as one JSON document."""
        parts = [head]
        size = len(head)
        while True:
            chunk = self._input.stream.read(1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > self.max_document:
                raise SensorError(
                    f"{self._input.label}: JSON document larger than {self.max_document} bytes; "
                    "write audit events as JSON lines instead"
                )
            parts.append(chunk)
        try:
            doc = orjson.loads(b"".join(parts))
        except orjson.JSONDecodeError:
            self.decoder.malformed += 1
            return
        if isinstance(doc, list):
            for item in doc:
                yield from self.decoder.decode(item)
        else:
            yield from self.decoder.decode(doc)

    def stats(self) -> SensorStats:
        d = self.decoder
        note = f"{d.filtered} records of other stages skipped" if d.filtered else ""
        return SensorStats(received=d.received, malformed=d.malformed, note=note)

    def close(self) -> None:
        self._input.close()
