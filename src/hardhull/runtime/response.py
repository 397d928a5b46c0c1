"""Response actions: kill the process, pause or stop the container, cut its networks.

:class:`Responder` takes each alert, finds the configured actions
(:mod:`hardhull.runtime.response_config`), refuses the host and protected containers,
skips what it already did to the same container within ``burst_window`` seconds, and
either acts through the engine API (:mod:`hardhull.runtime.engines`) or, in dry-run mode
(the default), only records what it would do. Every outcome is one
:class:`ActionRecord`, written as a JSON line to the audit log with the alert that caused
it. Nothing here raises on a failed action: the record says ``failed`` and why.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from hardhull.errors import HardhullError, ResponseError
from hardhull.model.event import Alert, ContainerInfo
from hardhull.runtime.engines import ContainerDetails, EngineClient
from hardhull.runtime.enrich import process_container
from hardhull.runtime.outputs import alert_to_json, rfc3339_ns
from hardhull.runtime.response_config import (
    ActionRule,
    ResponseConfig,
    load_response_config,
    parse_response_config,
)

log = logging.getLogger(__name__)

TAKEN = "taken"
DRY_RUN = "dry-run"
REFUSED_PROTECTED = "refused-protected"
REFUSED_HOST = "refused-host"
REFUSED_STALE = "refused-stale"
SKIPPED = "skipped-duplicate"
FAILED = "failed"
STATUSES = (TAKEN, DRY_RUN, REFUSED_PROTECTED, REFUSED_HOST, REFUSED_STALE, SKIPPED, FAILED)

__all__ = [
    "DRY_RUN",
    "FAILED",
    "REFUSED_HOST",
    "REFUSED_PROTECTED",
    "REFUSED_STALE",
    "SKIPPED",
    "STATUSES",
    "TAKEN",
    "ActionRecord",
    "Responder",
    "ResponseConfig",
    "load_response_config",
    "parse_response_config",
]


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """One action decided for one alert, and what became of it."""

    time: int
    action: str
    status: str
    reason: str
    dry_run: bool
    container_id: str
    container_name: str
    engine: str
    alert: Alert
    pid: int | None = None
    detail: tuple[str, ...] = ()
    matched: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "time": rfc3339_ns(self.time),
            "action": self.action,
            "status": self.status,
            "reason": self.reason,
            "dry_run": self.dry_run,
            "container": {
                "id": self.container_id,
                "name": self.container_name,
                "engine": self.engine,
            },
            "pid": self.pid,
            "detail": list(self.detail),
            "matched": self.matched,
            "alert": alert_to_json(self.alert),
        }


class Responder:
    """Carries out ``config`` with ``client`` (one engine client, or several: the one
    whose ``engine`` matches the alert's container is asked first)."""

    def __init__(
        self,
        config: ResponseConfig,
        client: EngineClient | Sequence[EngineClient],
        *,
        audit: IO[str] | None = None,
        proc_root: str | Path = "/proc",
        clock: Callable[[], float] = time.monotonic,
        max_remembered: int = 4096,
    ) -> None:
        self.config = config
        self.clients: tuple[EngineClient, ...] = (
            tuple(client) if isinstance(client, Sequence) else (client,)
        )
        self.proc_root = Path(proc_root)
        self._clock = clock
        self._done: OrderedDict[tuple[str, str, int], float] = OrderedDict()
        self._max_remembered = max(1, max_remembered)
        self._lock = threading.Lock()
        self._owned = audit is None and config.audit_log is not None
        self._audit: IO[str] | None = audit
        if self._owned and config.audit_log is not None:
            path = Path(config.audit_log)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._audit = path.open("a", encoding="utf-8")
            except OSError as exc:
                raise ResponseError(
                    f"cannot open the response audit log {path}: {exc.strerror}"
                ) from None
        self.counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
        self.audit_failures = 0

    def close(self) -> None:
        if self._owned and self._audit is not None:
            self._audit.close()

    # -- entry point ---------------------------------------------------------------------

    def handle(self, alert: Alert) -> list[ActionRecord]:
        entries = self.config.actions_for(alert)
        if not entries:
            return []
        info = alert.event.container
        cid = (info.full_id if info else "") or alert.event.container_id
        records: list[ActionRecord] = []
        if not cid or cid == "host":
            base = info or ContainerInfo(id=cid or "host")
            for entry in entries:
                reason = "the host is never a target" if cid else "no container in the event"
                records.append(self._record(alert, entry, REFUSED_HOST, reason, base))
            return self._finish(records)
        details, error = self._inspect(cid, info.engine if info else "")
        current = _merge(info, cid, details)
        protection = self.config.protection_for(current)
        for entry in entries:
            if protection is not None:
                reason = f"protected by {protection} ({protection.where})"
                records.append(self._record(alert, entry, REFUSED_PROTECTED, reason, current))
                continue
            if details is None and not self.config.dry_run:
                why = error or "no engine knows this container"
                records.append(self._record(alert, entry, FAILED, why, current))
                continue
            records.append(self._run(alert, entry, current, details))
        return self._finish(records)

    # -- steps ---------------------------------------------------------------------------

    def _inspect(
        self, cid: str, engine: str
    ) -> tuple[tuple[ContainerDetails, EngineClient] | None, str]:
        ordered = [c for c in self.clients if c.engine == engine]
        ordered += [c for c in self.clients if c.engine != engine]
        problems: list[str] = []
        for client in ordered:
            try:
                found = client.inspect(cid)
            except HardhullError as exc:
                problems.append(str(exc))
                continue
            if found is not None:
                return (found, client), ""
        return None, "; ".join(problems)

    def _seen(self, key: tuple[str, str, int]) -> bool:
        now = self._clock()
        with self._lock:
            last = self._done.get(key)
            if last is not None and now - last < self.config.burst_window:
                return True
            self._done[key] = now
            self._done.move_to_end(key)
            while len(self._done) > self._max_remembered:
                self._done.popitem(last=False)
        return False

    def _run(
        self,
        alert: Alert,
        entry: ActionRule,
        info: ContainerInfo,
        found: tuple[ContainerDetails, EngineClient] | None,
    ) -> ActionRecord:
        pid = _pid(alert) if entry.action == "kill_process" else None
        if entry.action == "kill_process":
            if pid is None:
                return self._record(alert, entry, FAILED, "the event has no proc.pid", info)
            where = process_container(pid, self.proc_root)
            if where is None or not where[1].startswith(info.full_id or info.id):
                reason = f"process {pid} is no longer in container {info.id}"
                return self._record(alert, entry, REFUSED_STALE, reason, info, pid=pid)
        key = (info.full_id or info.id, entry.action, pid or 0)
        if self._seen(key):
            reason = f"already done within the last {self.config.burst_window:g} s"
            return self._record(alert, entry, SKIPPED, reason, info, pid=pid)
        details = found[0] if found else None
        if self.config.dry_run:
            plan = self._plan(entry.action, details, pid)
            return self._record(alert, entry, DRY_RUN, "dry run: " + plan, info, pid=pid)
        assert found is not None
        try:
            detail = self._act(entry.action, found[0], found[1], pid)
        except (HardhullError, OSError) as exc:
            with self._lock:
                self._done.pop(key, None)  # a failed action may be tried again
            reason = str(exc)
            if isinstance(exc, OSError):
                reason = f"cannot signal process {pid}: {exc.strerror}"
            return self._record(alert, entry, FAILED, reason, info, pid=pid)
        return self._record(alert, entry, TAKEN, "done", info, pid=pid, detail=detail)

    def _plan(self, action: str, details: ContainerDetails | None, pid: int | None) -> str:
        if action == "kill_process":
            return f"would send SIGKILL to process {pid}"
        if action == "disconnect_network":
            nets = ", ".join(details.networks) if details and details.networks else "none known"
            return f"would disconnect from networks: {nets}"
        return f"would {action.split('_')[0]} the container"

    def _act(
        self, action: str, details: ContainerDetails, client: EngineClient, pid: int | None
    ) -> tuple[str, ...]:
        if action == "kill_process":
            assert pid is not None
            return (self._kill(pid, details.id),)
        if action == "pause_container":
            if details.state == "paused":
                return ("already paused",)
            client.pause(details.id)
            return ("paused",)
        if action == "stop_container":
            fresh = client.inspect(details.id)  # an earlier action may have paused it
            if (fresh.state if fresh else details.state) == "paused":
                # A paused container cannot run again before it dies: kill, never unpause.
                client.kill(details.id, "SIGKILL")
                return ("paused container killed",)
            client.stop(details.id, self.config.stop_timeout)
            return ("stopped",)
        if not details.networks:
            return ("not attached to any network",)
        done = []
        for network in details.networks:
            client.disconnect_network(details.id, network)
            done.append(f"disconnected from {network}")
        return tuple(done)

    def _kill(self, pid: int, full_id: str) -> str:
        """SIGKILL through a pidfd opened before the cgroup check, so the pid cannot be
        reused by another process between the check and the signal."""
        fd = os.pidfd_open(pid)
        try:
            where = process_container(pid, self.proc_root)
            if where is None or where[1] != full_id:
                raise ResponseError(f"process {pid} left container {full_id[:12]} before the kill")
            signal.pidfd_send_signal(fd, signal.SIGKILL)
        finally:
            os.close(fd)
        return f"SIGKILL sent to process {pid}"

    # -- records -------------------------------------------------------------------------

    def _record(
        self,
        alert: Alert,
        entry: ActionRule,
        status: str,
        reason: str,
        info: ContainerInfo,
        *,
        pid: int | None = None,
        detail: tuple[str, ...] = (),
    ) -> ActionRecord:
        return ActionRecord(
            time=time.time_ns(),
            action=entry.action,
            status=status,
            reason=reason,
            dry_run=self.config.dry_run,
            container_id=info.id,
            container_name=info.name,
            engine=info.engine,
            alert=alert,
            pid=pid,
            detail=detail,
            matched=f"{entry.describe()} ({entry.where})" if entry.where else entry.describe(),
        )

    def _finish(self, records: list[ActionRecord]) -> list[ActionRecord]:
        with self._lock:
            for record in records:
                self.counts[record.status] += 1
                if self._audit is not None:
                    try:
                        self._audit.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
                        self._audit.flush()
                    except (OSError, ValueError) as exc:
                        self.audit_failures += 1
                        log.error("response audit log write failed: %s", exc)
        for record in records:
            level = logging.WARNING if record.status in (TAKEN, FAILED) else logging.INFO
            log.log(
                level,
                "response %s %s on %s (%s): %s",
                record.action,
                record.status,
                record.container_name or record.container_id,
                record.alert.rule,
                record.reason,
            )
        return records


def _pid(alert: Alert) -> int | None:
    value = alert.event.fields.get("proc.pid")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def _merge(
    info: ContainerInfo | None, cid: str, found: tuple[ContainerDetails, EngineClient] | None
) -> ContainerInfo:
    """The alert's container context refreshed with what the engine says now (the engine
    is the authority for names and labels that protection rules test)."""
    base = info or ContainerInfo(id=cid[:12], full_id=cid if len(cid) == 64 else "")
    if found is None:
        return base
    d = found[0]
    labels = dict(base.labels)
    labels.update(d.labels)
    return replace(
        base,
        id=d.id[:12],
        full_id=d.id,
        name=d.name or base.name,
        image=d.image or base.image,
        engine=d.engine,
        labels=labels,
        pod_namespace=base.pod_namespace or d.labels.get("io.kubernetes.pod.namespace", ""),
        pod_name=base.pod_name or d.labels.get("io.kubernetes.pod.name", ""),
    )
