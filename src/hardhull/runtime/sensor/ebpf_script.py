"""The bpftrace program of the kernel sensor, generated from a table of syscalls.

Every record is one ``printf`` (so ``bpftrace -f json`` frames it as one JSON line) whose
fields are separated by ``\\x1f``. All records start with the same header::

    CODE NSECS PID TID PPID UID CGROUP RET COMM

(``CGROUP`` is the kernfs id of the task's cgroup in the hierarchy chosen at start, the
inode number of its directory). Then come the call's arguments in the order of
:data:`SYSCALLS`. Records:

* ``A``: one exec argument, ``TID INDEX TEXT`` (index -1 is the filename); emitted on
  ``sys_enter_execve``/``execveat`` because the memory is gone after a successful exec.
* ``X``: exec result (header + ``LOGINUID TTY``); ``P``: process exit (header + exit
  code); ``K``: fork of a process (not a thread): header + child pid.
* ``S``: any other syscall in :data:`SYSCALLS`: header + ``NAME`` + the arguments.

Arguments are saved per thread on entry in one map of tuples and emitted on exit, so a
record carries the result. In-kernel filtering: opens are emitted only when they write
(``O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND``) or read below a sensitive prefix
(:data:`SENSITIVE_PREFIXES`, minus ``/etc/ld.so.cache`` that every dynamic exec reads);
connect/accept only for unix, IPv4 and IPv6 sockets. The sensor's own pid is excluded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

TRACEFS_SYSCALLS = Path("/sys/kernel/tracing/events/syscalls")

MAX_ARGS = 32
"""argv elements captured per exec (argv[0] included); more are reported as truncated."""

STRLEN = 128
"""Bytes captured per string (BPFTRACE_STRLEN; 512-byte BPF stack limits it); longer
paths and arguments are cut."""

SENSITIVE_PREFIXES = (
    "/etc/",
    "/root/.ssh",
    "/var/run/secrets/",
    "/run/secrets/",
    "/home/",
    "/var/lib/kubelet/",
)
"""Compared on their first 8 bytes in the kernel (``/root/.s``, ``/var/run``, ``/run/sec``,
``/var/lib``), so the kernel filter is slightly wider than this list."""

_WRITE_FLAGS = 0x1 | 0x2 | 0x40 | 0x200 | 0x400  # O_WRONLY O_RDWR O_CREAT O_TRUNC O_APPEND

SEP = "\x1f"


@dataclass(frozen=True, slots=True)
class Arg:
    """One saved argument: its tracepoint name, kind and Falco ``evt.arg`` name.

    kinds: ``s`` user string, ``i`` signed 32-bit, ``u`` unsigned, ``l`` signed 64-bit,
    ``x`` a pointer read specially (sockaddr / open_how), never printed raw.
    """

    tp: str
    kind: str
    falco: str


@dataclass(frozen=True, slots=True)
class Syscall:
    name: str
    args: tuple[Arg, ...]


def _a(spec: str) -> tuple[Arg, ...]:
    out = []
    for part in spec.split():
        tp, kind, falco = part.split(":")
        out.append(Arg(tp, kind, falco))
    return tuple(out)


SYSCALLS: tuple[Syscall, ...] = (
    Syscall("open", _a("filename:s:name flags:i:flags mode:u:mode")),
    Syscall("openat", _a("dfd:i:dirfd filename:s:name flags:i:flags mode:u:mode")),
    Syscall("openat2", _a("dfd:i:dirfd filename:s:name how:x:how")),
    Syscall("chmod", _a("filename:s:filename mode:u:mode")),
    Syscall("fchmod", _a("fd:i:fd mode:u:mode")),
    Syscall("fchmodat", _a("dfd:i:dirfd filename:s:filename mode:u:mode")),
    Syscall("fchmodat2", _a("dfd:i:dirfd filename:s:filename mode:u:mode")),
    Syscall("chown", _a("filename:s:path user:i:uid group:i:gid")),
    Syscall("lchown", _a("filename:s:path user:i:uid group:i:gid")),
    Syscall("fchown", _a("fd:i:fd user:i:uid group:i:gid")),
    Syscall("fchownat", _a("dfd:i:dirfd filename:s:pathname user:i:uid group:i:gid flag:i:flags")),
    Syscall("unlink", _a("pathname:s:path")),
    Syscall("unlinkat", _a("dfd:i:dirfd pathname:s:name flag:i:flags")),
    Syscall("rename", _a("oldname:s:oldpath newname:s:newpath")),
    Syscall(
        "renameat", _a("olddfd:i:olddirfd oldname:s:oldpath newdfd:i:newdirfd newname:s:newpath")
    ),
    Syscall(
        "renameat2",
        _a("olddfd:i:olddirfd oldname:s:oldpath newdfd:i:newdirfd newname:s:newpath flags:u:flags"),
    ),
    Syscall("setuid", _a("uid:i:uid")),
    Syscall("setgid", _a("gid:i:gid")),
    Syscall("setreuid", _a("ruid:i:ruid euid:i:euid")),
    Syscall("setregid", _a("rgid:i:rgid egid:i:egid")),
    Syscall("setresuid", _a("ruid:i:ruid euid:i:euid suid:i:suid")),
    Syscall("setresgid", _a("rgid:i:rgid egid:i:egid sgid:i:sgid")),
    Syscall("ptrace", _a("request:l:request pid:l:pid")),
    Syscall("mount", _a("dev_name:s:dev dir_name:s:dir type:s:type flags:u:flags")),
    Syscall("init_module", _a("len:u:length uargs:s:uargs")),
    Syscall("finit_module", _a("fd:i:fd uargs:s:uargs flags:u:flags")),
    Syscall("memfd_create", _a("uname:s:name flags:u:flags")),
    Syscall("bpf", _a("cmd:i:cmd")),
    Syscall("connect", _a("fd:i:fd uservaddr:x:addr")),
    Syscall("accept", _a("fd:i:fd")),
    Syscall("accept4", _a("fd:i:fd flags:i:flags")),
)

_HEADER_FMT = SEP.join(["%d", "%llu", "%d", "%d", "%d", "%d", "%llu", "%lld", "%s"])


def _header(code: str, ret: str) -> tuple[str, str]:
    """(format, argument list) of the common header."""
    return (
        _HEADER_FMT,
        f"{ord(code)}, nsecs, pid, tid, curtask->real_parent->tgid, uid, $cg, (int64){ret}, comm",
    )


def _cgroup_expr(subsys: int | None) -> str:
    if subsys is None:  # cgroup v2: the unified hierarchy
        return "curtask->cgroups->dfl_cgrp->kn->id"
    return f"curtask->cgroups->subsys[{subsys}]->cgroup->kn->id"


def _exec_probes(cg: str) -> list[str]:
    out = []
    for name, fn_arg in (("execve", "filename"), ("execveat", "filename")):
        if not (TRACEFS_SYSCALLS / f"sys_enter_{name}").exists():
            continue
        out.append(
            f"tracepoint:syscalls:sys_enter_{name} /pid != $1/ {{\n"
            f'  printf("A{SEP}%d{SEP}-1{SEP}%s\\n", tid, str(args->{fn_arg}));\n'
            "  $i = 0;\n"
            f"  unroll({MAX_ARGS + 1}) {{\n"
            "    $p = *(uint64 *)((uint64)args->argv + $i * 8);\n"
            "    if ($p == 0) { return; }\n"
            f'    printf("A{SEP}%d{SEP}%d{SEP}%s\\n", tid, $i, str($p));\n'
            "    $i++;\n"
            "  }\n"
            "}\n"
            f"tracepoint:syscalls:sys_exit_{name} /pid != $1/ {{\n"
            f"  $cg = {cg};\n"
            "  $t = curtask->signal->tty; $tty = (uint64)0;\n"
            "  if ($t != 0) { $tty = ((uint64)$t->driver->major << 20)"
            " | (uint64)($t->driver->minor_start + $t->index); }\n"
            f'  printf("{_HEADER_FMT}{SEP}%s{SEP}%d{SEP}%llu\\n", '
            f"{ord('X')}, nsecs, pid, tid, curtask->real_parent->tgid, uid, $cg, "
            f'(int64)args->ret, comm, "{name}", (int32)curtask->loginuid.val, $tty);\n'
            "}\n"
        )
    return out


def _word(text: str) -> tuple[int, int]:
    """(value, mask) comparing the first <= 8 bytes of a string read as a little-endian u64."""
    raw = text.encode()[:8]
    return int.from_bytes(raw, "little"), (1 << (8 * len(raw))) - 1


def _open_filter(ptr: str, flags: str) -> str:
    """Emit writes, and reads whose path starts with a sensitive prefix (compared on the
    first 8 bytes, read as one word: no string copy on the BPF stack)."""
    tests = []
    for p in SENSITIVE_PREFIXES:
        value, mask = _word(p)
        tests.append(f"($w & {mask:#x}) == {value:#x}")
    cache0, _ = _word("/etc/ld.so.cache")
    cache1, _ = _word("/etc/ld.so.cache"[8:])
    return (
        f"(({flags}) & {_WRITE_FLAGS:#x}) != 0 || "
        f"(({' || '.join(tests)}) && !($w == {cache0:#x} && *(uint64 *)({ptr} + 8) == {cache1:#x}))"
    )


def _syscall_probes(sc: Syscall, code: int, cg: str) -> str:
    saved = ", ".join(f"(uint64)args->{a.tp}" for a in sc.args)
    enter = (
        f"tracepoint:syscalls:sys_enter_{sc.name} /pid != $1/ {{ "
        f"@s[tid] = ({code}, {saved}{', (uint64)0' * (6 - len(sc.args))}); }}\n"
    )
    fmt = [_HEADER_FMT, "%d"]
    vals = [_header("S", "args->ret")[1], str(code)]
    extra: list[str] = []  # strings after the first go in their own B records first
    nstr = 0
    pre = [f"  $t = @s[tid]; delete(@s[tid]); $cg = {cg};"]
    cond = ""
    for i, a in enumerate(sc.args, start=1):
        if a.kind == "s":
            nstr += 1
            if nstr == 1:
                fmt.append("%s")
                vals.append(f"str($t.{i})")
            else:
                extra.append(f'printf("B{SEP}%d{SEP}%s\\n", tid, str($t.{i}));')
        elif a.kind == "x" and a.tp == "how":
            fmt += ["%llu", "%llu"]
            vals += [f"*(uint64 *)$t.{i}", f"*(uint64 *)($t.{i} + 8)"]
        elif a.kind == "x":  # sockaddr: family, port, 24 bytes of address / path
            pre.append(f"  $fam = *(uint16 *)$t.{i};")
            cond = "$fam == 1 || $fam == 2 || $fam == 10"
            fmt += ["%u", "%u", "%llx", "%llx", "%llx"]
            vals += [
                "$fam",
                f"*(uint16 *)($t.{i} + 2)",
                f"*(uint64 *)($t.{i} + 4)",
                f"*(uint64 *)($t.{i} + 12)",
                f"*(uint64 *)($t.{i} + 20)",
            ]
            extra.append(  # the unix socket path, in its own record
                f'if ($fam == 1) {{ printf("B{SEP}%d{SEP}%s\\n", tid, str($t.{i} + 2, 108)); }}'
            )
        else:
            fmt.append("%lld")
            vals.append(f"(int64)$t.{i}")
    if sc.name in ("open", "openat"):
        idx = [a.tp for a in sc.args]
        ptr = f"$t.{idx.index('filename') + 1}"
        pre.append(f"  $w = *(uint64 *){ptr};")
        cond = _open_filter(ptr, f"$t.{idx.index('flags') + 1}")
    elif sc.name == "openat2":
        pre.append("  $w = *(uint64 *)$t.2;")
        cond = _open_filter("$t.2", "*(uint64 *)$t.3")
    if sc.name in ("connect", "accept", "accept4"):
        fd = "args->ret" if sc.name != "connect" else "$t.1"
        pre.append(
            f"  $sk = ((struct socket *)(*(curtask->files->fdt->fd + (int32){fd}))"
            "->private_data)->sk;"
        )
        if sc.name != "connect":
            pre.append("  $fam = $sk->__sk_common.skc_family;")
            cond = "args->ret >= 0 && ($fam == 1 || $fam == 2 || $fam == 10)"
        fmt += ["%u", "%u", "%u", "%u", "%x", "%x"]
        vals += [
            "$sk->sk_type",
            "$sk->sk_protocol",
            "$sk->__sk_common.skc_num",
            "$sk->__sk_common.skc_dport",
            "$sk->__sk_common.skc_rcv_saddr",
            "$sk->__sk_common.skc_daddr",
        ]
        v6 = ["skc_v6_rcv_saddr"] + (["skc_v6_daddr"] if sc.name != "connect" else [])
        for field in v6:
            for w in range(4):
                fmt.append("%x")
                vals.append(f"$sk->__sk_common.{field}.in6_u.u6_addr32[{w}]")
        if sc.name != "connect":
            fmt.append("%u")
            vals.append("$fam")
    body = "\n".join(pre)
    emit = " ".join([*extra, f'printf("{SEP.join(fmt)}\\n", {", ".join(vals)});'])
    if cond:
        emit = f"if ({cond}) {{ {emit} }}"
    if sc.name == "accept" or sc.name == "accept4":
        enter = (
            f"tracepoint:syscalls:sys_enter_{sc.name} /pid != $1/ {{ "
            f"@s[tid] = ({code}, {saved}{', (uint64)0' * (6 - len(sc.args))}); }}\n"
        )
    return (
        enter + f"tracepoint:syscalls:sys_exit_{sc.name} /@s[tid].0 == {code}/ {{\n"
        f"{body}\n  {emit}\n}}\n"
    )


def available(sc: Syscall) -> bool:
    return (TRACEFS_SYSCALLS / f"sys_enter_{sc.name}").exists()


def build_script(subsys: int | None) -> tuple[str, tuple[str, ...]]:
    """The bpftrace program and the syscalls skipped because this kernel lacks their
    tracepoints (e.g. ``init_module`` without CONFIG_MODULES). ``$1`` is the pid to
    exclude (the sensor's own)."""
    cg = _cgroup_expr(subsys)
    parts = _exec_probes(cg)
    skipped = []
    for code, sc in enumerate(SYSCALLS, start=1):
        if not available(sc):
            skipped.append(sc.name)
            continue
        parts.append(_syscall_probes(sc, code, cg))
    parts.append(
        "tracepoint:sched:sched_process_exit /pid == tid && pid != $1/ {\n"
        f"  $cg = {cg};\n"
        f'  printf("{_HEADER_FMT}\\n", 80, nsecs, pid, tid, '
        "curtask->real_parent->tgid, uid, $cg, (int64)(curtask->exit_code >> 8), comm);\n"
        "}\n"
        "tracepoint:task:task_newtask /(args->clone_flags & 0x10000) == 0 && pid != $1/ {\n"
        f"  $cg = {cg};\n"
        f'  printf("{_HEADER_FMT}\\n", 75, nsecs, pid, tid, '
        "curtask->real_parent->tgid, uid, $cg, (int64)args->pid, comm);\n"
        "}\n"
    )
    return "\n".join(parts), tuple(skipped)
