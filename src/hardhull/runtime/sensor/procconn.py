"""Fallback sensor: the netlink proc connector (exec, exit, fork) in pure Python.

The kernel tells us *that* a pid exec'd, forked or exited; argv, exe path, uid and
cgroup are read from ``/proc/<pid>`` right after the notification. A process that is
already gone by then (very short-lived) yields an exec event with only its pid and is
counted in ``partial``. Socket overruns (``ENOBUFS``) are counted as lost: the kernel
does not say how many notifications were dropped, so each overrun counts one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import socket
import struct
import time
from collections.abc import Iterator
from typing import Any

from hardhull.errors import SensorError
from hardhull.model.event import Event
from hardhull.runtime.proctable import (
    ProcTable,
    cgroup_of_pid,
    container_info,
    read_proc_entry,
)
from hardhull.runtime.sensor.base import SensorStats

NETLINK_CONNECTOR = 11
CN_IDX_PROC = 1
CN_VAL_PROC = 1
PROC_CN_MCAST_LISTEN = 1
PROC_CN_MCAST_IGNORE = 2
NLMSG_DONE = 3

PROC_EVENT_FORK = 0x00000001
PROC_EVENT_EXEC = 0x00000002
PROC_EVENT_EXIT = 0x80000000

_NLMSGHDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid
_CN_MSG = struct.Struct("=IIIIHH")  # idx, val, seq, ack, len, flags
_PROC_EVENT = struct.Struct("=IIQ")  # what, cpu, timestamp_ns
_FORK = struct.Struct("=IIII")  # parent pid, parent tgid, child pid, child tgid
_EXEC = struct.Struct("=II")  # pid, tgid
_EXIT = struct.Struct("=IIII")  # pid, tgid, exit code, exit signal


def subscribe_message(op: int) -> bytes:
    """The netlink message that starts (or stops) proc-event multicast."""
    payload = struct.pack("=I", op)
    cn = _CN_MSG.pack(CN_IDX_PROC, CN_VAL_PROC, 0, 0, len(payload), 0) + payload
    return _NLMSGHDR.pack(_NLMSGHDR.size + len(cn), NLMSG_DONE, 0, 0, os.getpid()) + cn


def parse_messages(data: bytes) -> Iterator[tuple[int, int, tuple[int, ...]]]:
    """(what, timestamp_ns, payload fields) for each proc event in one datagram; raises
    ``ValueError`` on a truncated or foreign message."""
    off = 0
    while off + _NLMSGHDR.size <= len(data):
        length, _type, _flags, _seq, _pid = _NLMSGHDR.unpack_from(data, off)
        if length < _NLMSGHDR.size or off + length > len(data):
            raise ValueError("truncated netlink message")
        body = off + _NLMSGHDR.size
        idx, val, _s, _a, _plen, _f = _CN_MSG.unpack_from(data, body)
        if (idx, val) != (CN_IDX_PROC, CN_VAL_PROC):
            raise ValueError("not a proc connector message")
        ev = body + _CN_MSG.size
        what, _cpu, ts = _PROC_EVENT.unpack_from(data, ev)
        pay = ev + _PROC_EVENT.size
        if what == PROC_EVENT_FORK:
            yield what, ts, _FORK.unpack_from(data, pay)
        elif what == PROC_EVENT_EXEC:
            yield what, ts, _EXEC.unpack_from(data, pay)
        elif what == PROC_EVENT_EXIT:
            yield what, ts, _EXIT.unpack_from(data, pay)
        off += (length + 3) & ~3


class ProcConnectorSensor:
    """exec / procexit events from NETLINK_CONNECTOR; needs CAP_NET_ADMIN (root)."""

    name = "procconn"

    def __init__(self) -> None:
        self._sock: socket.socket | None = None
        self.table = ProcTable()
        self.received = 0
        self.lost = 0
        self.malformed = 0
        self.partial = 0
        self._closed = False
        self._boot = time.time_ns() - time.monotonic_ns()

    def start(self) -> None:
        try:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_CONNECTOR)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
            sock.bind((os.getpid(), CN_IDX_PROC))
            sock.send(subscribe_message(PROC_CN_MCAST_LISTEN))
        except OSError as exc:
            raise SensorError(
                f"cannot open the netlink proc connector: {exc.strerror or exc}",
                hint="needs root (CAP_NET_ADMIN)",
            ) from exc
        self._sock = sock
        self.table.seed_from_proc()

    def events(self) -> Iterator[Event]:
        if self._sock is None:
            self.start()
        sock = self._sock
        assert sock is not None
        while not self._closed:
            try:
                ready, _, _ = select.select([sock], [], [], 0.2)
                if not ready:
                    continue
                data = sock.recv(65536)
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:
                    self.lost += 1
                    continue
                if self._closed:
                    return
                raise SensorError(f"proc connector read failed: {exc.strerror}") from exc
            try:
                items = list(parse_messages(data))
            except (ValueError, struct.error):
                self.malformed += 1
                continue
            for what, ts, vals in items:
                ev = self._event(what, ts, vals)
                if ev is not None:
                    self.received += 1
                    yield ev

    def _event(self, what: int, ts: int, vals: tuple[int, ...]) -> Event | None:
        if what == PROC_EVENT_FORK:
            _ppid, ptgid, cpid, ctgid = vals
            if cpid == ctgid:  # a new process, not a thread
                self.table.fork(ptgid, ctgid)
            return None
        pid = vals[1]
        cid = cgroup_of_pid(pid)
        fields: dict[str, Any] = {"proc.pid": pid, "evt.dir": "<"}
        container = container_info(cid)
        fields["container.id"] = container.id
        if what == PROC_EVENT_EXIT:
            entry = self.table.get(pid)
            if vals[0] != pid:  # a thread exit
                return None
            self.table.exit(pid)
            fields["evt.rawres"] = vals[2] >> 8
            fields["evt.res"] = "SUCCESS"
            if entry is not None:
                fields.update({"proc.name": entry.info.name, "proc.ppid": entry.ppid})
                fields["proc.exepath"] = entry.info.exepath
                fields["proc.ancestors"] = self.table.ancestors(entry.ppid)
            return Event("syscall", "procexit", ts + self._boot, fields, container)
        entry = read_proc_entry(pid)
        # cmdline can read empty right at the notification (more so on a loaded machine):
        # retry with growing pauses, ~0.1 s at most, only for such execs
        for attempt in range(10):
            if entry is None or entry.info.exe:
                break
            time.sleep(0.002 * (attempt + 1))
            entry = read_proc_entry(pid)
        fields.update({"evt.res": "SUCCESS", "evt.rawres": 0})
        if entry is None:
            self.partial += 1
            return Event("syscall", "execve", ts + self._boot, fields, container)
        self.table.exec(pid, entry.ppid, entry.info)
        info = entry.info
        fields.update(
            {
                "proc.ppid": entry.ppid,
                "proc.name": info.name,
                "proc.exe": info.exe,
                "proc.exepath": info.exepath,
                "proc.args": info.args,
                "proc.ancestors": self.table.ancestors(entry.ppid),
            }
        )
        _add_ids(fields, pid)
        return Event("syscall", "execve", ts + self._boot, fields, container)

    def stats(self) -> SensorStats:
        note = "netlink proc connector (exec/exit only)"
        if self.partial:
            note += f"; {self.partial} exec(s) gone before /proc was read (pid only)"
        return SensorStats(self.received, self.lost, self.malformed, note)

    def close(self) -> None:
        self._closed = True
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.send(subscribe_message(PROC_CN_MCAST_IGNORE))
            sock.close()


def _add_ids(fields: dict[str, Any], pid: int) -> None:
    """uid, loginuid and tty from /proc (best effort: the process may be gone)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            status = fh.read()
        for line in status.splitlines():
            if line.startswith("Uid:"):
                fields["user.uid"] = int(line.split()[1])
                break
        with open(f"/proc/{pid}/loginuid") as fh:
            fields["user.loginuid"] = int(fh.read().strip())
        with open(f"/proc/{pid}/stat") as fh:
            stat = fh.read()
        fields["proc.tty"] = int(stat[stat.rfind(")") + 2 :].split()[4])
    except (OSError, ValueError, IndexError):
        pass
