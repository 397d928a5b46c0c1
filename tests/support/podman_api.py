"""A real ``podman system service`` on a temporary socket for integration tests.

Started through hardhull's own :func:`~hardhull.runtime.engines.start_podman_service`
(the same start-and-ping loop ``runtime watch --start-podman-service`` uses), with the
service's stderr kept in ``service.log`` next to the socket so a failed start says why.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from tests.support.imagekit import require

from hardhull.errors import SensorError
from hardhull.runtime.engines import start_podman_service
from hardhull.runtime.sensor.base import stop_child


def start_service(sock: Path) -> subprocess.Popen[bytes]:
    """Start a service on ``sock`` (nothing may answer there yet); fails the test with the
    service's log when it exits or does not answer within 30 s."""
    log = sock.parent / "service.log"

    def popen(args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        kwargs["stderr"] = log.open("wb")
        return subprocess.Popen(args, **kwargs)

    try:
        proc = start_podman_service(sock, popen=popen)
    except SensorError as exc:
        pytest.fail(f"{exc}: {log.read_text() if log.exists() else ''}")
    assert proc is not None, f"something already answers on {sock}"
    return proc


def stop_service(proc: subprocess.Popen[bytes]) -> None:
    """Stop it the way the watch stops the service it started (SIGTERM, SIGKILL after 15 s)."""
    stop_child(proc, timeout=15)


@contextmanager
def podman_service(folder: Path) -> Iterator[Path]:
    """A service on ``folder/podman.sock`` for the block; stopped afterwards."""
    require("podman")
    sock = folder / "podman.sock"
    proc = start_service(sock)
    try:
        yield sock
    finally:
        stop_service(proc)
