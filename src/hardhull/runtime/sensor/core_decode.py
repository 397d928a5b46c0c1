"""Decode the CO-RE sensor's binary records (see ``bpf/hardhull.bpf.c`` for the layout)
into the same :class:`Event` values the bpftrace decoder produces. Pure: I/O only through
the injected cgroup resolver. Malformed or truncated records are counted, never fatal.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hardhull.model.event import ContainerInfo, Event, ProcInfo
from hardhull.runtime.proctable import ProcTable, container_info
from hardhull.runtime.sensor.ebpf_decode import (
    _BY_CODE,
    _L4,
    SOCKET_CALLS,
    _s32,
    errno_name,
    render_args,
    tty_nr,
)
from hardhull.runtime.sensor.ebpf_script import Syscall

HEADER = struct.Struct("<IHHQIIIIQq16s")
EXEC = struct.Struct("<IIHHHH")
SYS_ARGS = struct.Struct("<6Q")
SOCK = struct.Struct("<HHHHH6x16s16s")
SYS_LENS = struct.Struct("<HHHH")
STATS = struct.Struct("<64Q")
HDR_SIZE = HEADER.size  # 64
SYS_DATA = HDR_SIZE + SYS_ARGS.size + SOCK.size + SYS_LENS.size  # 168
EXEC_DATA = HDR_SIZE + EXEC.size  # 80
MAX_RECORD = 1 << 16

KIND_EXEC, KIND_EXIT, KIND_FORK, KIND_SYSCALL = 1, 2, 3, 4
KIND_READY, KIND_STATS = 100, 101
SC_EXECVEAT = 101
LOST_SYSCALL_BASE = 8
FLAG_ARGV_TRUNC, FLAG_EXE_TRUNC = 1, 2

ARGV_MAX = 8192
"""Bytes of argv captured per exec (all arguments, NUL-separated); more is truncated."""

# syscall argument positions where the table's order is not the call's
_POSITIONS = {"init_module": (1, 2), "accept4": (0, 3)}

Plan = tuple[tuple[str, str, str, int], ...]
"""How to read one syscall's arguments: ``(kind, name, field, position)`` each, ``field``
being ``evt.arg.<name>``; kind ``h`` is openat2's ``open_how`` (flags and mode)."""


def _plan(sc: Syscall) -> Plan:
    positions = _POSITIONS.get(sc.name)
    steps: list[tuple[str, str, str, int]] = []
    for i, arg in enumerate(sc.args):
        if arg.kind == "x":
            if arg.tp == "how":
                steps.append(("h", "", "", 0))
            continue  # connect's sockaddr: decoded from the record's socket part
        steps.append(
            (arg.kind, arg.falco, f"evt.arg.{arg.falco}", positions[i] if positions else i)
        )
    return tuple(steps)


_PLANS: dict[int, tuple[Syscall, Plan]] = {code: (sc, _plan(sc)) for code, sc in _BY_CODE.items()}
"""Per syscall code, built at import: the decode loop does no per-event lookups by name."""


def lost_slot_name(slot: int) -> str:
    """What a slot of the kernel's ``lost`` counters counts."""
    if slot == 0:
        return "args-map-full"
    if slot < LOST_SYSCALL_BASE:
        return {KIND_EXEC: "exec", KIND_EXIT: "procexit", KIND_FORK: "fork"}.get(slot, str(slot))
    sc = _BY_CODE.get(slot - LOST_SYSCALL_BASE)
    return sc.name if sc else str(slot)


def _text(b: bytes | memoryview) -> str:
    return bytes(b).decode("utf-8", "replace")


def _cstrings(b: bytes) -> list[str]:
    parts = b.split(b"\0")
    if parts and parts[-1] == b"":
        parts.pop()
    return [p.decode("utf-8", "replace") for p in parts]


@dataclass(slots=True)
class CoreDecoder:
    """Stateful: keeps a partial record across reads, the process table current and the
    loader's loss counters (``lost_by_slot``: cumulative, per kernel slot)."""

    table: ProcTable
    resolve: Callable[[int, int], str]
    self_pids: frozenset[int] = frozenset()
    malformed: int = 0
    argv_truncated: int = 0
    ready: bool = False
    skipped: tuple[str, ...] = ()
    lost_by_slot: tuple[int, ...] = ()
    boot_offset: int = field(default_factory=lambda: time.time_ns() - time.monotonic_ns())
    _pending: bytes = b""

    @property
    def lost(self) -> int:
        return sum(self.lost_by_slot)

    def lost_by_kind(self) -> dict[str, int]:
        return {lost_slot_name(i): n for i, n in enumerate(self.lost_by_slot) if n}

    def feed(self, chunk: bytes) -> list[Event]:
        """Decode every complete record in ``chunk`` (after what was pending)."""
        buf = self._pending + chunk if self._pending else chunk
        out: list[Event] = []
        pos, end = 0, len(buf)
        unpack = HEADER.unpack_from
        while end - pos >= HDR_SIZE:
            size = int.from_bytes(buf[pos : pos + 4], "little")
            if size < HDR_SIZE or size > MAX_RECORD or size % 8:
                self.malformed += 1  # framing lost: drop what is buffered
                self._pending = b""
                return out
            if end - pos < size:
                break
            try:
                ev = self._record(buf, pos, size, unpack(buf, pos))
            except (struct.error, IndexError, KeyError, ValueError, OSError):
                self.malformed += 1
                ev = None
            if ev is not None:
                out.append(ev)
            pos += size
        self._pending = buf[pos:]
        return out

    def finish(self) -> None:
        """The stream ended: a partial record left over is malformed."""
        if self._pending:
            self.malformed += 1
            self._pending = b""

    def _record(self, buf: bytes, pos: int, size: int, h: tuple[Any, ...]) -> Event | None:
        _size, kind, code, ns, pid, tid, ppid, uid, cgid, ret, comm_b = h
        if kind == KIND_STATS:
            self.lost_by_slot = STATS.unpack_from(buf, pos + HDR_SIZE)
            return None
        if kind == KIND_READY:
            text = _text(buf[pos + HDR_SIZE : pos + size]).strip("\0 ")
            self.skipped = tuple(text.split()) if text else ()
            self.ready = True
            return None
        if kind not in (KIND_EXEC, KIND_EXIT, KIND_FORK, KIND_SYSCALL):
            raise ValueError(f"unknown record kind {kind}")
        if pid in self.self_pids:
            return None
        if kind == KIND_FORK:
            self.table.fork(pid, ret)
            return None
        comm = comm_b.split(b"\0", 1)[0].decode("utf-8", "replace")
        full = self.resolve(cgid, pid)
        container = container_info(full)
        fields: dict[str, Any] = {
            "proc.pid": pid,
            "proc.tid": tid,
            "proc.ppid": ppid,
            "proc.name": comm,
            "user.uid": uid,
            "evt.dir": "<",
            "container.id": container.id,
        }
        if kind == KIND_EXIT:
            self.table.exit(pid)
            return self._event("procexit", ns, fields, container, ppid, ret)
        if kind == KIND_EXEC:
            return self._exec(buf, pos, size, code, ns, pid, ppid, ret, comm, fields, container)
        sc, plan = _PLANS[code]
        self._syscall(sc.name, plan, buf, pos, size, ret, fields)
        fields.update(self.table.process_fields(pid))
        return self._event(sc.name, ns, fields, container, ppid, ret)

    def _event(
        self,
        etype: str,
        ns: int,
        fields: dict[str, Any],
        container: ContainerInfo,
        ppid: int,
        ret: int,
    ) -> Event:
        fields["evt.rawres"] = ret
        fields["evt.res"] = errno_name(ret)
        fields["proc.ancestors"] = self.table.ancestors(ppid)
        return Event("syscall", etype, ns + self.boot_offset, fields, container)

    def _exec(
        self,
        buf: bytes,
        pos: int,
        size: int,
        code: int,
        ns: int,
        pid: int,
        ppid: int,
        ret: int,
        comm: str,
        fields: dict[str, Any],
        container: ContainerInfo,
    ) -> Event:
        loginuid, tty, argv_len, exe_len, fname_len, flags = EXEC.unpack_from(buf, pos + HDR_SIZE)
        d = pos + EXEC_DATA
        if EXEC_DATA + argv_len + exe_len + fname_len > size:
            raise ValueError("exec record shorter than its strings")
        argv = _cstrings(buf[d : d + argv_len])
        comps = _cstrings(buf[d + argv_len : d + argv_len + exe_len])
        fname = _cstrings(buf[d + argv_len + exe_len : d + argv_len + exe_len + fname_len])
        filename = fname[0] if fname else ""
        if flags & FLAG_ARGV_TRUNC:
            self.argv_truncated += 1
        exepath = "/" + "/".join(reversed(comps)) if comps else filename
        exe = argv[0] if argv else filename
        args = tuple(argv[1:])
        fields.update(
            {
                "user.loginuid": _s32(loginuid),
                "proc.tty": tty_nr(tty),
                "evt.arg.filename": filename,
            }
        )
        if ret >= 0:
            fields.update({"proc.exe": exe, "proc.args": args, "proc.exepath": exepath})
            info = ProcInfo(pid=pid, name=comm, exe=exe, exepath=exepath, args=args)
            self.table.exec(pid, ppid, info)
        else:
            # A failed exec leaves the caller's image in place (as in libsinsp): the
            # process fields stay the caller's; the attempt is evt.arg.filename/args.
            fields["evt.arg.args"] = " ".join(args)
            fields.update(self.table.process_fields(pid))
        return self._event(
            "execveat" if code == SC_EXECVEAT else "execve", ns, fields, container, ppid, ret
        )

    def _syscall(
        self, name: str, plan: Plan, buf: bytes, pos: int, size: int, ret: int, f: dict[str, Any]
    ) -> None:
        a = SYS_ARGS.unpack_from(buf, pos + HDR_SIZE)
        fam, sk_type, proto, lport, rport, laddr, raddr = SOCK.unpack_from(buf, pos + 112)
        lens = SYS_LENS.unpack_from(buf, pos + 160)[:3]
        strings: list[str] = []
        d = pos + SYS_DATA
        if SYS_DATA + sum(lens) > size:
            raise ValueError("syscall record shorter than its strings")
        for n in lens:
            raw = buf[d : d + n]
            strings.append(_text(raw[:-1] if raw.endswith(b"\0") else raw))
            d += n
        nstr = 0
        out: dict[str, Any] = {}
        value: Any
        for kind, arg, key, p in plan:
            if kind == "s":
                value = strings[nstr] if nstr < len(strings) else ""
                nstr += 1
            elif kind == "h":
                out["flags"] = f["evt.arg.flags"] = a[2]
                out["mode"] = f["evt.arg.mode"] = a[3]
                continue
            elif kind == "i":
                value = _s32(a[p])
            elif kind == "l":
                value = a[p] - (1 << 64) if a[p] >= 1 << 63 else a[p]
            else:
                value = a[p]
            out[arg] = f[key] = value
        render_args(name, out, ret, f)
        if name in SOCKET_CALLS:
            sock = (fam, sk_type, proto, lport, rport, laddr, raddr)
            f.update(_socket(name == "connect", sock, strings[0] if lens[0] else ""))


def _addr(fam: int, raw: bytes) -> str:
    if fam == socket.AF_INET:
        return socket.inet_ntop(socket.AF_INET, raw[:4])
    return socket.inet_ntop(socket.AF_INET6, raw[:16])


def _socket(connect: bool, sock: tuple[Any, ...], path: str) -> dict[str, Any]:
    fam, sk_type, proto, lport, rport, laddr, raddr = sock
    if fam == socket.AF_UNIX:
        return {"fd.typechar": "u", "fd.sockfamily": "unix", "fd.name": path}
    if fam not in (socket.AF_INET, socket.AF_INET6):
        raise ValueError(f"socket family {fam}")
    local, remote = _addr(fam, laddr), _addr(fam, raddr)
    if connect:
        cip, cport, sip, sport = local, lport, remote, rport
    else:
        cip, cport, sip, sport = remote, rport, local, lport
    return {
        "fd.typechar": "4" if fam == socket.AF_INET else "6",
        "fd.sockfamily": "ip",
        "fd.l4proto": _L4.get(proto, "raw") if sk_type != 3 else "raw",
        "fd.cip": cip,
        "fd.cport": cport,
        "fd.sip": sip,
        "fd.sport": sport,
        "fd.name": f"{cip}:{cport}->{sip}:{sport}",
    }
