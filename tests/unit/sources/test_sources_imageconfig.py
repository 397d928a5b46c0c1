"""Image config JSON -> ImageConfig."""

from __future__ import annotations

import json

import pytest

from hardhull.errors import SourceError
from hardhull.sources.imageconfig import format_platform, parse_config

FULL = {
    "architecture": "arm64",
    "variant": "v8",
    "os": "linux",
    "created": "2024-05-01T00:00:00Z",
    "config": {
        "User": "app",
        "Env": ["PATH=/usr/bin", "LANG=C.UTF-8"],
        "Entrypoint": ["/entry.sh"],
        "Cmd": "serve",
        "WorkingDir": "/srv",
        "Labels": {"b": "2", "a": "1"},
        "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
        "Healthcheck": {"Test": ["CMD-SHELL", "curl -f http://localhost/"], "Interval": 30},
    },
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "a" * 64, "sha256:" + "b" * 64]},
    "history": [
        {"created_by": "ADD rootfs.tar /"},
        {"created_by": "ENV LANG=C.UTF-8", "empty_layer": True},
        {"created_by": "RUN apt-get install -y curl"},
    ],
}


def test_full_config() -> None:
    parsed = parse_config(json.dumps(FULL).encode(), "cfg")
    cfg = parsed.config
    assert parsed.platform == "linux/arm64/v8"
    assert (cfg.architecture, cfg.os, cfg.variant) == ("arm64", "linux", "v8")
    assert cfg.user == "app" and cfg.working_dir == "/srv"
    assert cfg.env == ("PATH=/usr/bin", "LANG=C.UTF-8")
    assert cfg.entrypoint == ("/entry.sh",) and cfg.cmd == ("serve",)
    assert cfg.labels == (("a", "1"), ("b", "2"))
    assert cfg.exposed_ports == ("53/udp", "8080/tcp")
    assert cfg.healthcheck == ("CMD-SHELL", "curl -f http://localhost/")
    assert cfg.history == (
        "ADD rootfs.tar /",
        "ENV LANG=C.UTF-8",
        "RUN apt-get install -y curl",
    )
    assert cfg.created == "2024-05-01T00:00:00Z"
    assert parsed.diff_ids == ("sha256:" + "a" * 64, "sha256:" + "b" * 64)
    assert parsed.layer_history == ("ADD rootfs.tar /", "RUN apt-get install -y curl")


def test_nulls_and_missing_fields() -> None:
    doc = {"architecture": "x86_64", "os": "linux", "config": {"Env": None, "Cmd": None}}
    parsed = parse_config(json.dumps(doc).encode(), "cfg")
    assert parsed.config.env == () and parsed.config.cmd == () and parsed.config.user is None
    assert parsed.config.healthcheck is None and parsed.diff_ids == ()
    assert parsed.platform == "linux/amd64"
    assert parse_config(b"{}", "cfg").platform is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json", "cfg: not valid JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"config": {"Env": [1, 2]}}', "'config.Env' is not a list of strings"),
        (b'{"config": "x"}', "'config' is not an object"),
        (b'{"history": {"a": 1}}', "'history' is not a list"),
    ],
)
def test_bad_configs(data: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        parse_config(data, "cfg")


def test_format_platform() -> None:
    assert format_platform("linux", "aarch64", None) == "linux/arm64"
    assert format_platform(None, "amd64", None) is None
