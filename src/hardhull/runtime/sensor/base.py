"""The sensor protocol every event source implements."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import orjson

from hardhull.errors import SensorError
from hardhull.model.event import Event
from hardhull.runtime.jsonio import MAX_LINE, LineReader, open_input


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


def require_kernel_access() -> None:
    """What both kernel sensors need before loading anything: root and the kernel's BTF
    (:data:`~hardhull.runtime.sensor.core_build.VMLINUX_BTF`)."""
    from hardhull.runtime.sensor.core_build import VMLINUX_BTF

    if os.geteuid() != 0:
        raise SensorError("the eBPF sensor needs root (CAP_BPF and CAP_PERFMON)")
    if not VMLINUX_BTF.exists():
        raise SensorError(f"the kernel has no BTF ({VMLINUX_BTF})")


class _Counted(Protocol):
    @property
    def lost(self) -> int: ...

    @property
    def malformed(self) -> int: ...


def decoder_stats(received: int, decoder: _Counted | None, note: str) -> SensorStats:
    """A kernel sensor's counters: ``lost`` and ``malformed`` from its decoder (none yet
    before :meth:`start`)."""
    return SensorStats(
        received=received,
        lost=decoder.lost if decoder is not None else 0,
        malformed=decoder.malformed if decoder is not None else 0,
        note=note,
    )


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


class JsonLineInput:
    """The input of a JSON-lines source: ``source`` (a path, ``-`` for stdin, or an open
    binary stream; ``.gz``/``.zst`` decompressed) read by a bounded :class:`LineReader`
    (``follow=True`` tails a growing file). :meth:`close` stops the reader and closes the
    stream when it was opened here."""

    def __init__(
        self, source: str | Path | BinaryIO, *, max_line: int = MAX_LINE, follow: bool = False
    ) -> None:
        if isinstance(source, str | Path):
            self.label = str(source)
            self.stream = open_input(source)
            self._owned = self.label != "-"
        else:
            self.label = str(getattr(source, "name", "<stream>"))
            self.stream = source
            self._owned = False
        self.reader = LineReader(self.stream, max_line=max_line, follow=follow, name=self.label)

    def close(self) -> None:
        self.reader.stop()
        if self._owned:
            self.stream.close()


class JsonLineSensor:
    """A source with one JSON object per line turned into one event by ``decode``; lines
    that are oversized, not JSON or that ``decode`` rejects with one of ``errors`` are
    counted as malformed and skipped, blank lines ignored."""

    name = "jsonl"

    def __init__(
        self,
        source: str | Path | BinaryIO,
        decode: Callable[[Any], Event],
        errors: tuple[type[Exception], ...],
        *,
        max_line: int = MAX_LINE,
        follow: bool = False,
    ) -> None:
        self._input = JsonLineInput(source, max_line=max_line, follow=follow)
        self._decode = decode
        self._errors = errors
        self.received = 0
        self.malformed = 0

    def events(self) -> Iterator[Event]:
        loads = orjson.loads
        decode = self._decode
        errors = self._errors
        for line in self._input.reader:
            if line is None:
                self.malformed += 1
                continue
            if not line.strip():
                continue
            try:
                event = decode(loads(line))
            except errors:
                self.malformed += 1
                continue
            self.received += 1
            yield event

    def stats(self) -> SensorStats:
        return SensorStats(received=self.received, malformed=self.malformed)

    def close(self) -> None:
        self._input.close()
