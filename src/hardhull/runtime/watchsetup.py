"""Wiring for ``hardhull runtime watch``: engine API clients (optionally starting the
podman API service for the watch's lifetime) and the binary-drift detector with its
image-index cache. Kept out of the CLI module so other front ends (the agent) reuse it.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from hardhull.errors import HardhullError
from hardhull.runtime.drift import DriftDetector
from hardhull.runtime.drift_allow import DriftAllowList, load_allow_list
from hardhull.runtime.engines import PODMAN_SOCKET, default_clients, start_podman_service
from hardhull.runtime.engines_base import EngineClient
from hardhull.runtime.enrich import Enricher
from hardhull.runtime.imageindex import ImageIndexCache
from hardhull.runtime.sensor.base import stop_child
from hardhull.sources.base import SourceOptions


@dataclass
class WatchParts:
    """What the watch owns besides sensor and rules; :meth:`close` stops what it started."""

    clients: list[EngineClient]
    drift: DriftDetector | None = None
    index_cache: ImageIndexCache | None = None
    service: subprocess.Popen[bytes] | None = None
    notes: list[str] = field(default_factory=list)

    def close(self) -> None:
        stop_child(self.service)
        self.service = None


def build_parts(
    *,
    start_podman: bool,
    drift: bool,
    drift_allow: str | None,
    podman_socket: str | None = None,
) -> WatchParts:
    """Clients for every engine socket present (starting podman's API service first when
    asked and nothing answers), and, unless ``drift`` is off, a drift detector whose
    image indexes are read from the engine store and cached on disk."""
    service = None
    socket = Path(podman_socket) if podman_socket else PODMAN_SOCKET
    notes: list[str] = []
    if start_podman:
        service = start_podman_service(socket)
        notes.append(
            f"started the podman API service on {socket}"
            if service is not None
            else f"podman API service already answering on {socket}"
        )
    clients = default_clients(podman=podman_socket)
    if not clients:
        notes.append(
            "no container engine API socket found: events keep container ids only, "
            "without image or pod (use --start-podman-service)"
        )
    parts = WatchParts(clients=clients, service=service, notes=notes)
    if drift:
        allow = load_allow_list(drift_allow) if drift_allow else DriftAllowList()
        cache_dir = Path(platformdirs.user_cache_dir("hardhull")) / "drift-index"
        cache_dir.mkdir(parents=True, exist_ok=True)
        options = SourceOptions(podman_socket=str(socket)) if podman_socket else None
        parts.index_cache = ImageIndexCache(options=options, cache_dir=cache_dir)
        parts.drift = DriftDetector(parts.index_cache.get, allow)
    return parts


def prewarm_drift(
    parts: WatchParts,
    enricher: Enricher,
    report: Callable[[str], None],
    *,
    timeout: float = 300.0,
) -> threading.Thread | None:
    """Start building the image index of every running container now (in the
    background), so drift verdicts do not wait for a container's first exec; ``report``
    gets one line when they are ready (or what failed). Execs seen before an index is
    ready are counted as drift ``unknown``, never as clean."""
    cache = parts.index_cache
    if cache is None:
        return None
    infos = []
    for client in parts.clients:
        try:
            ids = client.running()
        except HardhullError as exc:
            report(f"drift: cannot list {client.engine} containers ({exc})")
            continue
        for full_id in ids:
            info = enricher.info(full_id)
            if info is not None:
                infos.append(info)
                cache.get(info)

    def _wait() -> None:
        images = set()
        failed = 0
        for info in infos:
            try:
                if cache.wait(info, timeout) is not None:
                    images.add(info.image_id or info.image_digest)
                else:
                    failed += 1
            except Exception:  # a build error is counted in the cache's own stats
                failed += 1
        tail = f", {failed} could not be indexed" if failed else ""
        report(
            f"drift: image index ready for {len(infos) - failed} running container(s) "
            f"({len(images)} image(s)){tail}"
        )

    thread = threading.Thread(target=_wait, name="hardhull-drift-prewarm", daemon=True)
    thread.start()
    return thread
