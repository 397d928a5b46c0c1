"""Proc connector message framing (pure struct work)."""

from __future__ import annotations

import struct

import pytest

from hardhull.runtime.sensor.procconn import (
    PROC_EVENT_EXEC,
    PROC_EVENT_EXIT,
    parse_messages,
    subscribe_message,
)


def _msg(what: int, payload: bytes) -> bytes:
    ev = struct.pack("=IIQ", what, 0, 123) + payload
    cn = struct.pack("=IIIIHH", 1, 1, 0, 0, len(ev), 0) + ev
    return struct.pack("=IHHII", 16 + len(cn), 3, 0, 0, 0) + cn


def test_exec_and_exit() -> None:
    data = _msg(PROC_EVENT_EXEC, struct.pack("=II", 10, 10))
    data += _msg(PROC_EVENT_EXIT, struct.pack("=IIII", 10, 10, 256, 17))
    got = list(parse_messages(data))
    assert got == [(PROC_EVENT_EXEC, 123, (10, 10)), (PROC_EVENT_EXIT, 123, (10, 10, 256, 17))]


def test_truncated_raises() -> None:
    data = _msg(PROC_EVENT_EXEC, struct.pack("=II", 10, 10))
    with pytest.raises((ValueError, struct.error)):
        list(parse_messages(data[:-12] + struct.pack("=I", 0)[:0]))


def test_subscribe_message_layout() -> None:
    msg = subscribe_message(1)
    length, mtype = struct.unpack_from("=IH", msg)
    assert length == len(msg) == 16 + 20 + 4 and mtype == 3
