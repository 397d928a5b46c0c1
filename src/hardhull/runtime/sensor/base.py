"""The sensor protocol every event source implements."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from hardhull.model.event import Event


@dataclass(frozen=True, slots=True)
class SensorStats:
    """Counters a source reports: ``received`` events delivered, ``lost`` events the
    kernel or transport dropped (ring buffer full, netlink ENOBUFS...), ``malformed``
    records that could not be decoded and were skipped. Never silent."""

    received: int = 0
    lost: int = 0
    malformed: int = 0
    note: str = ""


class Sensor(Protocol):
    """An event source. ``events()`` yields until the source ends or :meth:`close`."""

    name: str

    def events(self) -> Iterator[Event]: ...

    def stats(self) -> SensorStats: ...

    def close(self) -> None: ...


def stop_child(proc: subprocess.Popen[Any] | None, timeout: float = 10.0) -> None:
    """Terminate a helper process (loader, bpftrace, API service) and reap it; SIGKILL
    when it does not stop within ``timeout`` seconds."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
