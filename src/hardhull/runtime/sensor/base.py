"""The sensor protocol every event source implements."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

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
