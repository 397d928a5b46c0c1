"""The CO-RE sensor's binary records, hand-packed as the BPF program and the loader write
them (layout in src/hardhull/runtime/sensor/bpf/hardhull.bpf.c)."""

from __future__ import annotations

import re
import socket
import struct

from hardhull.runtime.proctable import ProcTable
from hardhull.runtime.sensor.core import skipped_calls
from hardhull.runtime.sensor.core_build import BPF_SOURCE
from hardhull.runtime.sensor.core_decode import (
    EXEC,
    HEADER,
    SOCK,
    STATS,
    SYS_ARGS,
    SYS_LENS,
    CoreDecoder,
    lost_slot_name,
)
from hardhull.runtime.sensor.ebpf_script import SYSCALLS

CID = "b" * 64


def _code(name: str) -> int:
    return next(i for i, sc in enumerate(SYSCALLS, start=1) if sc.name == name)


def _pad(rec: bytes) -> bytes:
    rec += b"\0" * (-len(rec) % 8)
    return struct.pack("<I", len(rec)) + rec[4:]


def _hdr(kind: int, code: int = 0, ret: int = 0, pid: int = 100, comm: bytes = b"cat") -> bytes:
    return HEADER.pack(0, kind, code, 1000, pid, pid, 1, 0, 7, ret, comm)


def _exec(
    argv: list[bytes],
    comps: list[bytes],
    fname: bytes,
    *,
    ret: int = 0,
    flags: int = 0,
    pid: int = 100,
    comm: bytes = b"cat",
    code: int = 100,
) -> bytes:
    a = b"".join(x + b"\0" for x in argv)
    e = b"".join(x + b"\0" for x in comps)
    f = fname + b"\0"
    body = EXEC.pack(1000, (4 << 20) | 1, len(a), len(e), len(f), flags) + a + e + f
    return _pad(_hdr(1, code, ret, pid, comm) + body)


def _sys(
    name: str,
    args: list[int],
    strings: list[bytes],
    *,
    ret: int = 0,
    sock: tuple[int, ...] | None = None,
    laddr: bytes = b"",
    raddr: bytes = b"",
) -> bytes:
    strs = [s + b"\0" for s in strings]
    lens = [len(s) for s in strs] + [0] * (3 - len(strs))
    fam, typ, proto, lport, rport = sock or (0, 0, 0, 0, 0)
    body = SYS_ARGS.pack(*(args + [0] * (6 - len(args))))
    body += SOCK.pack(fam, typ, proto, lport, rport, laddr.ljust(16, b"\0"), raddr.ljust(16, b"\0"))
    body += SYS_LENS.pack(*lens, 0) + b"".join(strs)
    return _pad(_hdr(4, _code(name), ret) + body)


def _decoder() -> CoreDecoder:
    return CoreDecoder(ProcTable(), lambda cg, pid: CID if cg == 7 else "", boot_offset=0)


def test_exec_record_argv_exe_path_and_table() -> None:
    d = _decoder()
    argv = [b"cat", *(b"arg%d" % i for i in range(40)), b"y" * 300]
    (ev,) = d.feed(_exec(argv, [b"cat", b"bin", b"usr"], b"/bin/cat"))
    assert ev.type == "execve"
    f = ev.fields
    assert f["proc.exe"] == "cat"
    assert f["proc.args"] == tuple(a.decode() for a in argv[1:])  # > 32 args, > 128 bytes
    assert f["proc.exepath"] == "/usr/bin/cat"
    assert f["evt.arg.filename"] == "/bin/cat"
    assert f["proc.tty"] == (4 << 8) | 1 and f["user.loginuid"] == 1000
    assert f["container.id"] == CID[:12] and ev.container is not None
    assert ev.container.full_id == CID
    assert f["evt.res"] == "SUCCESS" and ev.time == 1000
    entry = d.table.get(100)
    assert entry is not None and entry.info.exepath == "/usr/bin/cat"


def test_failed_exec_and_truncated_argv_counted() -> None:
    d = _decoder()
    (ev,) = d.feed(_exec([b"x", b"a"], [], b"/nope", ret=-2, flags=1, code=101))
    assert ev.type == "execveat" and ev.fields["evt.res"] == "ENOENT"
    # the attempted path is the argument; the process is still the caller (unknown here)
    assert ev.fields["evt.arg.filename"] == "/nope"
    assert "proc.exepath" not in ev.fields
    assert d.argv_truncated == 1
    assert d.table.get(100) is None


def test_open_with_flags_and_string() -> None:
    d = _decoder()
    (ev,) = d.feed(_sys("openat", [2**64 - 100, 0, 0o1101, 0o644], [b"/usr/bin/x"], ret=3))
    f = ev.fields
    assert ev.type == "openat" and f["fd.name"] == "/usr/bin/x"
    assert f["evt.arg.flags"] == "O_WRONLY|O_CREAT|O_TRUNC"
    assert f["evt.arg.dirfd"] == -100 and f["fd.num"] == 3 and f["fd.typechar"] == "f"


def test_openat2_how_flags_from_args() -> None:
    d = _decoder()
    (ev,) = d.feed(_sys("openat2", [2**64 - 100, 0, 0o2, 0], [b"/etc/x"], ret=4))
    assert ev.fields["evt.arg.flags"] == "O_RDWR"


def test_rename_and_mount_take_several_strings() -> None:
    d = _decoder()
    (ev,) = d.feed(_sys("renameat2", [2**64 - 100, 0, 2**64 - 100, 0, 1], [b"/old", b"/new"]))
    assert ev.fields["evt.arg.oldpath"] == "/old" and ev.fields["evt.arg.newpath"] == "/new"
    (ev,) = d.feed(_sys("mount", [0, 0, 0, 4096], [b"none", b"/mnt", b"tmpfs"]))
    f = ev.fields
    assert (f["evt.arg.dev"], f["evt.arg.dir"], f["evt.arg.type"]) == ("none", "/mnt", "tmpfs")
    assert f["evt.arg.flags"] == 4096


def test_chmod_setuid_ptrace_bpf_and_errno() -> None:
    d = _decoder()
    (ev,) = d.feed(_sys("fchmodat", [2**64 - 100, 0, 0o4755], [b"/tmp/x"]))
    assert "S_ISUID" in ev.fields["evt.arg.mode"]
    (ev,) = d.feed(_sys("setresuid", [0, 2**32 - 1, 5], [], ret=-1))
    f = ev.fields
    assert (f["evt.arg.ruid"], f["evt.arg.euid"], f["evt.arg.suid"]) == (0, -1, 5)
    assert f["evt.res"] == "EPERM"
    (ev,) = d.feed(_sys("ptrace", [16, 55], []))
    assert ev.fields["evt.arg.request"] == "PTRACE_ATTACH" and ev.fields["evt.arg.pid"] == 55
    (ev,) = d.feed(_sys("bpf", [5], []))
    assert ev.fields["evt.arg.cmd"] == "BPF_PROG_LOAD"


def test_connect_ipv4_and_ipv6_and_unix() -> None:
    d = _decoder()
    lo = socket.inet_aton("127.0.0.1")
    (ev,) = d.feed(
        _sys("connect", [5], [], ret=-111, sock=(2, 1, 6, 40000, 4444), laddr=lo, raddr=lo)
    )
    f = ev.fields
    assert (f["fd.cip"], f["fd.cport"], f["fd.sip"], f["fd.sport"]) == (
        "127.0.0.1",
        40000,
        "127.0.0.1",
        4444,
    )
    assert f["fd.l4proto"] == "tcp" and f["fd.typechar"] == "4"
    assert f["evt.res"] == "ECONNREFUSED" and f["fd.num"] == 5
    six = socket.inet_pton(socket.AF_INET6, "::1")
    (ev,) = d.feed(
        _sys("accept4", [3, 0, 0, 0], [], ret=7, sock=(10, 1, 6, 80, 5555), laddr=six, raddr=six)
    )
    f = ev.fields
    assert f["fd.name"] == "::1:5555->::1:80" and f["fd.num"] == 7 and f["fd.typechar"] == "6"
    (ev,) = d.feed(_sys("connect", [4], [b"/run/x.sock"], sock=(1, 1, 0, 0, 0)))
    assert ev.fields["fd.typechar"] == "u" and ev.fields["fd.name"] == "/run/x.sock"


def test_records_split_across_reads_are_joined() -> None:
    d = _decoder()
    blob = _sys("unlink", [0], [b"/a"]) + _sys("unlink", [0], [b"/b"])
    events = []
    for i in range(0, len(blob), 5):
        events += d.feed(blob[i : i + 5])
    assert [e.fields["evt.arg.path"] for e in events] == ["/a", "/b"]
    assert d.malformed == 0


def test_ready_and_stats_records() -> None:
    d = _decoder()
    ready = _pad(_hdr(100) + b"tracepoint/syscalls/sys_enter_init_module fexit/__x64_sys_x ")
    lost = [0] * 64
    lost[1], lost[8 + _code("openat")] = 3, 5
    stats = _pad(_hdr(101) + STATS.pack(*lost))
    assert d.feed(ready + stats) == []
    assert d.ready and d.lost == 8
    assert d.lost_by_kind() == {"exec": 3, "openat": 5}
    assert skipped_calls(d.skipped) == ["init_module", "x"]
    assert lost_slot_name(0) == "args-map-full"


def test_malformed_records_are_counted_not_fatal() -> None:
    d = _decoder()
    unknown = _pad(_hdr(42))
    bad_code = _pad(_hdr(4, 99) + b"\0" * 104)
    short_strings = _sys("unlink", [0], [b"/a"])[:-8]  # lens say more than the record holds
    short_strings = struct.pack("<I", len(short_strings)) + short_strings[4:]
    good = _sys("unlink", [0], [b"/ok"])
    events = d.feed(unknown + bad_code + short_strings + good)
    assert [e.fields["evt.arg.path"] for e in events] == ["/ok"]
    assert d.malformed == 3
    # a size that cannot be a record: framing is lost, the buffer is dropped, counted
    assert d.feed(struct.pack("<I", 12) + b"\0" * 60) == []
    assert d.malformed == 4
    (ev,) = d.feed(good)
    assert ev.fields["evt.arg.path"] == "/ok"
    d.feed(good[:20])
    d.finish()  # a truncated record at the end of the stream
    assert d.malformed == 5


def test_fork_exit_and_own_pids() -> None:
    d = _decoder()
    d.feed(_exec([b"bash"], [b"bash", b"bin"], b"/bin/bash", pid=50, comm=b"bash"))
    assert d.feed(_pad(_hdr(3, ret=100, pid=50, comm=b"bash"))) == []  # bash forks 100
    child = d.table.get(100)  # the child runs bash's image until it execs
    assert child is not None and child.ppid == 50
    assert (child.info.pid, child.info.name, child.info.exepath) == (100, "bash", "/bin/bash")
    (ev,) = d.feed(_exec([b"cat"], [b"cat"], b"/cat", pid=100))
    assert [p.name for p in ev.fields["proc.ancestors"]] == []  # ppid 1 in the header
    (ev,) = d.feed(_pad(_hdr(2, ret=3, pid=100)))
    assert ev.type == "procexit" and ev.fields["evt.rawres"] == 3
    assert d.table.get(100) is None
    d2 = CoreDecoder(ProcTable(), lambda cg, pid: "", self_pids=frozenset({100}))
    assert d2.feed(_sys("unlink", [0], [b"/x"])) == []


def test_bpf_source_codes_match_the_syscall_table() -> None:
    text = BPF_SOURCE.read_text()
    codes = dict(re.findall(r"#define SC_(\w+) (\d+)", text))
    for i, sc in enumerate(SYSCALLS, start=1):
        assert int(codes[sc.name.upper()]) == i, sc.name
        assert f"SYSCALL({sc.name}, SC_{sc.name.upper()}, " in text
