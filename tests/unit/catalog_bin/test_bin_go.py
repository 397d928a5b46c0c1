"""Go build info read from real binaries equals `go version -m`, whatever the stream."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from tests.unit.catalog_bin.binkit import GO_VARIANTS, GoBuilds, OneWay

from hardhull.catalog.binprobe import ElfProbe, probe_stream
from hardhull.catalog.elf import ET_DYN

LIMIT = 1 << 32
ALL = [*GO_VARIANTS, "hello-sstripped", "oldgo"]


def _probe(path: Path, *, seekable: bool, keep: int = 8 << 20) -> ElfProbe:
    with path.open("rb") as f:
        stream = f if seekable else OneWay(f)
        result = probe_stream(stream, LIMIT, keep)  # type: ignore[arg-type]
    assert result is not None
    return result


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("seekable", [True, False], ids=["seekable", "stream"])
def test_matches_go_version_m(go_builds: GoBuilds, name: str, seekable: bool) -> None:
    probe = _probe(go_builds.path(name), seekable=seekable)
    assert probe.error is None and probe.problems == ()
    assert probe.go is not None
    assert probe.go.render() == go_builds.expected[name]


@pytest.mark.parametrize("name", ["hello-amd64", "hello-s390x", "hello-386", "hello-stripped"])
def test_large_file_mode_keeps_what_it_needs(go_builds: GoBuilds, name: str) -> None:
    # keep=64 KiB forces the one-pass retention path a 100 MB binary would take
    probe = _probe(go_builds.path(name), seekable=False, keep=64 * 1024)
    assert probe.go is not None, probe.problems
    assert probe.go.render() == go_builds.expected[name]


def test_build_details(go_builds: GoBuilds) -> None:
    go = _probe(go_builds.path("hello-amd64"), seekable=False).go
    assert go is not None
    assert go.go_version.startswith("go1.")
    assert go.main is not None and (go.main.path, go.main.version) == (
        "example.com/hello",
        "(devel)",
    )
    deps = {d.path: d for d in go.deps}
    assert set(deps) == {"example.com/greet", "example.org/colors", "example.org/shapes"}
    assert deps["example.org/colors"].version == "v1.4.0"
    assert deps["example.org/colors"].sum.startswith("h1:")
    greet = deps["example.com/greet"].replace
    assert greet is not None and (greet.path, greet.version) == ("../greet", "(devel)")
    shapes = deps["example.org/shapes"].replace
    assert shapes is not None and (shapes.path, shapes.version) == (
        "example.org/shapesfork",
        "v0.2.1",
    )
    assert go.setting("GOOS") == "linux" and go.setting("GOARCH") == "amd64"
    assert go.setting("vcs") == "git" and go.setting("vcs.modified") == "false"
    assert len(go.setting("vcs.revision") or "") == 40
    flags = _probe(go_builds.path("hello-stripped"), seekable=True).go
    assert flags is not None and flags.setting("-ldflags") == "-s -w"


def test_architectures_and_byte_orders(go_builds: GoBuilds) -> None:
    s390 = _probe(go_builds.path("hello-s390x"), seekable=False)
    assert s390.big_endian and s390.bits == 64
    i386 = _probe(go_builds.path("hello-386"), seekable=False)
    assert not i386.big_endian and i386.bits == 32
    arm = _probe(go_builds.path("hello-arm64"), seekable=False)
    assert arm.go is not None and arm.go.setting("GOARCH") == "arm64"
    pie = _probe(go_builds.path("hello-pie"), seekable=False)
    assert pie.elf_type == ET_DYN and pie.is_executable("/usr/bin/hello")


def test_old_pointer_format(go_builds: GoBuilds) -> None:
    go = _probe(go_builds.path("oldgo"), seekable=False).go
    assert go is not None and go.go_version == "go1.16.15"
    assert go.main is not None and go.main.version == "v1.0.0"
    assert [d.path for d in go.deps] == ["github.com/pkg/errors"]


HOST_GO = ["/usr/bin/podman", "/usr/bin/skopeo", "/usr/bin/docker-registry", "/usr/sbin/runc"]


@pytest.mark.parametrize("path", HOST_GO)
def test_installed_go_programs(path: str) -> None:
    if not Path(path).exists() or shutil.which("go") is None:
        pytest.skip(f"{path} or go not installed here")
    expected = subprocess.run(
        ["go", "version", "-m", path], capture_output=True, check=True, text=True
    ).stdout.split(": ", 1)[1]
    for seekable in (True, False):
        probe = _probe(Path(path), seekable=seekable)
        assert probe.go is not None
        assert probe.go.render() == expected
