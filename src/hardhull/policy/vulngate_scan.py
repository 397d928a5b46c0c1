"""On-demand scans for the vulnerability gate (``unscanned: scan``).

When an image has no report in the gate's reports directory, :class:`OnDemandScanner`
scans it in the background with hardhull's own pipeline
(:func:`hardhull.scanning.scan_image`) and writes the JSON report into that directory,
which is the cache: later requests are judged on it.

* At most ``workers`` scans run at once, one per image at a time (requests for an image
  whose scan is queued or running join it); at most ``max_queue`` scans wait.
* Each scan runs in a child process (``python -m hardhull.policy.vulngate_worker``), so
  ``timeout_s`` is a real bound: a scan still running then is killed. The child writes the
  report atomically (a hidden temporary file renamed into place).
* A failed scan is remembered with its reason and retried only after ``retry_after_s``.

The scanner only starts and tracks scans; how long a request waits for one and what it
answers meanwhile is the gate's business (:mod:`hardhull.policy.vulngate`).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from hardhull.policy.vulngate_reports import VulnGateError, image_key, lookup_key
from hardhull.policy.vulngate_worker import ScanJob
from hardhull.posture.checks.images import parse_image

SOURCES = ("registry", "podman", "docker")
_MAX_ERROR = 400  # characters of a child's stderr kept as the failure reason
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class WhileScanning(StrEnum):
    """The answer for an image whose on-demand scan has not finished yet."""

    DENY = "deny"
    ALLOW_AUDIT = "allow-audit"


@dataclass(frozen=True)
class ScanSettings:
    """How on-demand scans run.

    ``wait_ms`` is how long one evaluation waits for the scans it needs: None waits until
    they finish (each bounded by ``timeout_s``; what ``policy apply`` wants), a number
    bounds the wait (the webhook, which has a latency budget). ``source`` is where images
    are read from: ``registry`` (with ``insecure_registries`` spoken to over plain HTTP
    or unverified TLS, and credentials from ``docker_config`` or the usual docker and
    containers auth files) or an engine store (``podman``, ``docker``). ``db`` is the
    vulnerability database (hardhull's default one when None).
    """

    workers: int = 2
    timeout_s: float = 300.0
    wait_ms: float | None = None
    while_scanning: WhileScanning = WhileScanning.DENY
    db: Path | None = None
    source: str = "registry"
    insecure_registries: tuple[str, ...] = ()
    docker_config: Path | None = None
    max_queue: int = 32
    retry_after_s: float = 600.0

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise VulnGateError("scan_workers must be an integer >= 1")
        if self.max_queue < 1:
            raise VulnGateError("scan_queue must be an integer >= 1")
        if self.timeout_s <= 0:
            raise VulnGateError("scan_timeout_s must be a positive number")
        if self.retry_after_s <= 0:
            raise VulnGateError("scan_retry_s must be a positive number")
        if self.wait_ms is not None and self.wait_ms < 0:
            raise VulnGateError("scan_wait_ms must be a number >= 0")
        if self.source not in SOURCES:
            raise VulnGateError(f"scan_source: {self.source!r} is not one of {', '.join(SOURCES)}")


class ScanState(StrEnum):
    """Where an image's on-demand scan stands."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    QUEUE_FULL = "queue-full"  # not started: too many scans waiting


@dataclass(frozen=True)
class ScanTicket:
    """A snapshot of one image's scan. ``started`` when this request queued it;
    ``finished`` is set once the scan ended (wait on it); ``report`` when done;
    ``error`` and ``retry_at`` (wall-clock seconds) when failed."""

    image: str
    state: ScanState
    finished: threading.Event
    attempts: int = 0
    started: bool = False
    report: Path | None = None
    error: str = ""
    retry_at: float = 0.0


class _Job:
    """One scan attempt of one image (mutable; guarded by the scanner's lock)."""

    __slots__ = ("attempts", "error", "finished", "image", "report", "retry_at", "state")

    def __init__(self, image: str, attempts: int) -> None:
        self.image = image
        self.attempts = attempts
        self.state = ScanState.QUEUED
        self.finished = threading.Event()
        self.report: Path | None = None
        self.error = ""
        self.retry_at = 0.0

    def ticket(self, *, started: bool = False) -> ScanTicket:
        return ScanTicket(
            self.image, self.state, self.finished, self.attempts, started, self.report,
            self.error, self.retry_at,
        )  # fmt: skip


def report_name(image: str) -> str:
    """The cache file name of an on-demand report: readable, unique per reference."""
    digest = hashlib.sha256(image.encode()).hexdigest()[:12]
    readable = _UNSAFE.sub("_", image_key(image)).strip("._")[:100]
    return f"{readable}-{digest}.json"


def _one_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    last = lines[-1] if lines else ""
    return last[:_MAX_ERROR] if len(last) <= _MAX_ERROR else last[: _MAX_ERROR - 3] + "..."


class OnDemandScanner:
    """A bounded pool of background scans writing reports into ``reports``.

    ``on_report`` is called (from a worker thread) with each report's path once it is
    written (the gate indexes it: :meth:`~hardhull.policy.vulngate_reports.ReportCache.add`).
    Worker threads start with the first request; :meth:`close` kills running scans.
    """

    def __init__(
        self,
        reports: Path,
        settings: ScanSettings,
        on_report: Callable[[Path], None] = lambda _path: None,
    ) -> None:
        self.reports = reports
        self.settings = settings
        self._on_report = on_report
        self._cond = threading.Condition()
        self._jobs: dict[str, _Job] = {}
        self._queue: deque[_Job] = deque()
        self._threads: list[threading.Thread] = []
        self._children: set[subprocess.Popen[bytes]] = set()
        self._closed = False

    def status(self, image: str) -> ScanTicket | None:
        """The image's current scan, or None if it was never requested."""
        with self._cond:
            job = self._jobs.get(lookup_key(image))
            return None if job is None else job.ticket()

    def request(self, image: str, *, block: bool = False) -> ScanTicket:
        """Start a scan of ``image`` unless one is queued, running, done (its report
        still there) or failed less than ``retry_after_s`` ago. With ``block``, wait for
        room in a full queue instead of answering ``queue-full``."""
        key = lookup_key(image)  # the digest when pinned, else the reference
        with self._cond:
            while True:
                job = self._jobs.get(key)
                if job is not None and not self._stale(job):
                    return job.ticket()
                if self._closed:
                    raise VulnGateError("the on-demand scanner is closed")
                if len(self._queue) < self.settings.max_queue:
                    break
                if not block:
                    finished = threading.Event()
                    return ScanTicket(image, ScanState.QUEUE_FULL, finished)
                self._cond.wait()
            new = _Job(image, (job.attempts if job is not None else 0) + 1)
            self._jobs[key] = new
            self._queue.append(new)
            if len(self._threads) < self.settings.workers:
                thread = threading.Thread(
                    target=self._work, name=f"hardhull-scan-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            self._cond.notify_all()
            return new.ticket(started=True)

    def _stale(self, job: _Job) -> bool:
        """Whether ``job`` no longer stands for the image (retry due, report removed)."""
        if job.state is ScanState.FAILED:
            return time.time() >= job.retry_at
        if job.state is ScanState.DONE:
            return job.report is None or not job.report.is_file()
        return False

    def close(self) -> None:
        """Stop: queued scans fail, running ones are killed; idempotent."""
        with self._cond:
            self._closed = True
            while self._queue:
                self._finish(self._queue.popleft(), None, "the on-demand scanner was closed")
            children = list(self._children)
            self._cond.notify_all()
        for child in children:
            child.kill()
        for thread in list(self._threads):
            thread.join(timeout=10)

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                job = self._queue.popleft()
                job.state = ScanState.RUNNING
                self._cond.notify_all()  # room in the queue
            report, error = self._scan(job.image)
            if report is not None:
                try:
                    self._on_report(report)
                except Exception as exc:  # a cache that cannot index it must not kill the worker
                    error, report = f"report written but not indexed: {exc}", None
            with self._cond:
                self._finish(job, report, error)

    def _finish(self, job: _Job, report: Path | None, error: str) -> None:
        if report is not None:
            job.state, job.report = ScanState.DONE, report
        else:
            job.state, job.error = ScanState.FAILED, error or "the scan failed"
            job.retry_at = time.time() + self.settings.retry_after_s
        job.finished.set()

    def _target(self, image: str) -> tuple[str, bool]:
        """The scan TARGET for ``image`` and whether its registry is insecure."""
        s = self.settings
        insecure = parse_image(image).registry in s.insecure_registries
        return f"{s.source}:{image}", insecure and s.source == "registry"

    def _scan(self, image: str) -> tuple[Path | None, str]:
        """Run one scan in a child process: (report path, "") or (None, why not)."""
        s = self.settings
        out = self.reports / report_name(image)
        tmp = self.reports / f".{out.stem}.{os.getpid()}.{threading.get_ident()}.tmp"
        target, insecure = self._target(image)
        job = ScanJob(target, out, tmp, insecure=insecure, db=s.db, docker_config=s.docker_config)
        cmd = [sys.executable, "-m", "hardhull.policy.vulngate_worker"]
        try:
            child = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
        except OSError as exc:
            return None, f"cannot start the scan: {exc.strerror or exc}"
        with self._cond:
            self._children.add(child)
            closing = self._closed
        if closing:  # close() ran between this job's start and the child's: stop it too
            child.kill()
        try:
            try:
                _, err = child.communicate(job.to_json(), timeout=s.timeout_s)
            except subprocess.TimeoutExpired:
                child.kill()
                child.communicate()
                return None, f"the scan did not finish within {s.timeout_s:g} s and was stopped"
        finally:
            with self._cond:
                self._children.discard(child)
            tmp.unlink(missing_ok=True)
        if child.returncode != 0:
            why = _one_line(err.decode("utf-8", "replace"))
            return None, why or f"the scan exited with status {child.returncode}"
        if not out.is_file():
            return None, f"the scan wrote no report at {out}"
        return out, ""
