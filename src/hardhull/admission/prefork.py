"""Pre-forked admission server workers sharing one listening socket, replaced when asked.

The parent binds the socket and compiles the policies once, then forks ``workers``
children that each run their own event loop on that socket (the kernel spreads accepted
connections over them); the compiled policies are shared copy-on-write. The parent
forwards SIGTERM/SIGINT to the children and, when one dies unexpectedly, stops the others
and exits non-zero, so the orchestrator (Kubernetes) restarts the pod.

A worker can ask to be replaced (its memory or request count passed the configured bound,
see :mod:`hardhull.admission.recycle`) by writing its pid to a pipe: the parent forks the
replacement first (connections wait in the shared socket's backlog until it accepts),
then sends the old one SIGUSR1: it stops accepting, drains (see
``AdmissionApp._retire``) and exits; it is killed if it has not gone after
:data:`RETIRE_GRACE_S`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import socket
import struct
import sys
import time
from collections.abc import Callable
from types import FrameType

from hardhull.asgi import listen_socket
from hardhull.errors import UsageError

log = logging.getLogger("hardhull.admission")

Retire = Callable[[], None]
Serve = Callable[[list[socket.socket], Retire], None]
RETIRE_GRACE_S = 30.0
_PID = struct.Struct("=i")


def bind(address: str, port: int) -> socket.socket:
    """A listening TCP socket, inheritable by the workers."""
    try:
        sock = listen_socket(address, port)
    except OSError as exc:
        raise UsageError(f"cannot listen on {address}:{port} ({exc.strerror})") from None
    sock.set_inheritable(True)
    return sock


class _Supervisor:
    def __init__(self, sock: socket.socket, serve: Serve) -> None:
        self.sock = sock
        self.serve = serve
        self.asks_r, self.asks_w = os.pipe()
        self.alive: set[int] = set()
        self.retiring: dict[int, float] = {}  # pid -> kill deadline
        self.stopping = False
        self.failed = False

    def spawn(self) -> int:
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                os.close(self.asks_r)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGUSR1, signal.SIG_IGN)  # the app handles it once up
                self.serve([self.sock], self._retire)
            except BaseException:
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                sys.stderr.flush()
                os._exit(code)
        self.alive.add(pid)
        return pid

    def _retire(self) -> None:
        """(In a worker) ask the parent for a replacement."""
        with contextlib.suppress(OSError):
            os.write(self.asks_w, _PID.pack(os.getpid()))

    def forward(self, signum: int, _frame: FrameType | None = None) -> None:
        self.stopping = True
        for child in self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signum)

    def _replace(self, data: bytes) -> None:
        for (pid,) in _PID.iter_unpack(data[: len(data) - len(data) % _PID.size]):
            if self.stopping or pid not in self.alive or pid in self.retiring:
                continue
            new = self.spawn()
            log.info("admission worker %d replaced by %d", pid, new)
            self.retiring[pid] = time.monotonic() + RETIRE_GRACE_S
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGUSR1)

    def _reap(self) -> None:
        while self.alive:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.alive.clear()
                return
            if pid == 0:
                return
            self.alive.discard(pid)
            if self.retiring.pop(pid, None) is not None:
                continue
            if not self.stopping and self.alive:
                self.failed = True
                self.forward(signal.SIGTERM)
            elif os.waitstatus_to_exitcode(status) not in (0, -signal.SIGTERM, -signal.SIGINT):
                self.failed = True

    def run(self, workers: int) -> None:
        for _ in range(workers):
            self.spawn()
        while self.alive:
            ready, _, _ = select.select([self.asks_r], [], [], 0.2)
            if ready:
                self._replace(os.read(self.asks_r, 4096))
            now = time.monotonic()
            for pid, deadline in list(self.retiring.items()):
                if now > deadline:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            self._reap()


def run_workers(address: str, port: int, workers: int, serve: Serve) -> None:
    """Run ``workers`` processes doing ``serve([sock], retire)``; return when all stopped."""
    sock = bind(address, port)
    sup = _Supervisor(sock, serve)
    signal.signal(signal.SIGTERM, sup.forward)
    signal.signal(signal.SIGINT, sup.forward)
    try:
        sup.run(workers)
    finally:
        sock.close()
        os.close(sup.asks_r)
        os.close(sup.asks_w)
    if sup.failed:
        raise UsageError("an admission worker process stopped unexpectedly; all were stopped")
