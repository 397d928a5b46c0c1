"""Decoding of the bpftrace sensor's output lines: canned lines as bpftrace prints them."""

from __future__ import annotations

import json

from hardhull.runtime.proctable import ProcTable
from hardhull.runtime.sensor.ebpf_decode import Decoder, errno_name, file_mode, open_flags
from hardhull.runtime.sensor.ebpf_script import SEP, SYSCALLS, build_script

CID = "a" * 64


def _code(name: str) -> int:
    return next(i for i, sc in enumerate(SYSCALLS, start=1) if sc.name == name)


def _line(*parts: object) -> str:
    return json.dumps({"type": "printf", "data": SEP.join(str(p) for p in parts) + "\n"})


def _header(kind: str, ret: int, pid: int = 100, comm: str = "cat", cg: int = 7) -> list[object]:
    return [ord(kind), 1000, pid, pid, 1, 0, cg, ret, comm]


def _decoder() -> Decoder:
    return Decoder(ProcTable(), lambda cg, pid: CID if cg == 7 else "", boot_offset=0)


def test_exec_joins_argv_records_and_fills_the_table() -> None:
    d = _decoder()
    assert d.line(_line("A", 100, -1, "/usr/bin/cat")) is None
    assert d.line(_line("A", 100, 0, "cat")) is None
    assert d.line(_line("A", 100, 1, "/etc/shadow")) is None
    ev = d.line(_line(*_header("X", 0), "execve", 1000, (4 << 20) | 1))
    assert ev is not None and ev.type == "execve"
    assert ev.fields["proc.exe"] == "cat"
    assert ev.fields["proc.args"] == ("/etc/shadow",)
    assert ev.fields["proc.exepath"] == "/usr/bin/cat"
    assert ev.fields["user.loginuid"] == 1000
    assert ev.fields["proc.tty"] == (4 << 8) | 1
    assert ev.fields["container.id"] == CID[:12]
    assert ev.container is not None and ev.container.full_id == CID
    assert ev.time == 1000
    entry = d.table.get(100)
    assert entry is not None and entry.info.args == ("/etc/shadow",)


def test_open_flags_and_fields() -> None:
    d = _decoder()
    ev = d.line(_line(*_header("S", 3), _code("openat"), -100, "/usr/bin/x", 0o1101, 0o644))
    assert ev is not None and ev.type == "openat"
    assert ev.fields["evt.arg.flags"] == "O_WRONLY|O_CREAT|O_TRUNC"
    assert ev.fields["fd.name"] == "/usr/bin/x"
    assert ev.fields["fd.typechar"] == "f"
    assert ev.fields["evt.arg.dirfd"] == -100
    assert ev.fields["evt.res"] == "SUCCESS" and ev.fields["evt.rawres"] == 3


def test_failed_call_has_errno_name() -> None:
    d = _decoder()
    ev = d.line(_line(*_header("S", -2), _code("unlink"), "/nope"))
    assert ev is not None and ev.fields["evt.res"] == "ENOENT"
    assert ev.fields["evt.arg.path"] == "/nope"


def test_rename_takes_second_path_from_b_record() -> None:
    d = _decoder()
    d.line(_line("B", 100, "/new"))
    ev = d.line(_line(*_header("S", 0), _code("renameat2"), -100, "/old", -100, 0))
    assert ev is not None
    assert ev.fields["evt.arg.oldpath"] == "/old"
    assert ev.fields["evt.arg.newpath"] == "/new"


def test_connect_ipv4_addresses_and_ports() -> None:
    d = _decoder()
    port_n = 0x5C11  # 4444 in network order, as the u16 is read on x86
    sockaddr = [0x0100007F, 0, 0]
    sk = [1, 6, 40000, 0, "100007f", "100007f", 0, 0, 0, 0]
    parts = [*_header("S", -111), _code("connect"), 5, 2, port_n]
    parts += [format(v, "x") for v in sockaddr] + sk
    ev = d.line(_line(*parts))
    assert ev is not None and ev.type == "connect"
    f = ev.fields
    assert (f["fd.sip"], f["fd.sport"], f["fd.cip"], f["fd.cport"]) == (
        "127.0.0.1",
        4444,
        "127.0.0.1",
        40000,
    )
    assert f["fd.l4proto"] == "tcp" and f["fd.typechar"] == "4"
    assert f["fd.name"] == "127.0.0.1:40000->127.0.0.1:4444"
    assert f["evt.res"] == "ECONNREFUSED"


def test_chmod_mode_and_ptrace_request_text() -> None:
    d = _decoder()
    ev = d.line(_line(*_header("S", 0), _code("fchmodat"), -100, "/tmp/x", 0o4755))
    assert ev is not None and "S_ISUID" in ev.fields["evt.arg.mode"]
    ev = d.line(_line(*_header("S", 0), _code("ptrace"), 16, 55))
    assert ev is not None and ev.fields["evt.arg.request"] == "PTRACE_ATTACH"


def test_lost_event_lines_are_counted() -> None:
    d = _decoder()
    assert d.line('{"type": "lost_events", "data": {"events": 17}}') is None
    assert d.line('{"type": "lost_events", "data": {"events": 3}}') is None
    assert d.lost == 20


def test_malformed_lines_are_counted_not_fatal() -> None:
    d = _decoder()
    for bad in ("not json", "[1]", '{"type": "printf", "data": 5}', _line("83", "x"), _line("99")):
        assert d.line(bad) is None
    assert d.malformed == 5
    ev = d.line(_line(*_header("P", 0)))
    assert ev is not None and ev.type == "procexit"


def test_high_bytes_escaped_by_bpftrace_decode_as_utf8() -> None:
    d = _decoder()
    raw = '{"type": "printf", "data": "A\\u001f100\\u001f0\\u001fcaf\\uffffffc3\\uffffffa9\\n"}'
    d.line(raw)
    ev = d.line(_line(*_header("X", 0), "execve", -1, 0))
    assert ev is not None and ev.fields["proc.exe"] == "café"


def test_own_pids_are_dropped() -> None:
    d = Decoder(ProcTable(), lambda cg, pid: "", self_pids=frozenset({100}))
    assert d.line(_line(*_header("S", 0), _code("unlink"), "/x")) is None


def test_ancestors_from_fork_and_exec() -> None:
    d = _decoder()
    d.line(_line("A", 50, 0, "bash"))
    d.line(_line(*_header("X", 0, pid=50, comm="bash"), "execve", -1, 0))
    d.line(_line(*_header("K", 100, pid=50, comm="bash")))  # bash forks 100
    d.line(_line("A", 100, 0, "cat"))
    ev = d.line(_line(*[ord("X"), 1, 100, 100, 50, 0, 7, 0, "cat"], "execve", -1, 0))
    assert ev is not None
    assert [p.name for p in ev.fields["proc.ancestors"]][:1] == ["bash"]


def test_helpers() -> None:
    assert open_flags(0) == "O_RDONLY"
    assert open_flags(0o2000002) == "O_RDWR|O_CLOEXEC"
    assert file_mode(0o755) == "S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR"
    assert errno_name(-13) == "EACCES"


def test_script_covers_required_calls() -> None:
    script, _skipped = build_script(4)
    for call in ("execve", "openat", "connect", "accept4", "fchmodat", "unlinkat", "setuid"):
        assert f"sys_exit_{call} " in script
    assert "sched_process_exit" in script and "task_newtask" in script
