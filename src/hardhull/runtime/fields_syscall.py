"""Syscall-source fields, part 1: ``evt.*``, ``proc.*``, ``thread.*``, ``user.*``,
``group.*`` (see the raw-field contract in :mod:`hardhull.model.event`; ``fd.*`` is in
:mod:`fields_fd`, ``container.*``/``k8s.*`` in :mod:`fields_container`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from hardhull.model.event import Event, ProcInfo
from hardhull.runtime.fields import Extractor, Factory, memo
from hardhull.runtime.fields_define import _f, _int, _str, derived, raw
from hardhull.runtime.jsonio import format_time_ns

# --- evt -------------------------------------------------------------------------------


def _fmt_time(ns: int) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ns // 1_000_000_000)) + (
        f".{ns % 1_000_000_000:09d}"
    )


def _datetime(ns: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ns // 1_000_000_000)) + (
        f".{ns % 1_000_000_000:09d}"
    )


def _open_flag(one: str, other: str) -> Callable[[Event], Any]:
    """True when ``one`` or ``other`` is in ``evt.arg.flags`` (Falco's ``O_...|O_...``)."""

    def fn(e: Event) -> Any:
        flags = e.fields.get("evt.arg.flags")
        if flags is None:
            return None
        text = str(flags)
        return one in text or other in text

    return fn


def _evt_args(e: Event) -> str | None:
    parts = [
        f"{k[8:]}={_fmt_list(v)}"
        for k, v in e.fields.items()
        if k.startswith("evt.arg.") and v is not None
    ]
    return " ".join(parts) if parts else None


def _fmt_list(v: Any) -> str:
    if isinstance(v, (tuple, list)):
        return ",".join(str(x) for x in v)
    return str(v)


def _evt_arg(prefix: str, numeric: bool) -> Factory:
    def factory(arg: str | None) -> Extractor:
        if arg is None:
            raise ValueError("argument name missing")
        if arg.isdigit():
            index = int(arg)

            def by_index(e: Event) -> Any:
                args = [k for k in e.fields if k.startswith("evt.arg.")]
                if index >= len(args):
                    return None
                v = e.fields[args[index]]
                return _int(v) if numeric else _str(v)

            return by_index
        key = "evt.arg." + arg

        if numeric:
            return lambda e: _int(e.fields.get(key))
        return lambda e: _str(e.fields.get(key))

    return factory


_f(
    "evt.type",
    "string",
    "the event type (syscall name, e.g. openat, execve, connect)",
    lambda _a: lambda e: e.type,
)
_f("evt.source", "string", "the event source (syscall, k8s_audit)", lambda _a: lambda e: e.source)
_f(
    "evt.time",
    "string",
    "event time as HH:MM:SS.nnnnnnnnn (local time, as Falco prints it)",
    lambda _a: lambda e: _fmt_time(e.time),
)
_f(
    "evt.time.s",
    "string",
    "event time as HH:MM:SS",
    lambda _a: lambda e: _fmt_time(e.time)[:8],
)
_f(
    "evt.time.iso8601",
    "string",
    "event time in ISO 8601 (UTC, nanoseconds)",
    lambda _a: lambda e: format_time_ns(e.time),
)
_f(
    "evt.datetime",
    "string",
    "event date and time as YYYY-MM-DD HH:MM:SS.nnnnnnnnn",
    lambda _a: lambda e: _datetime(e.time),
)
_f(
    "evt.rawtime",
    "abstime",
    "event time in nanoseconds since the epoch",
    lambda _a: lambda e: e.time,
)
_f(
    "evt.rawtime.s",
    "abstime",
    "integer seconds of the event time",
    lambda _a: lambda e: e.time // 1_000_000_000,
)
_f(
    "evt.rawtime.ns",
    "abstime",
    "fractional nanoseconds of the event time",
    lambda _a: lambda e: e.time % 1_000_000_000,
)
raw("evt.num", "uint64", "the event number")
derived(
    "evt.dir",
    "string",
    "event direction: < exit, > enter (sensors emit exit events)",
    lambda e: "<",
    cheap=True,
)
raw("evt.res", "string", "call result: SUCCESS or an errno name such as ENOENT")
raw("evt.rawres", "int64", "call result as a number (negative errno on failure)")
derived(
    "evt.failed",
    "bool",
    "true when the call failed",
    lambda e: (
        None
        if e.fields.get("evt.res") is None
        else e.fields.get("evt.res") not in ("SUCCESS", "0", 0)
    ),
)
derived("evt.args", "string", "all the event's arguments as name=value text", _evt_args)
_f(
    "evt.arg",
    "string",
    "one argument by name (evt.arg.flags or evt.arg[flags]) or by index (evt.arg[0])",
    _evt_arg("evt.arg.", False),
    arg="required",
    arg_doc="argument name or index",
    prefix=True,
)
_f(
    "evt.rawarg",
    "int64",
    "one argument by name, as a number (evt.rawarg.res)",
    _evt_arg("evt.arg.", True),
    arg="required",
    arg_doc="argument name",
    prefix=True,
)
raw("evt.buffer", "bytes", "the data buffer of a read/write event")
derived(
    "evt.is_open_read",
    "bool",
    "open call with read access (O_RDONLY or O_RDWR in evt.arg.flags)",
    _open_flag("O_RDONLY", "O_RDWR"),
)
derived(
    "evt.is_open_write",
    "bool",
    "open call with write access (O_WRONLY or O_RDWR in evt.arg.flags)",
    _open_flag("O_WRONLY", "O_RDWR"),
)
derived(
    "evt.is_open_exec",
    "bool",
    "open call that creates or opens a file for execution (O_EXEC flag)",
    _open_flag("O_EXEC", "FMODE_EXEC"),
)
derived(
    "evt.is_open_create",
    "bool",
    "open call that creates a file (O_CREAT or O_TMPFILE)",
    _open_flag("O_CREAT", "O_TMPFILE"),
)
raw("evt.hostname", "string", "host name of the machine the event came from")
raw("evt.category", "string", "event category (file, net, process...)")
raw("falco.rule", "string", "Falco JSON input: the rule the feeding Falco raised")
raw("falco.priority", "string", "Falco JSON input: that rule's priority")
raw("falco.hostname", "string", "Falco JSON input: the host the feeding Falco runs on")
raw("falco.output", "string", "Falco JSON input: the feeding Falco's output text")

# --- proc / thread -----------------------------------------------------------------------


def _ancestors(e: Event) -> tuple[ProcInfo, ...]:
    a = e.fields.get("proc.ancestors")
    return a if isinstance(a, tuple) else tuple(a) if isinstance(a, list) else ()


def _self_info(e: Event) -> ProcInfo:
    f = e.fields
    return ProcInfo(
        pid=_int(f.get("proc.pid")) or 0,
        name=_str(f.get("proc.name")) or "",
        exe=_str(f.get("proc.exe")) or "",
        exepath=_str(f.get("proc.exepath")) or "",
        args=tuple(f.get("proc.args") or ()),
    )


def _cmdline(p: ProcInfo) -> str:
    return " ".join((p.name, *p.args)) if p.args else p.name


def _args_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, (tuple, list)):
        return " ".join(str(x) for x in v)
    return str(v)


_ANCESTOR_ATTRS: dict[str, Callable[[ProcInfo], Any]] = {
    "name": lambda p: p.name or None,
    "exe": lambda p: p.exe or None,
    "exepath": lambda p: p.exepath or None,
    "pid": lambda p: p.pid,
    "cmdline": lambda p: _cmdline(p) or None,
}


def _parent_field(attr: str) -> Callable[[Event], Any]:
    get = _ANCESTOR_ATTRS[attr]

    def fn(e: Event) -> Any:
        anc = _ancestors(e)
        return get(anc[0]) if anc else None

    return fn


def _ancestor_factory(attr: str) -> Factory:
    get = _ANCESTOR_ATTRS[attr]

    def factory(arg: str | None) -> Extractor:
        if arg is None:

            def any_ancestor(e: Event) -> Any:
                vals = tuple(v for v in (get(p) for p in _ancestors(e)) if v is not None)
                return vals or None

            return memo(any_ancestor)
        n = int(arg)
        if n < 0:
            raise ValueError("ancestor index must be >= 0")
        if n == 0:
            return lambda e: get(_self_info(e))

        def nth(e: Event) -> Any:
            anc = _ancestors(e)
            return get(anc[n - 1]) if len(anc) >= n else None

        return nth

    return factory


raw("proc.pid", "int64", "process id")
raw("proc.ppid", "int64", "parent process id")
raw("proc.vpid", "int64", "process id as seen from its pid namespace")
raw("proc.tid", "int64", "thread id")
raw("proc.sid", "int64", "session id")
raw("proc.vpgid", "int64", "process group id as seen from its pid namespace")
raw("proc.name", "string", "process name (comm, truncated to 15 characters by the kernel)")
raw("proc.exe", "string", "first command-line argument (argv[0])")
raw("proc.exepath", "string", "full path of the executable")
_proc_args = memo(lambda e: _args_text(e.fields.get("proc.args")))
_f(
    "proc.args",
    "string",
    "command-line arguments after argv[0], joined with spaces",
    lambda _a: _proc_args,
)
_proc_cmdline = memo(lambda e: e.fields.get("proc.cmdline") or _cmdline_of(e))
_f(
    "proc.cmdline",
    "string",
    "process name and arguments (proc.name + proc.args)",
    lambda _a: _proc_cmdline,
)


def _cmdline_of(e: Event) -> str | None:
    name = e.fields.get("proc.name")
    if name is None:
        return None
    args = _args_text(e.fields.get("proc.args"))
    return f"{name} {args}" if args else str(name)


derived(
    "proc.cmdnargs",
    "uint64",
    "number of command-line arguments",
    lambda e: None if e.fields.get("proc.args") is None else len(tuple(e.fields["proc.args"])),
)
raw("proc.cwd", "string", "current working directory")
raw("proc.tty", "int64", "controlling terminal (0 = none)")
_f(
    "proc.env",
    "string",
    "environment variables joined with spaces, or one by name (proc.env[HOME])",
    lambda arg: _env(arg),
    arg="optional",
    arg_doc="variable name",
)


def _env(arg: str | None) -> Extractor:
    if arg is None:
        return lambda e: _args_text(e.fields.get("proc.env"))
    prefix = arg + "="

    def one(e: Event) -> Any:
        for item in e.fields.get("proc.env") or ():
            if str(item).startswith(prefix):
                return str(item)[len(prefix) :]
        return None

    return one


raw("proc.is_exe_upper_layer", "bool", "executable lives in the container's writable layer")
raw("proc.is_exe_from_memfd", "bool", "executable was loaded from a memfd")
raw("proc.is_exe_writable", "bool", "executable is writable by the process's user")
derived(
    "proc.is_vpgid_leader",
    "bool",
    "process is the leader of its process group (vpid = vpgid)",
    lambda e: (
        None
        if e.fields.get("proc.vpgid") is None or e.fields.get("proc.vpid") is None
        else _int(e.fields["proc.vpgid"]) == _int(e.fields["proc.vpid"])
    ),
)
derived(
    "proc.is_sid_leader",
    "bool",
    "process is the leader of its session (pid = sid)",
    lambda e: (
        None
        if e.fields.get("proc.sid") is None or e.fields.get("proc.pid") is None
        else _int(e.fields["proc.sid"]) == _int(e.fields["proc.pid"])
    ),
)
raw("proc.sname", "string", "name of the session leader (when the source knows it)")
raw("proc.duration", "reltime", "nanoseconds since the process started")
raw("proc.exe_ino.ctime", "abstime", "change time of the executable's inode (ns)")
raw("proc.exe_ino.mtime", "abstime", "modification time of the executable's inode (ns)")
raw(
    "proc.exe_ino.ctime_duration_proc_start",
    "reltime",
    "nanoseconds between the executable's ctime and the process start",
)
derived("proc.pname", "string", "parent process name", _parent_field("name"))
derived("proc.pexe", "string", "parent's argv[0]", _parent_field("exe"))
derived("proc.pexepath", "string", "parent's executable path", _parent_field("exepath"))
derived("proc.pcmdline", "string", "parent's command line", _parent_field("cmdline"))
for _attr, _doc in (
    ("name", "name"),
    ("exe", "argv[0]"),
    ("exepath", "executable path"),
    ("pid", "pid"),
    ("cmdline", "command line"),
):
    _f(
        f"proc.a{_attr}",
        "int64" if _attr == "pid" else "string",
        f"ancestor {_doc}: [0] the process itself, [1] parent, [2] grandparent...; "
        "without index, matches any ancestor",
        _ancestor_factory(_attr),
        arg="optional",
        arg_doc="ancestor level",
        kind="any",
    )
raw("thread.tid", "int64", "thread id")
raw("thread.vtid", "int64", "thread id as seen from its pid namespace")
for _cap in ("effective", "permitted", "inheritable"):
    _f(
        f"thread.cap_{_cap}",
        "string",
        f"{_cap} capabilities (CAP_ names joined with spaces)",
        (lambda key: lambda _a: lambda e: _args_text(e.fields.get(key)))(f"thread.cap_{_cap}"),
    )

# --- user / group ------------------------------------------------------------------------

raw("user.uid", "uint32", "user id")
raw("user.name", "string", "user name")
raw("user.loginuid", "int64", "audit login uid (-1 when not set)")
raw("user.loginname", "string", "name of the login user")
raw("user.homedir", "string", "home directory of the user")
raw("user.shell", "string", "login shell of the user")
raw("group.gid", "uint32", "group id")
raw("group.name", "string", "group name")
