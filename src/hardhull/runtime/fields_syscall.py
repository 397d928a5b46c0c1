"""Syscall-source fields: ``evt.*``, ``proc.*``, ``thread.*``, ``user.*``, ``group.*``,
``fd.*``, ``container.*``, ``k8s.*`` (see the raw-field contract in
:mod:`hardhull.model.event`)."""

from __future__ import annotations

import fnmatch
import ipaddress
import posixpath
import time
from collections.abc import Callable
from typing import Any

from hardhull.model.event import ContainerInfo, Event, ProcInfo
from hardhull.runtime.fields import Extractor, Factory, FieldDef, define, memo

_FD_TYPES = {
    "f": "file",
    "4": "ipv4",
    "6": "ipv6",
    "u": "unix",
    "p": "pipe",
    "e": "event",
    "s": "signalfd",
    "l": "eventpoll",
    "i": "inotify",
    "b": "bpf",
    "d": "directory",
    "m": "memfd",
    "o": "unknown",
}


def _int(v: Any) -> int | None:
    if v is None or isinstance(v, int):
        return v  # bool is an int too; fine for comparisons
    try:
        return int(str(v), 0)
    except ValueError:
        return None


def _str(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else str(v)


def _bool(v: Any) -> bool | None:
    if v is None or isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("true", "1", "yes"):
        return True
    if s in ("false", "0", "no"):
        return False
    return None


def _f(
    name: str,
    type_: str,
    doc: str,
    factory: Factory,
    **kw: Any,
) -> None:
    define(FieldDef(name=name, type=type_, doc=doc, factory=factory, **kw))


def _raw(key: str, type_: str) -> Factory:
    if type_ in ("int64", "uint64", "uint32", "port", "abstime", "reltime"):

        def f(_a: str | None) -> Extractor:
            def ex(e: Event) -> Any:
                v = e.fields.get(key)
                return v if v is None or type(v) is int else _int(v)

            return ex

        return f
    if type_ == "bool":
        return lambda _a: lambda e: _bool(e.fields.get(key))
    if type_ == "string":

        def fs(_a: str | None) -> Extractor:
            def ex(e: Event) -> Any:
                v = e.fields.get(key)
                return v if v is None or type(v) is str else _str(v)

            return ex

        return fs
    return lambda _a: lambda e: e.fields.get(key)


def raw(name: str, type_: str, doc: str, **kw: Any) -> None:
    _f(name, type_, doc, _raw(name, type_), raw_key=name, **kw)


def derived(
    name: str,
    type_: str,
    doc: str,
    fn: Callable[[Event], Any],
    *,
    cheap: bool = False,
    **kw: Any,
) -> None:
    """A field computed from the event; a raw key of the same name wins when present.
    Unless ``cheap``, the computation is memoised for the last event (see ``memo``)."""
    compute = fn if cheap else memo(fn)

    def factory(_a: str | None) -> Extractor:
        def ex(e: Event) -> Any:
            v = e.fields.get(name)
            return compute(e) if v is None else v

        return ex

    _f(name, type_, doc, factory, derive=compute, **kw)


# --- evt -------------------------------------------------------------------------------


def _fmt_time(ns: int) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ns // 1_000_000_000)) + (
        f".{ns % 1_000_000_000:09d}"
    )


def _iso(ns: int) -> str:
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 1_000_000_000))
        + f".{ns % 1_000_000_000:09d}Z"
    )


def _datetime(ns: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ns // 1_000_000_000)) + (
        f".{ns % 1_000_000_000:09d}"
    )


def _open_flag(flag: str) -> Callable[[Event], Any]:
    def fn(e: Event) -> Any:
        flags = e.fields.get("evt.arg.flags")
        if flags is None:
            return None
        text = str(flags)
        if flag == "read":
            return "O_RDONLY" in text or "O_RDWR" in text
        if flag == "write":
            return "O_WRONLY" in text or "O_RDWR" in text
        if flag == "create":
            return "O_CREAT" in text or "O_TMPFILE" in text
        return "O_EXEC" in text or "__O_EXEC" in text or "FMODE_EXEC" in text

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
    lambda _a: lambda e: _iso(e.time),
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
    _open_flag("read"),
)
derived(
    "evt.is_open_write",
    "bool",
    "open call with write access (O_WRONLY or O_RDWR in evt.arg.flags)",
    _open_flag("write"),
)
derived(
    "evt.is_open_exec",
    "bool",
    "open call that creates or opens a file for execution (O_EXEC flag)",
    _open_flag("exec"),
)
derived(
    "evt.is_open_create",
    "bool",
    "open call that creates a file (O_CREAT or O_TMPFILE)",
    _open_flag("create"),
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

# --- fd ----------------------------------------------------------------------------------


def _is_file(e: Event) -> bool:
    tc = e.fields.get("fd.typechar")
    return tc is None or tc in ("f", "d")


def _dirname(path: str) -> str:
    """``posixpath.dirname`` without its generality (hot: Falco rules test fd.directory)."""
    head = path[: path.rfind("/") + 1]
    if head and head != "/" * len(head):
        head = head.rstrip("/")
    return head


def _dir(e: Event) -> Any:
    name = e.fields.get("fd.name")
    if name is None or not _is_file(e):
        return None
    return _dirname(name if type(name) is str else str(name)) or None


def _filename(e: Event) -> Any:
    name = e.fields.get("fd.name")
    if name is None or not _is_file(e):
        return None
    return posixpath.basename(str(name))


def _is_server(e: Event) -> bool:
    v = e.fields.get("fd.is_server")
    if v is not None:
        return bool(_bool(v))
    return e.type in ("accept", "accept4", "listen", "bind", "recvfrom")


def _local(role: str, which: str) -> Callable[[Event], Any]:
    """lip/lport/rip/rport: local is the server side for servers, the client otherwise."""

    def fn(e: Event) -> Any:
        server = _is_server(e)
        side = ("s" if server else "c") if role == "l" else ("c" if server else "s")
        v = e.fields.get(f"fd.{side}{which}")
        return _int(v) if which == "port" else v

    return fn


def _both(which: str) -> Callable[[Event], Any]:
    def fn(e: Event) -> Any:
        vals = tuple(
            v for v in (e.fields.get(f"fd.c{which}"), e.fields.get(f"fd.s{which}")) if v is not None
        )
        if which == "port":
            vals = tuple(x for x in (_int(v) for v in vals) if x is not None)
        return vals or None

    return fn


raw("fd.num", "int64", "file descriptor number")
derived(
    "fd.type",
    "string",
    "fd type: file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify...",
    lambda e: (
        None
        if e.fields.get("fd.typechar") is None
        else _FD_TYPES.get(str(e.fields["fd.typechar"]), "unknown")
    ),
)
raw("fd.typechar", "string", "fd type as one character: f 4 6 u p e s l i b o")
raw("fd.name", "string", "file path, or the connection tuple for sockets")
raw("fd.nameraw", "string", "fd name as passed to the call, not resolved")
derived("fd.directory", "string", "directory of a file fd", _dir)
derived("fd.filename", "string", "file name (without directory) of a file fd", _filename)
raw("fd.cip", "ipaddr", "client IP address")
raw("fd.sip", "ipaddr", "server IP address")
raw("fd.cport", "port", "client port")
raw("fd.sport", "port", "server port")
derived("fd.lip", "ipaddr", "local IP address", _local("l", "ip"))
derived("fd.rip", "ipaddr", "remote IP address", _local("r", "ip"))
derived("fd.lport", "port", "local port", _local("l", "port"))
derived("fd.rport", "port", "remote port", _local("r", "port"))
_fd_ips = memo(_both("ip"))
_f(
    "fd.ip",
    "ipaddr",
    "(filter only) matches the client or the server IP address",
    lambda _a: _fd_ips,
    kind="any",
)
_f(
    "fd.port",
    "port",
    "(filter only) matches the client or the server port",
    lambda _a: memo(_both("port")),
    kind="any",
)
_f(
    "fd.net",
    "ipnet",
    "(filter only) matches the client or server IP address against a network (CIDR)",
    lambda _a: _fd_ips,
    kind="any",
)
derived(
    "fd.cnet",
    "ipnet",
    "client IP address, compared against networks",
    lambda e: e.fields.get("fd.cip"),
    cheap=True,
)
derived(
    "fd.snet",
    "ipnet",
    "server IP address, compared against networks",
    lambda e: e.fields.get("fd.sip"),
    cheap=True,
)
derived("fd.lnet", "ipnet", "local IP address, compared against networks", _local("l", "ip"))
derived("fd.rnet", "ipnet", "remote IP address, compared against networks", _local("r", "ip"))
for _side, _desc in (("c", "client"), ("s", "server"), ("l", "local"), ("r", "remote")):
    raw(f"fd.{_side}ip.name", "string", f"domain name of the {_desc} IP (when resolved)")
raw("fd.l4proto", "string", "layer-4 protocol: tcp, udp, icmp, raw")
raw("fd.sockfamily", "string", "socket family: ip or unix")
derived("fd.is_server", "bool", "the process is the server side of the connection", _is_server)
raw("fd.connected", "bool", "the socket is connected")
raw("fd.name_changed", "bool", "the fd name changed during this event (e.g. connect on UDP)")
raw("fd.dev", "uint32", "device number of the file")
raw("fd.ino", "uint64", "inode number of the file")

# --- container ---------------------------------------------------------------------------


def _c(get: Callable[[ContainerInfo], Any], raw_key: str) -> Factory:
    def factory(_a: str | None) -> Extractor:
        def ex(e: Event) -> Any:
            c = e.container
            if c is None:
                return e.fields.get(raw_key)
            v = get(c)
            return v if v not in ("", None) else e.fields.get(raw_key)

        return ex

    return factory


def _mounts_of(e: Event) -> tuple[tuple[str, str, str, str, str], ...] | None:
    """The container's mounts as (source, dest, mode, rdwr, propagation) texts: from
    :attr:`ContainerInfo.mounts`, else the raw ``container.mounts`` key
    (``src:dest:mode:rdwr:propagation``, comma separated, as Falco prints it)."""
    c = e.container
    if c is not None and c.mounts:
        return tuple(
            (m.source, m.dest, m.mode, "true" if m.rw else "false", m.propagation) for m in c.mounts
        )
    m = e.fields.get("container.mounts")
    if m is None:
        return None
    items = [i for i in m.split(",") if i] if isinstance(m, str) else list(m)
    out = []
    for item in items:
        parts = [*str(item).split(":"), "", "", "", "", ""][:5]
        out.append((parts[0], parts[1], parts[2], parts[3], parts[4]))
    return tuple(out)


_mounts = memo(_mounts_of)


def _mounts_text(e: Event) -> str | None:
    m = _mounts(e)
    return None if m is None else ",".join(":".join(x) for x in m)


def _mount_factory(col: int) -> Factory:
    def factory(arg: str | None) -> Extractor:
        if arg is None:
            raise ValueError("needs an index or a path")
        key_col = 1 if col == 0 else 0
        if arg.isdigit():
            n = int(arg)

            def by_index(e: Event) -> Any:
                m = _mounts(e)
                if m is None:
                    return "<NA>"
                return m[n][col] if n < len(m) else "<NA>"

            return by_index

        def by_path(e: Event) -> Any:
            m = _mounts(e)
            if m is None:
                return "<NA>"  # as the container plugin prints "not found"
            for mount in m:
                if fnmatch.fnmatchcase(mount[key_col], arg):
                    return mount[col]
            return "<NA>"

        return by_path

    return factory


_f(
    "container.id",
    "string",
    "container id (12 hex characters; host for the host)",
    _c(lambda c: c.id, "container.id"),
)
_f("container.full_id", "string", "full container id", _c(lambda c: c.full_id, "container.full_id"))
_f("container.name", "string", "container name", _c(lambda c: c.name, "container.name"))
_f(
    "container.image",
    "string",
    "image reference the container runs",
    _c(lambda c: c.image, "container.image"),
)
_f("container.image.id", "string", "image id", _c(lambda c: c.image_id, "container.image.id"))
_f(
    "container.image.repository",
    "string",
    "image repository (without tag or digest)",
    _c(lambda c: c.image_repository, "container.image.repository"),
)
_f("container.image.tag", "string", "image tag", _c(lambda c: c.image_tag, "container.image.tag"))
_f(
    "container.image.digest",
    "string",
    "image manifest digest (sha256:...)",
    _c(lambda c: c.image_digest, "container.image.digest"),
)
_f(
    "container.type",
    "string",
    "container engine (podman, docker, containerd...)",
    _c(lambda c: c.engine, "container.type"),
)
_f(
    "container.privileged",
    "bool",
    "the container runs privileged",
    lambda _a: (
        lambda e: (
            e.container.privileged
            if e.container is not None and e.container.privileged is not None
            else _bool(e.fields.get("container.privileged"))
        )
    ),
)
_f(
    "container.start_ts",
    "abstime",
    "container start time (ns since the epoch)",
    lambda _a: (
        lambda e: (
            e.container.started_at
            if e.container is not None and e.container.started_at
            else _int(e.fields.get("container.start_ts"))
        )
    ),
)
derived(
    "container.duration",
    "reltime",
    "nanoseconds since the container started",
    lambda e: (
        e.time - e.container.started_at
        if e.container is not None and e.container.started_at
        else None
    ),
)
_f(
    "container.label",
    "string",
    "container label by key (container.label[app])",
    lambda arg: lambda e: e.container.labels.get(arg or "") if e.container else None,
    arg="required",
    arg_doc="label key",
)
_f(
    "container.labels",
    "string",
    "container labels as key:value, comma separated",
    lambda _a: (
        lambda e: (
            ", ".join(f"{k}:{v}" for k, v in sorted(e.container.labels.items())) or None
            if e.container
            else None
        )
    ),
)
_f(
    "container.mounts",
    "string",
    "container mounts (source:dest:mode:rdwr:propagation, comma separated)",
    lambda _a: _mounts_text,
)
for _n, _col, _d in (
    ("container.mount.source", 0, "mount source by index or by destination path (glob)"),
    ("container.mount.dest", 1, "mount destination by index or by source path (glob)"),
    ("container.mount.mode", 2, "mount mode by index or by source path (glob)"),
    ("container.mount.rdwr", 3, "mount read/write flag by index or by source path (glob)"),
    ("container.mount.propagation", 4, "mount propagation by index or by source path (glob)"),
):
    _f(
        _n,
        "string",
        _d + "; <NA> when not found",
        _mount_factory(_col),
        arg="required",
        arg_doc="index or path glob",
    )
_f(
    "container.mount",
    "string",
    "one mount (source:dest:mode:rdwr:propagation) by index or source path (glob)",
    lambda arg: _mount_whole(arg),
    arg="required",
    arg_doc="index or path glob",
)


def _mount_whole(arg: str | None) -> Extractor:
    if arg is None:
        raise ValueError("needs an index or a path")

    def ex(e: Event) -> Any:
        m = _mounts(e)
        if m is None:
            return None
        if arg.isdigit():
            n = int(arg)
            return ":".join(m[n]) if n < len(m) else None
        for mount in m:
            if fnmatch.fnmatchcase(mount[0], arg):
                return ":".join(mount)
        return None

    return ex


# --- k8s (pod context of the container) ------------------------------------------------


def _pod(get: Callable[[ContainerInfo], str], raw_key: str) -> Factory:
    return _c(get, raw_key)


_f(
    "k8s.ns.name",
    "string",
    "Kubernetes namespace of the pod",
    _pod(lambda c: c.pod_namespace, "k8s.ns.name"),
)
_f("k8s.pod.name", "string", "Kubernetes pod name", _pod(lambda c: c.pod_name, "k8s.pod.name"))
_f("k8s.pod.uid", "string", "Kubernetes pod uid", _pod(lambda c: c.pod_uid, "k8s.pod.uid"))
_f(
    "k8s.pod.id",
    "string",
    "Kubernetes pod uid (legacy name)",
    _pod(lambda c: c.pod_uid, "k8s.pod.id"),
)
_f(
    "k8s.pod.label",
    "string",
    "pod label by key (k8s.pod.label[app])",
    lambda arg: lambda e: e.container.pod_labels.get(arg or "") if e.container else None,
    arg="required",
    arg_doc="label key",
)
_f(
    "k8s.pod.labels",
    "string",
    "pod labels as key:value, comma separated",
    lambda _a: (
        lambda e: (
            ", ".join(f"{k}:{v}" for k, v in sorted(e.container.pod_labels.items())) or None
            if e.container
            else None
        )
    ),
)


def parse_ip(text: str) -> str:
    """Canonical text of an IP address (raises ValueError)."""
    return str(ipaddress.ip_address(text.strip()))
