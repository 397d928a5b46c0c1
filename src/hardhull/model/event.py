"""Runtime events and alerts: what the ``watch`` job moves from sensor to responder.

An :class:`Event` carries its raw values in ``fields``, keyed by **Falco field names**
(``proc.name``, ``fd.name``, ``evt.arg.flags``...). Sources (the eBPF sensor, the proc
connector, Falco JSON, Kubernetes audit, JSONL replay) fill the *raw* keys they know;
derived fields (``proc.cmdline``, ``fd.directory``, ``proc.aname[2]``,
``container.image.repository``...) are computed on demand by the extractors of the field
table in :mod:`hardhull.runtime.fields`, which is the one authority on field names, types
and docs. A key that is absent means "not available" (Falco's ``<NA>``), never "empty".

Raw keys a syscall source may fill (all optional except ``type`` and ``time``, which are
attributes):

* process: ``proc.pid``, ``proc.ppid``, ``proc.vpid``, ``proc.tid``, ``proc.name`` (comm),
  ``proc.exe`` (argv[0]), ``proc.exepath`` (resolved executable path), ``proc.args``
  (``tuple[str, ...]``: argv[1:]), ``proc.cwd``, ``proc.tty`` (int, 0 = none),
  ``proc.sid``, ``proc.vpgid``, ``proc.env`` (``tuple[str, ...]``), ``proc.is_exe_upper_layer``
  (bool), ``proc.is_exe_from_memfd`` (bool), ``proc.ancestors`` (``tuple[ProcInfo, ...]``:
  parent first, then grandparent ...);
* identity: ``user.uid``, ``user.loginuid``, ``user.name``, ``group.gid``, ``group.name``;
  ``thread.cap_effective``, ``thread.cap_permitted`` (``tuple[str, ...]`` of CAP_ names);
* file descriptor: ``fd.num``, ``fd.name`` (path, or ``sip:sport->dip:dport`` style for
  sockets as Falco prints it), ``fd.typechar`` (``f`` file, ``4`` ipv4, ``6`` ipv6, ``u`` unix,
  ``p`` pipe, ``e`` eventfd, ``s`` signalfd, ``l`` eventpoll, ``i`` inotify, ``b`` bpf,
  ``o`` unknown/memfd), ``fd.cip``, ``fd.cport``, ``fd.sip``, ``fd.sport``, ``fd.l4proto``
  (``tcp``/``udp``/``raw``/``icmp``), ``fd.sockfamily`` (``ip``/``unix``);
* call: ``evt.res`` (``SUCCESS`` or an errno name such as ``ENOENT``), ``evt.rawres`` (int),
  ``evt.dir`` (``<`` exit, ``>`` enter; sensors emit exit events), ``evt.num`` and every
  ``evt.arg.<name>`` Falco defines for the call (``evt.arg.flags`` as Falco's text, e.g.
  ``O_WRONLY|O_CREAT|O_TRUNC``; ``evt.arg.mode``, ``evt.arg.uid``, ``evt.arg.request``,
  ``evt.arg.path``, ``evt.arg.name``, ``evt.arg.oldpath``, ``evt.arg.newpath``,
  ``evt.arg.target``, ``evt.arg.linkpath``, ``evt.arg.filename``, ``evt.arg.fd``, ...);
* container: ``container.id`` (12-hex short id, ``host`` for the host); the rest of the
  container and pod context lives in :attr:`Event.container`.

Kubernetes audit events use ``source="k8s_audit"`` and keep the audit record as one raw
key, ``jevt.value`` (the parsed JSON object); the ``ka.*``/``jevt.*`` extractors read it.
Falco JSON alerts fed in as events use ``source`` from the alert and put its
``output_fields`` under their own names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, str] = MappingProxyType({})


class EventSource(StrEnum):
    """The event sources Falco rules can declare (``source:``) plus Falco JSON input."""

    SYSCALL = "syscall"
    K8S_AUDIT = "k8s_audit"
    FALCO = "falco"


@dataclass(frozen=True, slots=True)
class ProcInfo:
    """One ancestor in a process's parent chain (parent first)."""

    pid: int
    name: str = ""
    exe: str = ""
    exepath: str = ""
    args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Mount:
    """One mount of a container, as the engine's inspect data gives it: ``source`` on the
    host, ``dest`` in the container, ``mode`` (engine options such as ``z`` or ``ro``),
    ``rw`` and ``propagation`` (``rprivate``, ``shared``...)."""

    source: str
    dest: str
    mode: str = ""
    rw: bool = True
    propagation: str = ""

    def __str__(self) -> str:
        """Falco's text: ``source:dest:mode:rdwr:propagation``."""
        rdwr = "true" if self.rw else "false"
        return f"{self.source}:{self.dest}:{self.mode}:{rdwr}:{self.propagation}"


@dataclass(frozen=True, slots=True)
class ContainerInfo:
    """What attribution learned about the container an event came from.

    ``id`` is the 12-hex short id (``host`` for the host itself). ``mounts`` are in the
    engine's order (``container.mount[0]`` is the first). ``image_digest`` is the
    ``sha256:...`` of the image manifest the container was started from when the engine
    knows it; empty when not known (never guessed).
    """

    id: str
    full_id: str = ""
    name: str = ""
    image: str = ""
    image_repository: str = ""
    image_tag: str = ""
    image_digest: str = ""
    image_id: str = ""
    engine: str = ""
    privileged: bool | None = None
    started_at: int = 0
    labels: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    pod_name: str = ""
    pod_namespace: str = ""
    pod_uid: str = ""
    pod_labels: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    upper_dir: str = ""
    """The host path of the container's writable overlay layer, when the engine says."""
    init_pid: int = 0
    """The host pid of the container's first process, when the engine says (0: unknown)."""
    mounts: tuple[Mount, ...] = ()

    @property
    def workload(self) -> str:
        """``namespace/pod`` in Kubernetes, else the container name (or id)."""
        if self.pod_name:
            return f"{self.pod_namespace}/{self.pod_name}"
        return self.name or self.id


HOST = ContainerInfo(id="host", name="host")


@dataclass(frozen=True, slots=True)
class Event:
    """One observed event. ``type`` is Falco's ``evt.type`` (``execve``, ``openat``,
    ``connect``, ``procexit``...); ``time`` is nanoseconds since the Unix epoch."""

    source: str
    type: str
    time: int
    fields: Mapping[str, Any]
    container: ContainerInfo | None = None

    @property
    def container_id(self) -> str:
        """The short container id: the attributed container's, else the sensor's
        ``container.id`` field (``""`` when neither)."""
        own = self.container.id if self.container is not None else ""
        return own or str(self.fields.get("container.id") or "")


class Priority(StrEnum):
    """Falco rule priorities, most severe first."""

    EMERGENCY = "Emergency"
    ALERT = "Alert"
    CRITICAL = "Critical"
    ERROR = "Error"
    WARNING = "Warning"
    NOTICE = "Notice"
    INFORMATIONAL = "Informational"
    DEBUG = "Debug"

    @property
    def rank(self) -> int:
        """0 for Emergency ... 7 for Debug (lower is more severe, as in syslog)."""
        return _PRIORITY_RANK[self]

    @classmethod
    def parse(cls, text: str) -> Priority:
        """Case-insensitive; accepts Falco's aliases ``info`` and ``warn``."""
        word = text.strip().lower()
        word = {"info": "informational", "warn": "warning"}.get(word, word)
        for member in cls:
            if member.value.lower() == word:
                return member
        raise ValueError(f"unknown priority {text!r}")


_PRIORITY_RANK = {p: i for i, p in enumerate(Priority)}


class AlertKind(StrEnum):
    RULE = "rule"
    SEQUENCE = "sequence"
    THRESHOLD = "threshold"
    DRIFT = "drift"


@dataclass(frozen=True, slots=True)
class Alert:
    """A rule (or drift / sequence / threshold detector) matched an event."""

    rule: str
    priority: Priority
    output: str
    event: Event
    kind: AlertKind = AlertKind.RULE
    tags: tuple[str, ...] = ()
    output_fields: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    @property
    def time(self) -> int:
        return self.event.time

    @property
    def source(self) -> str:
        return self.event.source
