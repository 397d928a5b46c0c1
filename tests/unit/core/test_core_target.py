"""TARGET parsing: explicit schemes and guessing from what the path is."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from hardhull.errors import UsageError
from hardhull.sources.target import parse_target

_PINNED = "127.0.0.1:5000/app@sha256:" + "a" * 64


def _tar(path: Path, names: list[str]) -> Path:
    with tarfile.open(path, "w") as tar:
        for name in names:
            data = b"{}"
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize(
    ("text", "scheme", "ref"),
    [
        ("oci-archive:/x/y.tar", "oci-archive", "/x/y.tar"),
        ("docker-archive:a.tar", "docker-archive", "a.tar"),
        ("registry:127.0.0.1:5000/app:1", "registry", "127.0.0.1:5000/app:1"),
        ("podman:localhost/app:latest", "podman", "localhost/app:latest"),
        ("sbom:bom.json", "sbom", "bom.json"),
        ("dir:/", "dir", "/"),
        ("alpine:3.20", "registry", "alpine:3.20"),
        (
            "127.0.0.1:5000/app@sha256:" + "a" * 64,
            "registry",
            "127.0.0.1:5000/app@sha256:" + "a" * 64,
        ),
    ],
)
def test_explicit_and_reference_targets(text: str, scheme: str, ref: str) -> None:
    target = parse_target(text)
    assert (target.scheme, target.ref, target.given) == (scheme, ref, text)


def test_guesses_local_things(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    assert parse_target(str(tmp_path / "root")).scheme == "dir"
    layout = tmp_path / "layout"
    layout.mkdir()
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": []}))
    assert parse_target(str(layout)).scheme == "oci-dir"
    oci = _tar(tmp_path / "o.tar", ["oci-layout", "index.json", "blobs/sha256/ab"])
    assert parse_target(str(oci)).scheme == "oci-archive"
    docker = _tar(tmp_path / "d.tar", ["manifest.json", "abc/layer.tar"])
    assert parse_target(str(docker)).scheme == "docker-archive"
    bom = tmp_path / "bom.json"
    bom.write_text("{}")
    assert parse_target(str(bom)).scheme == "sbom"


@pytest.mark.parametrize("text", ["", "oci-archive:"])
def test_empty_targets_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_target(text)


def test_unrecognisable_files_name_the_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01not a tar at all" * 10)
    with pytest.raises(UsageError, match=r"junk\.bin"):
        parse_target(str(junk))
    other = _tar(tmp_path / "other.tar", ["etc/passwd"])
    with pytest.raises(UsageError, match="neither an OCI archive nor a docker-archive"):
        parse_target(str(other))
    with pytest.raises(UsageError, match="no such file"):
        parse_target(str(tmp_path / "missing.tar"))
