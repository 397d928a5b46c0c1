"""Kubernetes audit.k8s.io/v1 records from audit logs and EventList documents."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from hardhull.errors import SensorError
from hardhull.runtime.sensor.k8s_audit import (
    AuditDecoder,
    AuditRecordError,
    K8sAuditFileSensor,
)

from .samples import event_list, pod_create_privileged, pod_exec, secret_get


def test_records_become_events() -> None:
    decoder = AuditDecoder()
    events = decoder.decode(event_list(pod_create_privileged(), pod_exec(), secret_get()))
    assert [e.source for e in events] == ["k8s_audit"] * 3
    assert [e.type for e in events] == ["k8s_audit"] * 3
    assert events[0].time == 1718011200140000000  # stageTimestamp
    assert events[0].container is None
    pod = events[0].fields["jevt.value"]
    assert pod["requestObject"]["spec"]["containers"][0]["securityContext"]["privileged"]
    assert events[1].fields["jevt.value"]["objectRef"]["subresource"] == "exec"
    assert events[2].fields["jevt.value"]["objectRef"]["resource"] == "secrets"
    assert (decoder.received, decoder.malformed, decoder.filtered) == (3, 0, 0)


def test_stage_filter_and_all_stages() -> None:
    records = [pod_create_privileged("RequestReceived"), pod_create_privileged()]
    only = AuditDecoder()
    assert len(only.decode(event_list(*records))) == 1
    assert only.filtered == 1
    every = AuditDecoder(all_stages=True)
    assert [e.fields["jevt.value"]["stage"] for e in every.decode(event_list(*records))] == [
        "RequestReceived",
        "ResponseComplete",
    ]


def test_request_received_time_when_no_stage_timestamp() -> None:
    rec = secret_get()
    del rec["stageTimestamp"]
    (event,) = AuditDecoder().decode(rec)
    assert event.time == 1718011200123456000


def test_malformed_records_are_counted() -> None:
    bad_stage = {**secret_get(), "stage": "Whenever"}
    no_verb = {k: v for k, v in secret_get().items() if k != "verb"}
    bad_time = {**secret_get(), "stageTimestamp": "noon", "requestReceivedTimestamp": None}
    wrong_kind = {**secret_get(), "kind": "Pod"}
    decoder = AuditDecoder()
    doc = event_list(secret_get(), bad_stage, no_verb, bad_time, wrong_kind)
    doc["items"].append("a string")
    assert len(decoder.decode(doc)) == 1
    assert decoder.malformed == 5


@pytest.mark.parametrize(
    "body", [b"{not json", b"[]", b'{"kind": "Pod"}', b'{"kind": "EventList", "items": 3}']
)
def test_bad_bodies(body: bytes) -> None:
    with pytest.raises(AuditRecordError):
        AuditDecoder().decode_body(body)


def test_json_lines_log(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    lines = [
        orjson.dumps(pod_create_privileged("RequestReceived")),
        orjson.dumps(pod_create_privileged()),
        b"garbage",
        orjson.dumps(pod_exec()),
        orjson.dumps(event_list(secret_get())),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    sensor = K8sAuditFileSensor(path)
    verbs = [e.fields["jevt.value"]["verb"] for e in sensor.events()]
    sensor.close()
    assert verbs == ["create", "create", "get"]
    stats = sensor.stats()
    assert (stats.received, stats.malformed) == (3, 1)
    assert "1 records of other stages" in stats.note


def test_pretty_printed_event_list_document(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    doc = event_list(pod_create_privileged(), secret_get())
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    sensor = K8sAuditFileSensor(path)
    assert len(list(sensor.events())) == 2
    sensor.close()
    small = K8sAuditFileSensor(path, max_document=100)
    with pytest.raises(SensorError, match="larger than 100 bytes"):
        list(small.events())
    small.close()
