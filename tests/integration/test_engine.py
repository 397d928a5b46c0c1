"""The podman/docker engine source against a real ``podman system service`` socket.

There is no Docker daemon here: ``docker:`` is exercised against podman's
Docker-compatible API, which is the same code path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.imagekit import blob_sha256, build_image, remove_image
from tests.support.podman_api import podman_service

from hardhull.errors import SourceError, UsageError
from hardhull.sources.base import SourceOptions
from hardhull.sources.engine import export_image, resolve_engine

pytestmark = pytest.mark.integration

IMAGE = "localhost/hardhull-enginetest:1"


@pytest.fixture(scope="session")
def podman_socket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with podman_service(tmp_path_factory.mktemp("podman-api")) as sock:
        yield str(sock)


@pytest.fixture(scope="session")
def engine_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ctx = tmp_path_factory.mktemp("engine-img")
    (ctx / "etc").mkdir()
    (ctx / "etc" / "os-release").write_text('ID=hardhull-engine\nVERSION_ID="2"\n')
    (ctx / "data.txt").write_text("engine test data\n" * 100)
    build_image(
        ctx,
        IMAGE,
        'FROM scratch\nCOPY etc /etc\nCOPY data.txt /srv/data.txt\nENV HH_ENGINE=1\nCMD ["/x"]\n',
    )
    yield IMAGE
    remove_image(IMAGE)


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, int | None]] = []

    def start(self, key: str, label: str, total: int | None) -> None:
        self.events.append(("start", key, total))

    def advance(self, key: str, nbytes: int) -> None:
        self.events.append(("advance", key, nbytes))

    def finish(self, key: str) -> None:
        self.events.append(("finish", key, None))


@pytest.mark.parametrize("engine", ["podman", "docker"])
def test_resolve_engine_image(
    podman_socket: str, engine_image: str, tmp_path: Path, engine: str
) -> None:
    key = "podman_socket" if engine == "podman" else "docker_socket"
    options = SourceOptions(**{key: podman_socket})  # type: ignore[arg-type]
    image = resolve_engine(engine, engine_image, options, tmp_path)
    info = image.info
    assert info.scheme == engine
    assert info.target == engine_image
    assert engine_image in info.tags
    assert info.config is not None
    assert "HH_ENGINE=1" in info.config.env
    assert info.config.cmd == ("/x",)
    assert len(image.layers) == 2
    for blob in image.layers:
        assert blob_sha256(blob) == blob.info.diff_id
    # the export stayed inside the private workdir
    assert [p.name for p in tmp_path.iterdir()] == [f"{engine}-image.tar"]


def test_export_reports_progress(podman_socket: str, engine_image: str, tmp_path: Path) -> None:
    progress = Recorder()
    options = SourceOptions(podman_socket=f"unix://{podman_socket}", progress=progress)
    archive, inspected = export_image("podman", engine_image, options, tmp_path)
    assert archive.parent == tmp_path
    assert engine_image in inspected["RepoTags"]
    kinds = [e[0] for e in progress.events]
    assert kinds[0] == "start" and kinds[-1] == "finish"
    advanced = sum(e[2] or 0 for e in progress.events if e[0] == "advance")
    assert advanced == archive.stat().st_size > 0


def test_unknown_image(podman_socket: str, tmp_path: Path) -> None:
    options = SourceOptions(podman_socket=podman_socket)
    with pytest.raises(SourceError, match="not found in the podman store"):
        resolve_engine("podman", "localhost/hardhull-no-such-image:9", options, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_container_host_environment(
    podman_socket: str, engine_image: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTAINER_HOST", f"unix://{podman_socket}")
    image = resolve_engine("podman", engine_image, SourceOptions(), tmp_path)
    assert len(image.layers) == 2


def test_missing_socket_says_how_to_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONTAINER_HOST", raising=False)
    options = SourceOptions(podman_socket=str(tmp_path / "absent.sock"))
    with pytest.raises(SourceError, match="podman system service"):
        resolve_engine("podman", IMAGE, options, tmp_path)


def test_stale_socket_file(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "stale.sock"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    s.close()  # the file stays, nobody listens
    with pytest.raises(SourceError, match="cannot connect to the docker API"):
        resolve_engine("docker", IMAGE, SourceOptions(docker_socket=str(path)), tmp_path)


def test_docker_host_tcp_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:2375")
    with pytest.raises(SourceError, match="not a unix socket"):
        resolve_engine("docker", IMAGE, SourceOptions(), tmp_path)


def test_bad_engine_and_name(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        resolve_engine("containerd", IMAGE, SourceOptions(), tmp_path)
    with pytest.raises(UsageError):
        resolve_engine("podman", "bad name", SourceOptions(), tmp_path)


def _hardhull(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hardhull", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, **env},
    )


def test_cli_podman_target(podman_socket: str, engine_image: str) -> None:
    env = {"CONTAINER_HOST": f"unix://{podman_socket}"}
    proc = _hardhull("sbom", f"podman:{engine_image}", "--format", "json", "-q", env=env)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert len(doc["coverage"]["layers_read"]) == 2
    bad = _hardhull("sbom", "podman:localhost/hardhull-nope:1", "-q", env=env)
    assert bad.returncode != 0
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hardhull: error:"), bad.stderr
    assert "not found in the podman store" in lines[0]
