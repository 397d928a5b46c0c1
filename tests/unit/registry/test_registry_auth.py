"""WWW-Authenticate parsing and credential lookup in Docker client configuration files."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from hardhull.errors import RegistryError
from hardhull.sources.registry.auth import (
    Credentials,
    docker_config_path,
    lookup_credentials,
    parse_challenges,
)


def test_bearer_challenge() -> None:
    [c] = parse_challenges(
        'Bearer realm="https://auth.example.com/token",service="registry.example.com",'
        'scope="repository:a/b:pull,push"'
    )
    assert c.scheme == "bearer"
    assert c.get("realm") == "https://auth.example.com/token"
    assert c.get("SERVICE") == "registry.example.com"
    assert c.get("scope") == "repository:a/b:pull,push"
    assert c.get("error") is None


def test_several_challenges_and_escapes() -> None:
    found = parse_challenges('Basic realm="say \\"hi\\"", Bearer realm=https://x/t, error=bad')
    assert [c.scheme for c in found] == ["basic", "bearer"]
    assert found[0].get("realm") == 'say "hi"'
    assert found[1].get("realm") == "https://x/t"
    assert found[1].get("error") == "bad"


def test_garbage_challenge_does_not_crash() -> None:
    assert parse_challenges("") == []
    assert parse_challenges('"') == []
    [c] = parse_challenges("Negotiate")
    assert c.scheme == "negotiate" and c.params == ()


def test_credentials_never_show_the_password() -> None:
    creds = Credentials("alice", "s3cret-value")
    assert "s3cret" not in repr(creds)
    assert creds.basic() == "Basic " + base64.b64encode(b"alice:s3cret-value").decode()


def _config(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(doc))
    return path


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_options_win(tmp_path: Path) -> None:
    path = _config(tmp_path, {"auths": {"r.io": {"auth": _b64("bob:x")}}})
    found = lookup_credentials("r.io", "alice", "pw", path)
    assert found.credentials == Credentials("alice", "pw")


@pytest.mark.parametrize("key", ["r.io:5000", "https://r.io:5000", "http://r.io:5000/v2/"])
def test_auth_entry_keys(tmp_path: Path, key: str) -> None:
    path = _config(tmp_path, {"auths": {key: {"auth": _b64("bob:p:w")}}})
    found = lookup_credentials("r.io:5000", None, None, path)
    assert found.credentials == Credentials("bob", "p:w")
    assert found.origin == str(path)


def test_username_password_entry_and_hub_key(tmp_path: Path) -> None:
    doc = {"auths": {"https://index.docker.io/v1/": {"username": "u", "password": "p"}}}
    found = lookup_credentials("docker.io", None, None, _config(tmp_path, doc))
    assert found.credentials == Credentials("u", "p")


def test_other_hosts_do_not_match(tmp_path: Path) -> None:
    path = _config(tmp_path, {"auths": {"other.io": {"auth": _b64("bob:x")}}})
    found = lookup_credentials("r.io", None, None, path)
    assert found.credentials is None and found.unsupported is None


def test_credential_helpers_are_reported(tmp_path: Path) -> None:
    path = _config(tmp_path, {"credHelpers": {"r.io": "ecr-login"}, "credsStore": "desktop"})
    found = lookup_credentials("r.io", None, None, path)
    assert found.credentials is None
    assert found.unsupported is not None and "docker-credential-ecr-login" in found.unsupported
    other = lookup_credentials("x.io", None, None, path)
    assert other.unsupported is not None and "docker-credential-desktop" in other.unsupported


def test_directory_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(tmp_path / "no-auth.json"))
    _config(tmp_path, {"auths": {"r.io": {"auth": _b64("bob:x")}}})
    assert docker_config_path(tmp_path) == tmp_path / "config.json"
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    assert docker_config_path(None) == tmp_path / "config.json"
    assert lookup_credentials("r.io", None, None, None).credentials == Credentials("bob", "x")
    monkeypatch.delenv("DOCKER_CONFIG")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert docker_config_path(None) == tmp_path / "home" / ".docker" / "config.json"
    assert lookup_credentials("r.io", None, None, None).credentials is None


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"auths": {"r.io": {"auth": "%%%"}}}), "not base64"),
        (json.dumps({"auths": {"r.io": {"auth": _b64("nocolon")}}}), "user:password"),
    ],
)
def test_broken_config(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(content)
    with pytest.raises(RegistryError, match=needle) as err:
        lookup_credentials("r.io", None, None, path)
    assert "nocolon" not in str(err.value)


def test_podman_auth_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    monkeypatch.delenv("REGISTRY_AUTH_FILE", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "run" / "containers").mkdir(parents=True)
    _config(tmp_path / "run" / "containers", {"credsStore": "secretservice"})
    (tmp_path / "run" / "containers" / "config.json").rename(
        tmp_path / "run" / "containers" / "auth.json"
    )
    (tmp_path / "home" / ".config" / "containers").mkdir(parents=True)
    home_auth = _config(tmp_path / "home" / ".config" / "containers", {
        "auths": {"r.io": {"auth": _b64("carol:pw")}}
    })  # fmt: skip
    home_auth.rename(home_auth.with_name("auth.json"))
    found = lookup_credentials("r.io", None, None, None)
    assert found.credentials == Credentials("carol", "pw")
    # a helper alone is reported, and REGISTRY_AUTH_FILE replaces the default places
    missing = lookup_credentials("x.io", None, None, None)
    assert missing.unsupported is not None and "secretservice" in missing.unsupported
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(tmp_path / "nope.json"))
    assert lookup_credentials("r.io", None, None, None).credentials is None


def test_explicit_missing_config(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="not found"):
        lookup_credentials("r.io", None, None, tmp_path / "missing.json")
