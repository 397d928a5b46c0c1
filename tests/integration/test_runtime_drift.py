"""Binary drift against a real image in the podman store and a real running container.

The image is built by the test (static busybox, ``/bin -> usr/bin``); its index is read
from the engine store through a real ``podman system service`` socket, in the
background thread of :class:`ImageIndexCache`. Execs are checked through the real
``/proc/<pid>/exe`` of processes in the container.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.support.imagekit import build_image, remove_image, require, run
from tests.support.podman_api import podman_service

from hardhull.model.event import AlertKind, ContainerInfo, Event, Priority
from hardhull.runtime.drift import DriftDetector
from hardhull.runtime.drift_allow import parse_allow_list
from hardhull.runtime.engine import Engine
from hardhull.runtime.imageindex import ImageIndex, ImageIndexCache, image_key
from hardhull.runtime.rules.model import RuleSet
from hardhull.sources.base import SourceOptions

pytestmark = pytest.mark.integration

IMAGE = "localhost/hardhull-drifttest:1"
BUSYBOX = Path("/bin/busybox")


@pytest.fixture(scope="module")
def podman_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with podman_service(tmp_path_factory.mktemp("drift-podman-api")) as sock:
        yield str(sock)


@dataclass(frozen=True)
class Running:
    info: ContainerInfo
    pid: int
    name: str


@pytest.fixture(scope="module")
def container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    require("podman")
    if not BUSYBOX.is_file():
        msg = "needs a static /bin/busybox (Debian package busybox-static or busybox)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    ctx = tmp_path_factory.mktemp("drift-img")
    root = ctx / "rootfs"
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "tmp").mkdir()
    shutil.copy2(BUSYBOX, root / "usr" / "bin" / "busybox")
    shutil.copy2(BUSYBOX, root / "usr" / "bin" / "sleep")  # a regular file we will change
    for applet in ("sh", "cp", "cat", "chmod"):
        (root / "usr" / "bin" / applet).symlink_to("busybox")
    (root / "bin").symlink_to("usr/bin")
    build_image(
        ctx, IMAGE, 'FROM scratch\nCOPY rootfs /\nCMD ["/usr/bin/busybox", "sleep", "600"]\n'
    )
    name = f"hh-drift-{os.getpid()}"
    try:
        cid = run("podman", "run", "-d", "--name", name, IMAGE).decode().strip()
        fmt = "{{.Image}} {{.State.Pid}} {{.State.StartedAt.UnixNano}}"
        image_id, pid, started = run("podman", "inspect", name, "--format", fmt).decode().split()
        info = ContainerInfo(
            id=cid[:12],
            full_id=cid,
            name=name,
            image=IMAGE,
            image_repository="localhost/hardhull-drifttest",
            image_tag="1",
            image_id=image_id,
            engine="podman",
            started_at=int(started),
        )
        yield Running(info, int(pid), name)
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True, check=False)
        remove_image(IMAGE)


@pytest.fixture(scope="module")
def index_cache(
    podman_api: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ImageIndexCache]:
    cache = ImageIndexCache(
        options=SourceOptions(podman_socket=podman_api),
        cache_dir=tmp_path_factory.mktemp("drift-cache"),
    )
    yield cache
    cache.close()


def _exec(info: ContainerInfo | None, path: str, pid: int = 0, **extra: object) -> Event:
    fields: dict[str, object] = {"proc.exepath": path, "proc.args": ("x",), **extra}
    if pid:
        fields["proc.pid"] = pid
    return Event("syscall", "execve", time.time_ns(), fields, info)


def _hpid(name: str, marker: str) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        out = run("podman", "top", name, "hpid", "args").decode().splitlines()[1:]
        for line in out:
            hpid, _, args = line.strip().partition(" ")
            if marker in args:
                return int(hpid)
        time.sleep(0.1)
    raise AssertionError(f"no process with {marker!r} in {name}")


def test_first_exec_is_unknown_then_index_is_ready(
    container: Running, index_cache: ImageIndexCache
) -> None:
    detector = DriftDetector(index_cache.get)
    # the first lookup only starts the background build: drift is unknown, and counted
    assert detector.check(_exec(container.info, "/bin/sh")) is None
    stats = detector.stats()
    assert (stats.checks, stats.unknown, stats.clean, stats.drift) == (1, 1, 0, 0)
    index = index_cache.wait(container.info, timeout=120)
    assert isinstance(index, ImageIndex)
    assert index.key == image_key(container.info)
    busybox = index.lookup("/usr/bin/busybox")
    assert busybox is not None
    assert busybox.size == BUSYBOX.stat().st_size
    assert busybox.digest == "sha256:" + hashlib.sha256(BUSYBOX.read_bytes()).hexdigest()
    # symlinks are resolved inside the image: /bin -> usr/bin, sh -> busybox
    assert index.lookup("/bin/sh") == busybox
    assert index.lookup("/usr/bin/sh") == busybox
    assert index.lookup("/tmp/evil") is None
    assert index_cache.stats().built == 1


def test_exec_of_image_file_is_not_drift(container: Running, index_cache: ImageIndexCache) -> None:
    assert index_cache.wait(container.info, timeout=120) is not None
    detector = DriftDetector(index_cache.get)
    # the container's main process runs /usr/bin/busybox: checked through /proc/<pid>/exe
    for path in ("/usr/bin/busybox", "/bin/busybox"):
        assert detector.check(_exec(container.info, path, container.pid)) is None
    stats = detector.stats()
    assert (stats.checks, stats.clean, stats.unverified, stats.drift) == (2, 2, 0, 0)


def test_exec_of_file_absent_from_image_is_drift(
    container: Running, index_cache: ImageIndexCache
) -> None:
    assert index_cache.wait(container.info, timeout=120) is not None
    run("podman", "exec", container.name, "cp", "/usr/bin/busybox", "/tmp/busybox")
    run("podman", "exec", "-d", container.name, "/tmp/busybox", "sleep", "302")
    pid = _hpid(container.name, "sleep 302")
    engine = Engine(RuleSet.build(()), drift=DriftDetector(index_cache.get))
    alerts = engine.process(_exec(container.info, "/tmp/busybox", pid))
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.kind is AlertKind.DRIFT
    assert alert.rule == "Binary Drift Detected"
    assert alert.priority is Priority.CRITICAL
    assert "/tmp/busybox not in image" in alert.output
    assert f"container_id={container.info.id}" in alert.output
    assert f"image_digest={container.info.image_id}" in alert.output
    assert alert.output_fields["drift.reason"] == "not in image"
    st = engine.stats()
    assert st.alerts == {"Binary Drift Detected": 1}
    assert st.drift is not None and st.drift.drift == 1


def test_changed_image_file_is_drift(container: Running, index_cache: ImageIndexCache) -> None:
    assert index_cache.wait(container.info, timeout=120) is not None
    script = "cat /usr/bin/sleep > /tmp/s && echo >> /tmp/s && cp /tmp/s /usr/bin/sleep"
    run("podman", "exec", container.name, "sh", "-c", script)
    run("podman", "exec", "-d", container.name, "/usr/bin/sleep", "303")
    pid = _hpid(container.name, "sleep 303")
    detector = DriftDetector(index_cache.get)
    alert = detector.check(_exec(container.info, "/usr/bin/sleep", pid))
    assert alert is not None
    size = BUSYBOX.stat().st_size
    assert alert.output_fields["drift.reason"] == f"changed: size {size + 1} (image: {size})"
    # the sensor's upper-layer flag alone is enough, even without /proc
    flagged = _exec(container.info, "/bin/sh", proc__is_exe_upper_layer=True)
    flagged = Event(
        flagged.source,
        flagged.type,
        flagged.time,
        {**flagged.fields, "proc.is_exe_upper_layer": True},
        flagged.container,
    )
    alert = detector.check(flagged)
    assert alert is not None
    assert alert.output_fields["drift.reason"] == "modified after the container started"


def test_allow_list_and_host(container: Running, index_cache: ImageIndexCache) -> None:
    assert index_cache.wait(container.info, timeout=120) is not None
    allow = parse_allow_list(
        "allow:\n"
        "  - name: jit\n"
        "    match: {container_name: hh-drift-*, image_repository: localhost/hardhull-*}\n"
        "    paths: [/tmp/jit/*]\n"
        "  - match: {container_name: someone-else}\n"
        "    paths: [/tmp/evil]\n"
    )
    detector = DriftDetector(index_cache.get, allow)
    assert detector.check(_exec(container.info, "/tmp/jit/code.so")) is None
    assert detector.check(_exec(container.info, "/tmp/evil")) is not None  # not selected
    host = ContainerInfo(id="host", name="host")
    assert detector.check(_exec(host, "/tmp/evil")) is None
    assert detector.check(_exec(None, "/tmp/evil")) is None
    st = detector.stats()
    assert (st.checks, st.allowed, st.drift, st.host_skipped) == (2, 1, 1, 2)


def test_unreadable_image_stays_unknown_and_disk_cache_is_reused(
    container: Running, index_cache: ImageIndexCache, podman_api: str, tmp_path: Path
) -> None:
    ghost = ContainerInfo(id="0123456789ab", name="ghost", image_id="sha256:" + "0" * 64)
    detector = DriftDetector(index_cache.get, report_unknown=True)
    alert = detector.check(_exec(ghost, "/bin/sh"))
    assert alert is not None and alert.rule == "Binary Drift Unknown"
    assert index_cache.wait(ghost, timeout=60) is None
    assert detector.check(_exec(ghost, "/bin/sh")) is not None  # still unknown, never clean
    assert detector.stats().unknown == 2
    assert index_cache.stats().failed == 1
    assert "0" * 64 in index_cache.stats().last_error
    # a second cache on the same directory loads the index from disk without the engine
    assert index_cache.wait(container.info, timeout=120) is not None

    def no_engine(info: ContainerInfo, key: str) -> ImageIndex:
        raise AssertionError("must come from the disk cache")

    again = ImageIndexCache(no_engine, cache_dir=index_cache._cache_dir)
    try:
        index = again.wait(container.info, timeout=30)
        assert index is not None and index.lookup("/bin/sh") is not None
        assert again.stats().loaded_from_disk == 1
    finally:
        again.close()
