"""Pre-forked admission server workers sharing one listening socket.

The parent binds the socket and compiles the policies once, then forks ``workers``
children that each run their own event loop on that socket (the kernel spreads accepted
connections over them); the compiled policies are shared copy-on-write. The parent
forwards SIGTERM/SIGINT to the children and, when one dies unexpectedly, stops the others
and exits non-zero, so the orchestrator (Kubernetes) restarts the pod.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from collections.abc import Callable
from types import FrameType

from hardhull.errors import UsageError

Serve = Callable[[list[socket.socket]], None]


def bind(address: str, port: int) -> socket.socket:
    """A listening TCP socket, inheritable by the workers."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {address}:{port} ({exc.strerror})") from None
    sock.set_inheritable(True)
    return sock


def run_workers(address: str, port: int, workers: int, serve: Serve) -> None:
    """Fork ``workers`` processes running ``serve([sock])``; return when all stopped."""
    sock = bind(address, port)
    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                serve([sock])
            except BaseException:
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                sys.stderr.flush()
                os._exit(code)
        children.append(pid)
    sock.close()
    stopping = False

    def forward(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    failed = False
    alive = set(children)
    while alive:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        alive.discard(pid)
        if not stopping and alive:
            failed = True
            forward(signal.SIGTERM, None)
        elif os.waitstatus_to_exitcode(status) not in (0, -signal.SIGTERM, -signal.SIGINT):
            failed = True
    if failed:
        raise UsageError("an admission worker process stopped unexpectedly; all were stopped")
