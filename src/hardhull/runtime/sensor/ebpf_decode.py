"""Decode the bpftrace sensor's JSON lines into :class:`Event` values (pure; no I/O except
through the injected resolvers). Malformed lines are counted, never fatal."""

from __future__ import annotations

import errno
import json
import re
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hardhull.model.event import ContainerInfo, Event, ProcInfo
from hardhull.runtime.proctable import ProcTable, container_info
from hardhull.runtime.sensor.ebpf_script import SEP, SYSCALLS, Syscall

_HIGH_BYTE = re.compile(r"\\uffffff([0-9a-f]{2})")
_BY_CODE: dict[int, Syscall] = dict(enumerate(SYSCALLS, start=1))

_ACCMODE = ("O_RDONLY", "O_WRONLY", "O_RDWR", "O_RDWR")
_OPEN_FLAGS = (
    (0o100, "O_CREAT"),
    (0o200, "O_EXCL"),
    (0o400, "O_NOCTTY"),
    (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"),
    (0o10000, "O_DSYNC"),
    (0o40000, "O_DIRECT"),
    (0o100000, "O_LARGEFILE"),
    (0o200000, "O_DIRECTORY"),
    (0o400000, "O_NOFOLLOW"),
    (0o1000000, "O_NOATIME"),
    (0o2000000, "O_CLOEXEC"),
    (0o4000000, "O_SYNC"),
    (0o10000000, "O_PATH"),
    (0o20000000, "O_TMPFILE"),
)
_MODE_BITS = (
    (0o1, "S_IXOTH"),
    (0o2, "S_IWOTH"),
    (0o4, "S_IROTH"),
    (0o10, "S_IXGRP"),
    (0o20, "S_IWGRP"),
    (0o40, "S_IRGRP"),
    (0o100, "S_IXUSR"),
    (0o200, "S_IWUSR"),
    (0o400, "S_IRUSR"),
    (0o1000, "S_ISVTX"),
    (0o2000, "S_ISGID"),
    (0o4000, "S_ISUID"),
)
_PTRACE = {
    0: "PTRACE_TRACEME",
    1: "PTRACE_PEEKTEXT",
    2: "PTRACE_PEEKDATA",
    3: "PTRACE_PEEKUSR",
    4: "PTRACE_POKETEXT",
    5: "PTRACE_POKEDATA",
    6: "PTRACE_POKEUSR",
    7: "PTRACE_CONT",
    8: "PTRACE_KILL",
    9: "PTRACE_SINGLESTEP",
    12: "PTRACE_GETREGS",
    13: "PTRACE_SETREGS",
    16: "PTRACE_ATTACH",
    17: "PTRACE_DETACH",
    24: "PTRACE_SYSCALL",
    0x4200: "PTRACE_SETOPTIONS",
    0x4206: "PTRACE_SEIZE",
    0x4207: "PTRACE_INTERRUPT",
}
_BPF_CMDS = [
    "BPF_MAP_CREATE",
    "BPF_MAP_LOOKUP_ELEM",
    "BPF_MAP_UPDATE_ELEM",
    "BPF_MAP_DELETE_ELEM",
    "BPF_MAP_GET_NEXT_KEY",
    "BPF_PROG_LOAD",
    "BPF_OBJ_PIN",
    "BPF_OBJ_GET",
    "BPF_PROG_ATTACH",
    "BPF_PROG_DETACH",
    "BPF_PROG_TEST_RUN",
    "BPF_PROG_GET_NEXT_ID",
    "BPF_MAP_GET_NEXT_ID",
    "BPF_PROG_GET_FD_BY_ID",
    "BPF_MAP_GET_FD_BY_ID",
    "BPF_OBJ_GET_INFO_BY_FD",
    "BPF_PROG_QUERY",
    "BPF_RAW_TRACEPOINT_OPEN",
    "BPF_BTF_LOAD",
]
_L4 = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmp"}


def open_flags(value: int) -> str:
    """Falco's text for open flags, e.g. ``O_WRONLY|O_CREAT|O_TRUNC``."""
    parts = [_ACCMODE[value & 3]]
    parts += [name for bit, name in _OPEN_FLAGS if value & bit]
    return "|".join(parts)


def file_mode(value: int) -> str:
    names = [name for bit, name in _MODE_BITS if value & bit]
    return "|".join(names) if names else "0"


def errno_name(ret: int) -> str:
    if ret >= 0:
        return "SUCCESS"
    return errno.errorcode.get(-ret, f"E{-ret}")


def _s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >= 1 << 31 else v


def tty_nr(tty: int) -> int:
    """Falco's ``proc.tty`` from the kernel's ``dev_t`` (major << 20 | minor)."""
    return (tty >> 20 << 8) | (tty & 0xFFFFF) if tty else 0


def _render_open(out: dict[str, Any], ret: int, f: dict[str, Any]) -> None:
    f["evt.arg.flags"] = open_flags(out.get("flags", 0))
    f["evt.arg.mode"] = out.get("mode", 0)
    f["fd.name"] = out.get("name", "")
    f["fd.typechar"] = "f"
    f["fd.num"] = ret


def _render_chmod(out: dict[str, Any], ret: int, f: dict[str, Any]) -> None:
    f["evt.arg.mode"] = file_mode(out["mode"])


def _render_ptrace(out: dict[str, Any], ret: int, f: dict[str, Any]) -> None:
    f["evt.arg.request"] = _PTRACE.get(out["request"], str(out["request"]))


def _render_bpf(out: dict[str, Any], ret: int, f: dict[str, Any]) -> None:
    cmd = out["cmd"]
    f["evt.arg.cmd"] = _BPF_CMDS[cmd] if 0 <= cmd < len(_BPF_CMDS) else str(cmd)


def _render_memfd(out: dict[str, Any], ret: int, f: dict[str, Any]) -> None:
    f["fd.num"] = ret
    f["fd.typechar"] = "o"


def _render_connect(out: dict[str, Any], ret: int, f: dict[str, Any]) -> None:
    f["fd.num"] = out["fd"]


def _render_accept(out: dict[str, Any], ret: int, f: dict[str, Any]) -> None:
    f["fd.num"] = ret


_RENDER: dict[str, Callable[[dict[str, Any], int, dict[str, Any]], None]] = {
    "open": _render_open,
    "openat": _render_open,
    "openat2": _render_open,
    "chmod": _render_chmod,
    "fchmod": _render_chmod,
    "fchmodat": _render_chmod,
    "fchmodat2": _render_chmod,
    "ptrace": _render_ptrace,
    "bpf": _render_bpf,
    "memfd_create": _render_memfd,
    "connect": _render_connect,
    "accept": _render_accept,
    "accept4": _render_accept,
}
SOCKET_CALLS = frozenset({"connect", "accept", "accept4"})
"""Calls whose socket fields (``fd.cip``...) each decoder adds from its own layout."""


def render_args(name: str, out: dict[str, Any], ret: int, f: dict[str, Any]) -> None:
    """Falco's rendering of a syscall's raw arguments ``out`` (flags and modes as text,
    ``fd.*``) into the event fields ``f``; shared by both kernel decoders. One dict
    lookup per event: the per-call renderers are chosen at import time."""
    render = _RENDER.get(name)
    if render is not None:
        render(out, ret, f)


def _ip4(word: int) -> str:
    return socket.inet_ntop(socket.AF_INET, struct.pack("<I", word & 0xFFFFFFFF))


def _ip6(words: list[int]) -> str:
    return socket.inet_ntop(socket.AF_INET6, struct.pack("<4I", *words))


def decode_text(data: str) -> str:
    """bpftrace prints bytes >= 0x80 as ``\\uffffffXX``; undo that into UTF-8 text."""
    raw = data.encode("latin-1", errors="replace")
    return raw.decode("utf-8", errors="replace")


@dataclass(slots=True)
class Decoder:
    """Stateful decoder: joins argv (``A``) and extra-string (``B``) records to the record
    they precede on the same thread, keeps the process table current."""

    table: ProcTable
    resolve: Callable[[int, int], str]
    self_pids: frozenset[int] = frozenset()
    malformed: int = 0
    lost: int = 0
    partial: int = 0
    last_malformed: str = ""
    boot_offset: int = field(default_factory=lambda: time.time_ns() - time.monotonic_ns())
    _argv: dict[int, dict[int, str]] = field(default_factory=dict)
    _extra: dict[int, list[str]] = field(default_factory=dict)

    def line(self, raw: str) -> Event | None:
        """Decode one stdout line of ``bpftrace -f json``; ``None`` for non-events."""
        if not raw.strip():
            return None
        try:
            obj = json.loads(_HIGH_BYTE.sub(r"\\u00\1", raw))
        except ValueError:
            self._bad(raw)
            return None
        if not isinstance(obj, dict):
            self.malformed += 1
            return None
        kind = obj.get("type")
        if kind == "lost_events":
            data = obj.get("data")
            n = data.get("events") if isinstance(data, dict) else None
            self.lost += n if isinstance(n, int) else 1
            return None
        if kind != "printf":
            return None
        data = obj.get("data")
        if not isinstance(data, str):
            self.malformed += 1
            return None
        try:
            return self.record(decode_text(data.rstrip("\n")))
        except (ValueError, IndexError, KeyError, OSError, struct.error):
            self._bad(raw)
            return None

    def _bad(self, raw: str) -> None:
        self.malformed += 1
        self.last_malformed = raw[:200]

    def record(self, text: str) -> Event | None:
        parts = text.split(SEP)
        code = parts[0]
        if code == "A":
            tid, idx = int(parts[1]), int(parts[2])
            self._argv.setdefault(tid, {})[idx] = SEP.join(parts[3:])
            return None
        if code == "B":
            self._extra.setdefault(int(parts[1]), []).append(SEP.join(parts[2:]))
            return None
        kind = chr(int(code))
        ns, pid, tid, ppid, uid, cgid, ret = (int(p) for p in parts[1:8])
        comm = parts[8]
        rest = parts[9:]
        if pid in self.self_pids:
            self._argv.pop(tid, None)
            self._extra.pop(tid, None)
            return None
        fields: dict[str, Any] = {
            "proc.pid": pid,
            "proc.tid": tid,
            "proc.ppid": ppid,
            "proc.name": comm,
            "user.uid": uid,
            "evt.dir": "<",
        }
        full = self.resolve(cgid, pid)
        container = container_info(full)
        fields["container.id"] = container.id
        if kind == "K":
            self.table.fork(pid, ret)
            return None
        if kind == "P":
            self.table.exit(pid)
            return self._event("procexit", ns, fields, container, ppid, ret, {})
        if kind == "X":
            return self._exec(ns, pid, tid, ppid, ret, comm, rest, fields, container)
        if kind != "S":
            raise ValueError(f"unknown record kind {kind!r}")
        sc = _BY_CODE[int(rest[0])]
        args = self._args(sc, rest[1:], tid, ret)
        return self._event(sc.name, ns, fields, container, ppid, ret, args, self_pid=pid)

    def _event(
        self,
        etype: str,
        ns: int,
        fields: dict[str, Any],
        container: ContainerInfo,
        ppid: int,
        ret: int,
        args: dict[str, Any],
        *,
        self_pid: int = 0,
    ) -> Event:
        fields["evt.rawres"] = ret
        fields["evt.res"] = errno_name(ret)
        if self_pid:
            fields.update(self.table.process_fields(self_pid))
        fields["proc.ancestors"] = self.table.ancestors(ppid)
        fields.update(args)
        return Event("syscall", etype, ns + self.boot_offset, fields, container)

    def _exec(
        self,
        ns: int,
        pid: int,
        tid: int,
        ppid: int,
        ret: int,
        comm: str,
        rest: list[str],
        fields: dict[str, Any],
        container: ContainerInfo,
    ) -> Event:
        name, loginuid, tty = rest[0], int(rest[1]), int(rest[2])
        got = self._argv.pop(tid, {})
        filename = got.pop(-1, "")
        argv = [got[i] for i in sorted(got)]
        if sorted(got) != list(range(len(got))):
            self.partial += 1  # an argument record was lost
        exe = argv[0] if argv else filename
        args = tuple(argv[1:])
        if ret >= 0:
            fields.update({"proc.exe": exe, "proc.args": args, "proc.exepath": filename})
        fields.update(
            {"user.loginuid": loginuid, "proc.tty": tty_nr(tty), "evt.arg.filename": filename}
        )
        if ret >= 0:
            info = ProcInfo(pid=pid, name=comm, exe=exe, exepath=filename, args=args)
            self.table.exec(pid, ppid, info)
        else:
            # A failed exec leaves the caller's image in place (as in libsinsp): the
            # process fields stay the caller's; the attempt is evt.arg.filename/args, as
            # the CO-RE decoder reports it.
            fields["evt.arg.args"] = " ".join(args)
            fields.update(self.table.process_fields(pid))
        return self._event(name, ns, fields, container, ppid, ret, {})

    def _args(self, sc: Syscall, vals: list[str], tid: int, ret: int) -> dict[str, Any]:
        extras = self._extra.pop(tid, [])
        out: dict[str, Any] = {}
        it = iter(vals)
        nstr = 0
        for a in sc.args:
            if a.kind == "s":
                nstr += 1
                out[a.falco] = next(it) if nstr == 1 else (extras.pop(0) if extras else "")
            elif a.kind == "x" and a.tp == "how":
                out["flags"] = int(next(it))
                out["mode"] = int(next(it))
            elif a.kind == "x":
                out["_fam"] = int(next(it))
                out["_port"] = int(next(it))
                out["_raw"] = [int(next(it), 16) for _ in range(3)]
            elif a.kind == "i":
                out[a.falco] = _s32(int(next(it)))
            else:
                out[a.falco] = int(next(it))
        rest = list(it)
        fields = {f"evt.arg.{k}": v for k, v in out.items() if not k.startswith("_")}
        render_args(sc.name, out, ret, fields)
        if sc.name in SOCKET_CALLS:
            fields.update(_socket(sc.name, out, _sk_values(sc.name, rest), extras))
        return fields


def _socket(name: str, out: dict[str, Any], sk: list[int], extras: list[str]) -> dict[str, Any]:
    """Socket fields. ``sk``: type, protocol, local port, remote port (network order),
    local v4, remote v4, local v6 x4 [, remote v6 x4]."""
    sk_type, proto, lport, rport_n = sk[0], sk[1], sk[2], sk[3]
    f: dict[str, Any] = {}
    if name == "connect":
        fam = out["_fam"]
        rport = socket.ntohs(out["_port"])
        raw = out["_raw"]
    else:
        fam = sk[-1]
        rport = socket.ntohs(rport_n)
        raw = []
    if fam == socket.AF_UNIX:
        path = extras[0] if extras else ""
        f.update({"fd.typechar": "u", "fd.sockfamily": "unix", "fd.name": path})
        return f
    l4 = _L4.get(proto, "raw") if sk_type != 3 else "raw"
    if fam == socket.AF_INET:
        local = _ip4(sk[4])
        remote = _ip4(raw[0]) if name == "connect" else _ip4(sk[5])
        f["fd.typechar"] = "4"
    else:
        local = _ip6(sk[6:10])
        if name == "connect":
            b = struct.pack("<QQQ", *raw)
            remote = socket.inet_ntop(socket.AF_INET6, b[4:20])
        else:
            remote = _ip6(sk[10:14])
        f["fd.typechar"] = "6"
    if name == "connect":
        cip, cport, sip, sport = local, lport, remote, rport
    else:
        cip, cport, sip, sport = remote, rport, local, lport
    f.update(
        {
            "fd.sockfamily": "ip",
            "fd.l4proto": l4,
            "fd.cip": cip,
            "fd.cport": cport,
            "fd.sip": sip,
            "fd.sport": sport,
            "fd.name": f"{cip}:{cport}->{sip}:{sport}",
        }
    )
    return f


def _sk_values(name: str, rest: list[str]) -> list[int]:
    """type, proto, ports decimal; addresses hex; accept's trailing family decimal."""
    vals = [int(v, 16) if 3 < i < 14 else int(v) for i, v in enumerate(rest)]
    return vals
