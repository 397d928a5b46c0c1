"""Container attribution: pid / cgroup -> container id -> engine metadata -> ContainerInfo.

:class:`Enricher` sits between the sensors and the rule engine. It takes the container id
the sensor found (``fields["container.id"]`` / ``event.container``), or derives it from
``/proc/<proc.pid>/cgroup``, asks the engines (:mod:`hardhull.runtime.engines`) about it
once, caches the answer (TTL, negative caching, bounded LRU) and returns a new
:class:`~hardhull.model.event.Event` with a full :class:`ContainerInfo`. Failures are
counted in :meth:`Enricher.stats`, never raised: an event always goes on.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

from hardhull.errors import HardhullError
from hardhull.model.event import HOST, ContainerInfo, Event
from hardhull.model.event import Mount as EventMount
from hardhull.runtime.engines import ContainerDetails, EngineClient, pid_cgroup_lines
from hardhull.runtime.engines_base import split_image
from hardhull.runtime.proctable import POD_COMPONENT, parse_cgroup

LABEL_POD_NAME = "io.kubernetes.pod.name"
LABEL_POD_NAMESPACE = "io.kubernetes.pod.namespace"
LABEL_POD_UID = "io.kubernetes.pod.uid"
LABEL_CONTAINER_NAME = "io.kubernetes.container.name"
LABEL_SANDBOX_ID = "io.kubernetes.sandbox.id"


def container_id_from_cgroup(path: str) -> tuple[str, str] | None:
    """``(engine, full 64-hex id)`` for a cgroup path of a container process or of its
    engine's monitor (conmon), else None (see :func:`~hardhull.runtime.proctable.parse_cgroup`)."""
    found = parse_cgroup(path)
    return (found[0], found[1]) if found is not None else None


def pod_uid_from_cgroup(path: str) -> str:
    """The Kubernetes pod UID (with dashes) in a kubepods cgroup path, ``""`` if none."""
    for part in path.split("/"):
        m = POD_COMPONENT.match(part)
        if m:
            return m.group(1).replace("_", "-")
    return ""


_EXEC_TYPES = frozenset({"execve", "execveat"})
_UPPER = "proc.is_exe_upper_layer"


def _read_passwd(path: Path, limit: int = 1 << 20) -> dict[int, str]:
    """uid -> name from a passwd file; empty when unreadable (the process is gone, or the
    image has none)."""
    # The file belongs to the container: refuse symlinks (``/etc`` or ``passwd``), which
    # would be resolved against this host's root rather than the container's.
    try:
        if path.parent.is_symlink():
            return {}
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return {}
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return {}
        data = os.read(fd, limit)
    except OSError:
        return {}
    finally:
        os.close(fd)
    names: dict[int, str] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        parts = line.split(":")
        if len(parts) >= 3 and parts[2].isdigit():
            names.setdefault(int(parts[2]), parts[0])
    return names


def _exe_in_upper_layer(upper_dir: str, exepath: object) -> bool | None:
    """Whether the executed file lives in the container's writable layer (written or
    modified after the container started), by one ``lstat`` below ``upper_dir``; None
    when the path is not usable."""
    if not isinstance(exepath, str) or not exepath.startswith("/") or "/../" in exepath:
        return None
    return os.path.lexists(upper_dir + exepath)


@dataclass(frozen=True, slots=True)
class EnrichStats:
    """``events`` seen, ``lookups`` sent to engines, cache ``hits``, containers no engine
    knew (``not_found``), engine ``errors``, events with no id and no readable cgroup
    (``unattributed``), ``host`` events, and current cache ``entries``."""

    events: int = 0
    lookups: int = 0
    hits: int = 0
    not_found: int = 0
    errors: int = 0
    unattributed: int = 0
    host: int = 0
    entries: int = 0
    last_error: str = ""


@dataclass(frozen=True, slots=True)
class _Entry:
    info: ContainerInfo | None
    expires: float


_FROZEN_EMPTY: Mapping[str, str] = MappingProxyType({})


class Enricher:
    """Fills :attr:`Event.container` from the engines, cached per container id.

    ``ttl`` seconds for found containers, ``negative_ttl`` for ids no engine knows,
    ``error_ttl`` after an engine error (0 retries on the next event), ``max_entries``
    bounds the cache (least recently used evicted). Engine calls use the clients' own
    timeouts (a few seconds at most)."""

    def __init__(
        self,
        clients: Sequence[EngineClient],
        *,
        ttl: float = 60.0,
        negative_ttl: float = 10.0,
        error_ttl: float = 2.0,
        max_entries: int = 4096,
        proc_root: str | Path = "/proc",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clients = tuple(clients)
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self.error_ttl = error_ttl
        self.max_entries = max(1, max_entries)
        self.proc_root = Path(proc_root)
        self._clock = clock
        self._cache: OrderedDict[str, _Entry] = OrderedDict()
        self._users: OrderedDict[str, tuple[dict[int, str], float]] = OrderedDict()
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(
            ("events", "lookups", "hits", "not_found", "errors", "unattributed", "host"), 0
        )
        self._last_error = ""

    def stats(self) -> EnrichStats:
        with self._lock:
            return EnrichStats(
                **self._counts, entries=len(self._cache), last_error=self._last_error
            )

    def invalidate(self, container_id: str | None = None) -> None:
        """Forget one container (by short or full id) or everything."""
        with self._lock:
            if container_id is None:
                self._cache.clear()
            else:
                self._cache.pop(container_id[:12], None)

    def enrich(self, event: Event) -> Event:
        self._count("events")
        current = event.container
        short = event.container_id
        full = current.full_id if current else ""
        engine_hint = current.engine if current else ""
        pod_uid = ""
        if not short:
            derived = self._from_pid(event.fields.get("proc.pid"))
            if derived is None:
                self._count("unattributed")
                return event
            engine_hint, full, pod_uid = derived
            short = full[:12] if full else "host"
        if short == "host":
            self._count("host")
            return self._with(event, HOST)
        info = self._lookup(short, full, engine_hint)
        if info is None and current is not None:
            return self._with(event, current if current.id == short else replace(current, id=short))
        if info is None:
            info = ContainerInfo(id=short, full_id=full, engine=engine_hint, pod_uid=pod_uid)
        elif pod_uid and not info.pod_uid:
            info = replace(info, pod_uid=pod_uid)
        if current is not None and current == info:
            return event
        return self._with(event, info)

    # -- internals ---------------------------------------------------------------------

    def info(self, container_id: str) -> ContainerInfo | None:
        """What the engines say about one container (short or full id), cached."""
        return self._lookup(container_id[:12], container_id if len(container_id) > 12 else "", "")

    def _with(self, event: Event, info: ContainerInfo) -> Event:
        fields = event.fields
        extra: dict[str, object] = {}
        if fields.get("container.id") != info.id:
            extra["container.id"] = info.id
        uid = fields.get("user.uid")
        if "user.name" not in fields and isinstance(uid, int) and uid >= 0:
            name = self._user_name(info.id, info.init_pid or fields.get("proc.pid"), uid)
            if name:
                extra["user.name"] = name
        if info.upper_dir and event.type in _EXEC_TYPES and _UPPER not in fields:
            upper = _exe_in_upper_layer(info.upper_dir, fields.get("proc.exepath"))
            if upper is not None:
                extra[_UPPER] = upper
        if extra:  # one copy of the event's fields, whatever was added
            fields = {**fields, **extra}
        return replace(event, container=info, fields=fields)

    def _user_name(self, container_id: str, pid: object, uid: int) -> str:
        """``user.name`` as Falco shows it: the name of ``uid`` in the container's own
        ``/etc/passwd``, read through ``/proc/<pid>/root`` of the container's first process
        (long-lived; the event's process when the engine did not say), read-only and
        size-bounded, cached per container."""
        now = self._clock()
        with self._lock:
            cached = self._users.get(container_id)
            names = None
            if cached is not None and cached[1] > now:
                names = cached[0]
                self._users.move_to_end(container_id)
        if names is None:
            if container_id == "host":
                passwd = Path("/etc/passwd")
            elif isinstance(pid, int) and pid > 0:
                passwd = self.proc_root / str(pid) / "root" / "etc" / "passwd"
            else:
                return ""
            names = _read_passwd(passwd)
            # an unreadable file (the process already gone) is retried soon, not kept
            keep = self.ttl if names else min(self.negative_ttl, 2.0)
            with self._lock:
                self._users[container_id] = (names, now + keep)
                while len(self._users) > self.max_entries:
                    self._users.popitem(last=False)
        return names.get(uid, "")

    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self._counts[key] += n

    def _from_pid(self, pid: object) -> tuple[str, str, str] | None:
        """(engine, full id, pod uid) from /proc/<pid>/cgroup; ("", "", "") for a host
        process; None when the pid is unknown or gone."""
        if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
            return None
        return pid_container(pid, self.proc_root)

    def _lookup(self, short: str, full: str, engine_hint: str) -> ContainerInfo | None:
        now = self._clock()
        with self._lock:
            entry = self._cache.get(short)
            if entry is not None and entry.expires > now:
                self._cache.move_to_end(short)
                self._counts["hits"] += 1
                return entry.info
        info, ttl = self._query(full or short, engine_hint)
        with self._lock:
            self._cache[short] = _Entry(info, now + ttl)
            self._cache.move_to_end(short)
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)
        return info

    def _ordered_clients(self, engine_hint: str) -> list[EngineClient]:
        first = [c for c in self.clients if c.engine == engine_hint]
        return first + [c for c in self.clients if c.engine != engine_hint]

    def _query(self, ident: str, engine_hint: str) -> tuple[ContainerInfo | None, float]:
        errored = False
        for client in self._ordered_clients(engine_hint):
            self._count("lookups")
            try:
                details = client.inspect(ident)
            except HardhullError as exc:
                errored = True
                self._count("errors")
                with self._lock:
                    self._last_error = str(exc)
                continue
            if details is not None:
                return self._info(details, client), self.ttl
        if errored:
            return None, self.error_ttl
        self._count("not_found")
        return None, self.negative_ttl

    def _info(self, d: ContainerDetails, client: EngineClient) -> ContainerInfo:
        labels = MappingProxyType(dict(d.labels)) if d.labels else _FROZEN_EMPTY
        repo, tag, ref_digest = split_image(d.image)
        pod_labels: Mapping[str, str] = _FROZEN_EMPTY
        sandbox = labels.get(LABEL_SANDBOX_ID, "")
        if sandbox and sandbox != d.id:
            pod_labels = self._sandbox_labels(client, sandbox)
        return ContainerInfo(
            id=d.id[:12],
            full_id=d.id,
            name=labels.get(LABEL_CONTAINER_NAME, d.name) if LABEL_POD_NAME in labels else d.name,
            image=d.image,
            image_repository=repo,
            image_tag=tag,
            image_digest=d.image_digest or ref_digest,
            image_id=d.image_id,
            engine=d.engine,
            privileged=d.privileged,
            started_at=d.started_at,
            labels=labels,
            pod_name=labels.get(LABEL_POD_NAME, ""),
            pod_namespace=labels.get(LABEL_POD_NAMESPACE, ""),
            pod_uid=labels.get(LABEL_POD_UID, ""),
            pod_labels=pod_labels,
            mounts=tuple(
                EventMount(
                    source=m.source,
                    dest=m.destination,
                    mode=m.mode,
                    rw=m.rw,
                    propagation=m.propagation,
                )
                for m in d.mounts
            ),
            upper_dir=d.upper_dir,
            init_pid=d.pid,
        )

    def _sandbox_labels(self, client: EngineClient, sandbox: str) -> Mapping[str, str]:
        """A Kubernetes pod's labels are the labels of its sandbox, minus CRI's own."""
        try:
            details = client.inspect(sandbox)
        except HardhullError:
            self._count("errors")
            return _FROZEN_EMPTY
        if details is None:
            return _FROZEN_EMPTY
        own = {k: v for k, v in details.labels.items() if not k.startswith("io.kubernetes.")}
        return MappingProxyType(own) if own else _FROZEN_EMPTY


def pid_container(pid: int, proc_root: str | Path = "/proc") -> tuple[str, str, str] | None:
    """``(engine, full id, pod uid)`` from ``/proc/<pid>/cgroup``; ``("", "", "")`` for a
    host process; None when the pid is gone."""
    lines = pid_cgroup_lines(pid, proc_root)
    if not lines:
        return None
    for path in lines:
        found = container_id_from_cgroup(path)
        if found is not None:
            return found[0], found[1], pod_uid_from_cgroup(path)
    return "", "", ""


def process_container(pid: int, proc_root: str | Path = "/proc") -> tuple[str, str] | None:
    """``(engine, full id)`` of the container ``pid`` runs in now, None if host or gone."""
    found = pid_container(pid, proc_root)
    return (found[0], found[1]) if found is not None and found[1] else None
