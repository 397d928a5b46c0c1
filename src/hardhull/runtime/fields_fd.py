"""Syscall-source fields, part 2: ``fd.*`` (files and sockets)."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import Any

from hardhull.model.event import Event
from hardhull.runtime.fields import memo
from hardhull.runtime.fields_define import _FD_TYPES, _bool, _f, _int, derived, raw

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
    server_key, client_key = f"fd.s{which}", f"fd.c{which}"
    if role != "l":
        server_key, client_key = client_key, server_key
    port = which == "port"

    def fn(e: Event) -> Any:
        v = e.fields.get(server_key if _is_server(e) else client_key)
        return _int(v) if port else v

    return fn


def _both(which: str) -> Callable[[Event], Any]:
    keys = (f"fd.c{which}", f"fd.s{which}")
    port = which == "port"

    def fn(e: Event) -> Any:
        vals = tuple(v for v in (e.fields.get(k) for k in keys) if v is not None)
        if port:
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
