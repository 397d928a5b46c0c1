"""Image reference parsing: Docker Hub defaults, hosts with ports, tags and digests."""

from __future__ import annotations

import pytest

from hardhull.errors import UsageError
from hardhull.sources.registry import Reference, parse_reference

D = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alpine", Reference("docker.io", "library/alpine", "latest")),
        ("alpine:3.20", Reference("docker.io", "library/alpine", "3.20")),
        ("bitnami/redis:7", Reference("docker.io", "bitnami/redis", "7")),
        ("docker.io/alpine", Reference("docker.io", "library/alpine", "latest")),
        ("index.docker.io/library/alpine:1", Reference("docker.io", "library/alpine", "1")),
        ("localhost/app", Reference("localhost", "app", "latest")),
        ("localhost:5000/app:v1", Reference("localhost:5000", "app", "v1")),
        ("127.0.0.1:5000/team/app:1", Reference("127.0.0.1:5000", "team/app", "1")),
        ("ghcr.io/o/r/deep/name:x_y.z-1", Reference("ghcr.io", "o/r/deep/name", "x_y.z-1")),
        (f"quay.io/app@{D}", Reference("quay.io", "app", None, D)),
        (f"quay.io/app:1@{D}", Reference("quay.io", "app", "1", D)),
        ("[::1]:5000/app:2", Reference("[::1]:5000", "app", "2")),
        ("my-host.example.com/a__b/c-d:1", Reference("my-host.example.com", "a__b/c-d", "1")),
    ],
)
def test_parse(text: str, expected: Reference) -> None:
    assert parse_reference(text) == expected


def test_derived_fields() -> None:
    hub = parse_reference("alpine")
    assert hub.api_host == "registry-1.docker.io"
    assert hub.reference == "latest"
    assert str(hub) == "docker.io/library/alpine:latest"
    local = parse_reference(f"127.0.0.1:5000/app:1@{D}")
    assert local.api_host == "127.0.0.1:5000"
    assert local.reference == D
    assert local.name == "127.0.0.1:5000/app"
    assert str(local) == f"127.0.0.1:5000/app:1@{D}"


@pytest.mark.parametrize(
    "text",
    [
        "",
        " alpine",
        "al pine",
        "Alpine",
        "127.0.0.1:5000/App:1",
        "host:99999/app",
        "host:port/app",
        "app:",
        "app:-bad",
        "app@sha256:abc",
        "app@md5:" + "0" * 32,
        "127.0.0.1:5000/",
        "a//b",
        "app/../etc",
        "app:" + "t" * 129,
        "h.io/" + "a" * 300,
    ],
)
def test_bad_references(text: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_reference(text)
    assert "\n" not in str(err.value)
