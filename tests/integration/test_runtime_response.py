"""Attribution and response against real podman + runc containers through a real
``podman system service`` on a temporary socket (libpod API and the Docker-compatible
API, which stands in for a Docker daemon here)."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.imagekit import build_image, remove_image, require, run
from tests.support.podman_api import start_service, stop_service

from hardhull.model.event import Alert, ContainerInfo, Event, Priority
from hardhull.runtime.engines import DockerClient, PodmanClient
from hardhull.runtime.enrich import Enricher
from hardhull.runtime.response import (
    DRY_RUN,
    REFUSED_HOST,
    REFUSED_PROTECTED,
    SKIPPED,
    TAKEN,
    Responder,
    parse_response_config,
)

pytestmark = pytest.mark.integration

IMAGE = "localhost/hardhull-resptest:1"
_SERVICE: dict[str, subprocess.Popen[bytes]] = {}  # the running API service (restarted by a test)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    require("podman", "runc")
    sock = tmp_path_factory.mktemp("resp-api") / "podman.sock"
    holder = _SERVICE
    holder["proc"] = start_service(sock)
    try:
        yield sock
    finally:
        stop_service(holder["proc"])


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require("podman")
    busybox = shutil.which("busybox")
    if busybox is None:
        require("busybox")
    ctx = tmp_path_factory.mktemp("resp-img")
    shutil.copy(str(busybox), ctx / "busybox")
    build_image(
        ctx,
        IMAGE,
        "FROM scratch\nCOPY busybox /bin/busybox\n"
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
        'CMD ["/bin/sleep", "3600"]\n',
    )
    yield IMAGE
    remove_image(IMAGE)


def _inspect(name: str, fmt: str) -> str:
    return run("podman", "inspect", "--format", fmt, name).decode().strip()


@pytest.fixture
def container(image: str) -> Iterator[str]:
    name = f"hh-resp-{uuid.uuid4().hex[:8]}"
    run("podman", "run", "-d", "--name", name, "--label", "app=resptest", image)
    try:
        yield name
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True, check=False)


def _event(name: str, *, pid: int | None = None) -> Event:
    full = _inspect(name, "{{.Id}}")
    fields: dict[str, object] = {"container.id": full[:12]}
    if pid is not None:
        fields["proc.pid"] = pid
    return Event("syscall", "execve", time.time_ns(), fields, ContainerInfo(full[:12], full))


def _alert(event: Event, rule: str = "Terminal shell in container") -> Alert:
    return Alert(rule=rule, priority=Priority.NOTICE, output="shell", event=event, tags=("shell",))


def _config(action: str, *, dry_run: bool = False, extra: str = "") -> str:
    return (
        f"dry_run: {str(dry_run).lower()}\n"
        "protected:\n  - {name: 'hardhull-*'}\n  - {label: 'io.hardhull/protected=true'}\n"
        f"{extra}"
        f"actions:\n  - {{rule: 'Terminal shell*', action: {action}}}\n"
    )


@pytest.mark.parametrize("dialect", ["podman", "docker"])
def test_enrich_matches_podman_inspect(api: Path, container: str, dialect: str) -> None:
    client = PodmanClient(api) if dialect == "podman" else DockerClient(api)
    enricher = Enricher([client])
    out = enricher.enrich(_event(container))
    info = out.container
    assert info is not None
    assert info.name == container
    assert info.full_id == _inspect(container, "{{.Id}}")
    assert info.image == IMAGE
    assert (info.image_repository, info.image_tag) == ("localhost/hardhull-resptest", "1")
    digest = _inspect(container, "{{.ImageDigest}}")
    assert digest.startswith("sha256:")
    assert info.image_digest == digest
    assert info.image_id == "sha256:" + _inspect(container, "{{.Image}}")
    assert info.engine == dialect
    assert info.privileged is False
    assert info.labels["app"] == "resptest"
    assert info.started_at > 0
    # cached: a second event asks nobody
    enricher.enrich(_event(container))
    stats = enricher.stats()
    assert (stats.lookups, stats.hits, stats.errors) == (1, 1, 0)


def test_enrich_from_pid_alone(api: Path, container: str) -> None:
    pid = int(_inspect(container, "{{.State.Pid}}"))
    out = Enricher([PodmanClient(api)]).enrich(Event("syscall", "execve", 1, {"proc.pid": pid}))
    assert out.container is not None and out.container.name == container
    assert out.fields["container.id"] == _inspect(container, "{{.Id}}")[:12]


def test_kill_process_kills_only_that_process(api: Path, container: str) -> None:
    run("podman", "exec", "-d", container, "/bin/sleep", "3000")
    main_pid = int(_inspect(container, "{{.State.Pid}}"))
    children = Path(f"/proc/{main_pid}/task/{main_pid}/children")
    # the exec'd sleep is not a child of the main process; find it by its cgroup
    full = _inspect(container, "{{.Id}}")
    victim = next(
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit()
        and int(p.name) != main_pid
        and full in (p / "cgroup").read_text(errors="replace")
        and (p / "cmdline").read_bytes().startswith(b"/bin/sleep\x003000")
    )
    assert children.exists()
    audit = io.StringIO()
    responder = Responder(
        parse_response_config(_config("kill_process")), PodmanClient(api), audit=audit
    )
    records = responder.handle(_alert(_event(container, pid=victim)))
    assert [(r.action, r.status) for r in records] == [("kill_process", TAKEN)]
    _wait_gone(victim)
    assert _inspect(container, "{{.State.Status}}") == "running"
    line = json.loads(audit.getvalue())
    assert line["status"] == TAKEN and line["pid"] == victim
    assert line["alert"]["rule"] == "Terminal shell in container"
    # a pid outside the container is refused, whatever the alert claims
    again = responder.handle(_alert(_event(container, pid=os.getpid())))
    assert again[0].status == "refused-stale"
    assert Path(f"/proc/{os.getpid()}").exists()


def _wait_gone(pid: int) -> None:
    for _ in range(200):
        if not Path(f"/proc/{pid}").exists():
            return
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return
        if stat.split(")", 1)[1].split()[0] in ("Z", "X"):
            return
        time.sleep(0.05)
    pytest.fail(f"process {pid} still alive after SIGKILL")


@pytest.mark.parametrize(
    ("action", "check"),
    [
        ("pause_container", lambda name: _inspect(name, "{{.State.Status}}") == "paused"),
        ("stop_container", lambda name: _inspect(name, "{{.State.Status}}") == "exited"),
        (
            "disconnect_network",
            lambda name: _inspect(name, "{{json .NetworkSettings.Networks}}") in ("null", "{}"),
        ),
    ],
)
def test_container_actions_take_effect(
    api: Path, container: str, action: str, check: object, tmp_path: Path
) -> None:
    assert _inspect(container, "{{json .NetworkSettings.Networks}}") not in ("null", "{}")
    log = tmp_path / "audit" / "response.jsonl"
    extra = f"audit_log: {log}\nstop_timeout: 1\n"
    responder = Responder(parse_response_config(_config(action, extra=extra)), PodmanClient(api))
    records = responder.handle(_alert(_event(container)))
    assert [r.status for r in records] == [TAKEN], records[0].reason
    assert callable(check) and check(container)
    # idempotent within the burst window
    assert responder.handle(_alert(_event(container)))[0].status == SKIPPED
    responder.close()
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert [x["status"] for x in lines] == [TAKEN, SKIPPED]
    assert lines[0]["container"]["name"] == container


def test_stop_after_pause_kills(api: Path, container: str) -> None:
    config = parse_response_config(
        "dry_run: false\nactions:\n  - {rule: '*', action: pause_container}\n"
        "  - {priority: '>=notice', action: stop_container}\n"
    )
    records = Responder(config, PodmanClient(api)).handle(_alert(_event(container)))
    assert [(r.action, r.status) for r in records] == [
        ("pause_container", TAKEN),
        ("stop_container", TAKEN),
    ]
    assert _inspect(container, "{{.State.Status}}") in ("exited", "stopped")


def test_dry_run_changes_nothing_but_is_logged(api: Path, container: str) -> None:
    audit = io.StringIO()
    config = parse_response_config(_config("stop_container", dry_run=True))
    records = Responder(config, PodmanClient(api), audit=audit).handle(_alert(_event(container)))
    assert [r.status for r in records] == [DRY_RUN]
    assert _inspect(container, "{{.State.Status}}") == "running"
    logged = json.loads(audit.getvalue())
    assert logged["dry_run"] is True and logged["reason"].startswith("dry run")


def test_protected_and_host_are_refused(api: Path, image: str) -> None:
    name = f"hardhull-agent-{uuid.uuid4().hex[:6]}"
    labelled = f"hh-resp-prot-{uuid.uuid4().hex[:6]}"
    run("podman", "run", "-d", "--name", name, image)
    run("podman", "run", "-d", "--name", labelled, "--label", "io.hardhull/protected=true", image)
    try:
        audit = io.StringIO()
        responder = Responder(
            parse_response_config(_config("stop_container")), PodmanClient(api), audit=audit
        )
        for target in (name, labelled):
            records = responder.handle(_alert(_event(target)))
            assert [r.status for r in records] == [REFUSED_PROTECTED]
            assert _inspect(target, "{{.State.Status}}") == "running"
        host = Event("syscall", "execve", 1, {"container.id": "host", "proc.pid": 1})
        assert responder.handle(_alert(host))[0].status == REFUSED_HOST
        statuses = [json.loads(x)["status"] for x in audit.getvalue().splitlines()]
        assert statuses == [REFUSED_PROTECTED, REFUSED_PROTECTED, REFUSED_HOST]
        assert (
            "label: io.hardhull/protected=true"
            in json.loads(audit.getvalue().splitlines()[1])["reason"]
        )
    finally:
        for n in (name, labelled):
            subprocess.run(["podman", "rm", "-f", "-t", "0", n], capture_output=True, check=False)


def test_engine_restart(api: Path, container: str) -> None:
    client = PodmanClient(api)
    enricher = Enricher([client], error_ttl=0)
    assert enricher.enrich(_event(container)).container.name == container  # type: ignore[union-attr]
    holder = _SERVICE
    # the engine goes away: attribution degrades (counted), nothing raises
    stop_service(holder["proc"])
    enricher.invalidate()
    degraded = enricher.enrich(_event(container))
    assert degraded.container is not None and degraded.container.name == ""
    assert enricher.stats().errors >= 1
    # ... and comes back on the same socket: the next calls work again
    if api.exists():
        api.unlink()
    holder["proc"] = start_service(api)
    assert enricher.enrich(_event(container)).container.name == container  # type: ignore[union-attr]
    responder = Responder(parse_response_config(_config("pause_container")), client)
    assert responder.handle(_alert(_event(container)))[0].status == TAKEN
    assert _inspect(container, "{{.State.Status}}") == "paused"
    os.kill(holder["proc"].pid, signal.SIGKILL)
    holder["proc"].wait()
    if api.exists():
        api.unlink()
    holder["proc"] = start_service(api)
    assert client.inspect(container) is not None
