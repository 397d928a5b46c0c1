"""The registry source against real ``docker-registry`` servers on 127.0.0.1.

One tiny image (two layers, FROM scratch) and one multi-platform index are built with
podman once per session and pushed with skopeo/podman into registries that speak plain
HTTP, HTTPS with a private CA, htpasswd (Basic) auth and token (Bearer) auth.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tests.support.imagekit import (
    blob_sha256,
    build_image,
    remove_image,
    require,
    run,
    skopeo_copy,
)
from tests.support.registry import (
    RegistryServer,
    TlsFiles,
    TokenServer,
    make_tls,
    start_registry,
)

from hardhull.errors import RegistryError, SourceError, UsageError
from hardhull.sources.base import ResolvedImage, SourceOptions
from hardhull.sources.registry import resolve_registry

pytestmark = pytest.mark.integration

APP = "localhost/hardhull-regtest-app:1"
MULTI = "localhost/hardhull-regtest-multi:1"
PLATFORMS = ("linux/amd64", "linux/arm64", "linux/arm/v7")
USERS = {"alice": "wonder-land-42"}
CONTAINERFILE = """\
FROM scratch
COPY etc /etc
COPY app /app
"""
MULTI_CONTAINERFILE = """\
FROM scratch
ARG TARGETARCH
COPY arch-${TARGETARCH}.txt /arch.txt
"""


@dataclass
class Recorder:
    """A Progress sink that remembers what it was told."""

    started: dict[str, int | None] = field(default_factory=dict)
    advanced: dict[str, int] = field(default_factory=dict)
    finished: list[str] = field(default_factory=list)

    def start(self, key: str, label: str, total: int | None) -> None:
        self.started[key] = total

    def advance(self, key: str, nbytes: int) -> None:
        self.advanced[key] = self.advanced.get(key, 0) + nbytes

    def finish(self, key: str) -> None:
        self.finished.append(key)


@dataclass(frozen=True)
class Images:
    app: str
    multi: str


@pytest.fixture(scope="session")
def images(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Images]:
    require("podman", "skopeo")
    ctx = tmp_path_factory.mktemp("regimg")
    (ctx / "etc").mkdir()
    (ctx / "etc" / "os-release").write_text('ID=hardhull-test\nVERSION_ID="1"\n')
    (ctx / "app").mkdir()
    (ctx / "app" / "hello.txt").write_text("hello from the registry test\n")
    build_image(ctx, APP, CONTAINERFILE)
    mctx = tmp_path_factory.mktemp("regmulti")
    for arch in ("amd64", "arm64", "arm"):
        (mctx / f"arch-{arch}.txt").write_text(f"built for {arch}\n")
    (mctx / "Containerfile").write_text(MULTI_CONTAINERFILE)
    subprocess.run(["podman", "manifest", "rm", MULTI], capture_output=True, check=False)
    # One build per platform, uncached: podman 4.3 leaks a cached variant into other
    # platforms' configs when building several platforms at once.
    parts = []
    for platform in PLATFORMS:
        tag = f"{MULTI}-{platform.replace('/', '-')}"
        run(
            "podman", "build", "-q", "--no-cache", "--format", "oci", "--platform", platform,
            "-t", tag, "-f", mctx / "Containerfile", mctx,
        )  # fmt: skip
        parts.append(tag)
    run("podman", "manifest", "create", MULTI)
    for tag in parts:
        run("podman", "manifest", "add", MULTI, f"containers-storage:{tag}")
    yield Images(APP, MULTI)
    subprocess.run(["podman", "manifest", "rm", MULTI], capture_output=True, check=False)
    for tag in parts:
        remove_image(tag)
    remove_image(APP)


def _push(images: Images, host: str, *extra: str) -> None:
    skopeo_copy(f"containers-storage:{images.app}", f"docker://{host}/app:1", *extra)


@pytest.fixture(scope="session")
def plain(tmp_path_factory: pytest.TempPathFactory, images: Images) -> Iterator[RegistryServer]:
    server = start_registry(tmp_path_factory.mktemp("reg-plain"))
    try:
        _push(images, server.host, "--dest-tls-verify=false")
        run(
            "podman", "manifest", "push", "-q", "--all", "--tls-verify=false",
            images.multi, f"docker://{server.host}/multi:1",
        )  # fmt: skip
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory, images: Images) -> Iterator[RegistryServer]:
    files = make_tls(tmp_path_factory.mktemp("reg-tls-ca"))
    server = start_registry(tmp_path_factory.mktemp("reg-tls"), tls=files)
    try:
        _push(images, server.host, "--dest-tls-verify=false")
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def basic(tmp_path_factory: pytest.TempPathFactory, images: Images) -> Iterator[RegistryServer]:
    server = start_registry(tmp_path_factory.mktemp("reg-basic"), htpasswd_users=USERS)
    try:
        _push(images, server.host, "--dest-tls-verify=false", "--dest-creds=alice:wonder-land-42")
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def token_pair(
    tmp_path_factory: pytest.TempPathFactory, images: Images
) -> Iterator[tuple[RegistryServer, TokenServer]]:
    tokens = TokenServer(tmp_path_factory.mktemp("tokens"), USERS)
    server = start_registry(tmp_path_factory.mktemp("reg-token"), token=tokens)
    try:
        _push(images, server.host, "--dest-tls-verify=false", "--dest-creds=alice:wonder-land-42")
        yield server, tokens
    finally:
        server.stop()
        tokens.stop()


def _no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Make sure no Docker config or podman auth file on this machine is consulted."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "none"))
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(tmp_path / "none" / "auth.json"))


def _resolve(ref: str, tmp_path: Path, **kw: object) -> ResolvedImage:
    return resolve_registry(ref, SourceOptions(**kw), tmp_path)  # type: ignore[arg-type]


def _check_layers(image: ResolvedImage) -> None:
    """Every layer streams completely and hashes to its digest."""
    assert image.layers
    for blob in image.layers:
        assert blob_sha256(blob, chunk=7919) == blob.info.digest


def _skopeo_digest(ref: str, *extra: str) -> str:
    out = run("skopeo", "inspect", "--raw", *extra, f"docker://{ref}")
    return "sha256:" + hashlib.sha256(out).hexdigest()


# -- plain HTTP, anonymous ------------------------------------------------------------


def test_plain_http_insecure_pull(plain: RegistryServer, tmp_path: Path) -> None:
    progress = Recorder()
    image = _resolve(f"{plain.host}/app:1", tmp_path, insecure=True, progress=progress)
    info = image.info
    assert info.scheme == "registry"
    assert info.name == f"{plain.host}/app:1"
    assert info.tags == ("1",)
    assert info.platform == "linux/amd64"
    assert info.config is not None and info.config.architecture == "amd64"
    assert info.manifest_digest == _skopeo_digest(f"{plain.host}/app:1", "--tls-verify=false")
    assert len(image.layers) == 2
    assert all(layer.diff_id and layer.diff_id.startswith("sha256:") for layer in info.layers)
    _check_layers(image)
    sizes = {layer.info.size for layer in image.layers}
    assert set(progress.started.values()) == sizes
    assert sorted(progress.advanced.values()) == sorted(layer.info.size for layer in image.layers)
    assert sorted(progress.finished) == sorted(progress.started)


def test_pull_by_digest_is_verified(plain: RegistryServer, tmp_path: Path) -> None:
    digest = _skopeo_digest(f"{plain.host}/app:1", "--tls-verify=false")
    image = _resolve(f"{plain.host}/app@{digest}", tmp_path, insecure=True)
    assert image.info.manifest_digest == digest
    assert image.info.tags == ()
    missing = "sha256:" + "0" * 64
    with pytest.raises(RegistryError, match=r"not found on registry 127\.0\.0\.1"):
        _resolve(f"{plain.host}/app@{missing}", tmp_path, insecure=True)


def test_plain_http_without_insecure_says_so(plain: RegistryServer, tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="--insecure"):
        _resolve(f"{plain.host}/app:1", tmp_path)


@pytest.mark.parametrize("ref", ["app:nope", "nothere/app:1"])
def test_unknown_tag_or_repository(plain: RegistryServer, tmp_path: Path, ref: str) -> None:
    with pytest.raises(RegistryError, match=r"not found on registry .*UNKNOWN") as err:
        _resolve(f"{plain.host}/{ref}", tmp_path, insecure=True)
    assert "\n" not in str(err.value)


def test_connection_refused(tmp_path: Path) -> None:
    from tests.support.registry import free_port

    with pytest.raises(RegistryError, match="connection refused"):
        _resolve(f"127.0.0.1:{free_port()}/app:1", tmp_path, insecure=True)


def test_bad_reference_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        _resolve("127.0.0.1:5000/App:1", tmp_path, insecure=True)


# -- multi-platform index -------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "arch", "variant"),
    [(None, "amd64", None), ("linux/arm64", "arm64", None), ("linux/arm/v7", "arm", "v7")],
)
def test_platform_selection(
    plain: RegistryServer, tmp_path: Path, platform: str | None, arch: str, variant: str | None
) -> None:
    image = _resolve(f"{plain.host}/multi:1", tmp_path, insecure=True, platform=platform)
    config = image.info.config
    assert config is not None
    assert (config.architecture, config.variant) == (arch, variant)
    index_digest = _skopeo_digest(f"{plain.host}/multi:1", "--tls-verify=false")
    assert image.info.manifest_digest != index_digest  # the platform's own manifest
    _check_layers(image)
    with image.layers[0].open() as fh:
        import tarfile

        with tarfile.open(fileobj=fh, mode="r|*") as tar:
            for member in tar:
                if member.name.endswith("arch.txt"):
                    data = tar.extractfile(member)
                    assert data is not None
                    assert data.read() == f"built for {arch}\n".encode()


def test_platform_mismatch_on_single_image(plain: RegistryServer, tmp_path: Path) -> None:
    ok = _resolve(f"{plain.host}/app:1", tmp_path, insecure=True, platform="linux/amd64")
    assert ok.info.platform == "linux/amd64"
    with pytest.raises(
        RegistryError, match="single-platform image for linux/amd64, not linux/arm64"
    ):
        _resolve(f"{plain.host}/app:1", tmp_path, insecure=True, platform="linux/arm64")
    with pytest.raises(UsageError, match="os/architecture"):
        _resolve(f"{plain.host}/app:1", tmp_path, insecure=True, platform="linux")


def test_absent_platform_lists_available(plain: RegistryServer, tmp_path: Path) -> None:
    with pytest.raises(SourceError) as err:
        _resolve(f"{plain.host}/multi:1", tmp_path, insecure=True, platform="linux/s390x")
    text = str(err.value)
    assert "linux/s390x" in text
    assert "linux/amd64" in text and "linux/arm64" in text and "linux/arm/v7" in text


# -- HTTPS with a private CA ----------------------------------------------------------


def test_https_with_ca_bundle(
    tls: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isinstance(tls.tls, TlsFiles)
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.tls.ca))
    image = _resolve(f"{tls.host}/app:1", tmp_path)
    _check_layers(image)


def test_https_without_ca_fails_clearly(
    tls: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with pytest.raises(RegistryError, match=r"TLS verification of registry .* failed") as err:
        _resolve(f"{tls.host}/app:1", tmp_path)
    assert "SSL_CERT_FILE" in str(err.value)


def test_https_insecure_skips_verification(
    tls: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    image = _resolve(f"{tls.host}/app:1", tmp_path, insecure=True)
    _check_layers(image)


# -- Basic (htpasswd) -----------------------------------------------------------------


def test_basic_auth_with_credentials(basic: RegistryServer, tmp_path: Path) -> None:
    image = _resolve(
        f"{basic.host}/app:1", tmp_path, insecure=True, username="alice", password=USERS["alice"]
    )
    _check_layers(image)


def test_basic_auth_missing_credentials(
    basic: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_credentials(monkeypatch, tmp_path)
    with pytest.raises(RegistryError, match="--username"):
        _resolve(f"{basic.host}/app:1", tmp_path, insecure=True)


def test_basic_auth_wrong_password(basic: RegistryServer, tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="rejected the credentials") as err:
        _resolve(f"{basic.host}/app:1", tmp_path, insecure=True, username="alice", password="x")
    assert "wonder" not in str(err.value)


# -- Bearer tokens --------------------------------------------------------------------


def test_token_auth_with_credentials_caches_tokens(
    token_pair: tuple[RegistryServer, TokenServer], tmp_path: Path
) -> None:
    server, tokens = token_pair
    scope = "repository:app:pull"
    before = tokens.requests[scope]
    image = _resolve(
        f"{server.host}/app:1", tmp_path, insecure=True, username="alice", password=USERS["alice"]
    )
    _check_layers(image)
    assert tokens.requests[scope] - before == 1


def test_token_auth_without_credentials_refused(
    token_pair: tuple[RegistryServer, TokenServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, _ = token_pair
    _no_credentials(monkeypatch, tmp_path)
    with pytest.raises(RegistryError, match="requires authentication"):
        _resolve(f"{server.host}/app:1", tmp_path, insecure=True)


def test_token_auth_wrong_password(
    token_pair: tuple[RegistryServer, TokenServer], tmp_path: Path
) -> None:
    server, _ = token_pair
    with pytest.raises(RegistryError, match="rejected the credentials"):
        _resolve(f"{server.host}/app:1", tmp_path, insecure=True, username="alice", password="x")


def test_token_auth_anonymous_pull(
    token_pair: tuple[RegistryServer, TokenServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, tokens = token_pair
    monkeypatch.setattr(tokens, "anonymous_pull", True)
    _no_credentials(monkeypatch, tmp_path)
    image = _resolve(f"{server.host}/app:1", tmp_path, insecure=True)
    _check_layers(image)


# -- ~/.docker/config.json ------------------------------------------------------------


def _write_config(folder: Path, doc: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.json"
    path.write_text(json.dumps(doc))
    return path


def test_docker_config_auth_entry(
    token_pair: tuple[RegistryServer, TokenServer], tmp_path: Path
) -> None:
    server, _ = token_pair
    auth = base64.b64encode(f"alice:{USERS['alice']}".encode()).decode()
    path = _write_config(tmp_path / "cfg", {"auths": {server.host: {"auth": auth}}})
    _check_layers(_resolve(f"{server.host}/app:1", tmp_path, insecure=True, docker_config=path))


def test_docker_config_from_env(
    basic: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = {"auths": {f"https://{basic.host}": {"username": "alice", "password": USERS["alice"]}}}
    _write_config(tmp_path / "env", doc)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "env"))
    _check_layers(_resolve(f"{basic.host}/app:1", tmp_path, insecure=True))


def test_podman_auth_file(
    basic: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = base64.b64encode(f"alice:{USERS['alice']}".encode()).decode()
    path = _write_config(tmp_path / "podman", {"auths": {basic.host: {"auth": auth}}})
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "none"))
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(path))
    _check_layers(_resolve(f"{basic.host}/app:1", tmp_path, insecure=True))


def test_docker_config_credential_helper_is_reported(basic: RegistryServer, tmp_path: Path) -> None:
    path = _write_config(tmp_path / "h", {"credHelpers": {basic.host: "pass"}})
    with pytest.raises(RegistryError, match=r"docker-credential-pass.* not supported"):
        _resolve(f"{basic.host}/app:1", tmp_path, insecure=True, docker_config=path)


# -- through the command line ---------------------------------------------------------


def _hardhull(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hardhull", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_cli_sbom_from_registry(plain: RegistryServer, tmp_path: Path) -> None:
    image = _resolve(f"{plain.host}/app:1", tmp_path, insecure=True)
    proc = _hardhull("sbom", f"registry:{plain.host}/app:1", "--insecure", "--format", "json", "-q")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["coverage"]["layers_read"] == [layer.info.digest for layer in image.layers]


@pytest.mark.parametrize(
    ("ref", "needle"),
    [("nothere/app:1", "not found"), ("app:1", "--insecure")],
)
def test_cli_registry_errors_are_one_line(plain: RegistryServer, ref: str, needle: str) -> None:
    args = ["sbom", f"registry:{plain.host}/{ref}", "--format", "json", "-q"]
    if needle != "--insecure":
        args.append("--insecure")
    proc = _hardhull(*args)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("hardhull: error:")
    assert needle in lines[0]
    assert "Traceback" not in proc.stderr
