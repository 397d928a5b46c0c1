"""docker-archives in their classic and Docker >= 25 shapes, built in the test."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from tests.unit.sources.layerkit import d, f, opq, sha, tar_bytes
from tests.unit.sources.layoutkit import docker_archive

from hardhull.errors import DigestMismatchError, SourceError
from hardhull.sources.base import SourceOptions
from hardhull.sources.docker_archive import resolve_docker_archive
from hardhull.sources.layers import build_tree

L1 = tar_bytes(d("var"), d("var/cache"), f("var/cache/a", "a"), f("bin/tool", "t", 0o755))
L2 = tar_bytes(d("var/cache"), opq("var/cache"), f("var/cache/b", "b"))


@pytest.mark.parametrize(("new_style", "via_links"), [(False, False), (True, False), (True, True)])
def test_both_manifest_forms(tmp_path: Path, new_style: bool, via_links: bool) -> None:
    path = docker_archive(
        tmp_path / "img.tar", [L1, L2], new_style=new_style, via_links=via_links, tags=["app:1"]
    )
    image = resolve_docker_archive(path, SourceOptions(), tmp_path)
    info = image.info
    assert info.scheme == "docker-archive" and info.tags == ("app:1",) and info.name == "app:1"
    assert [layer.diff_id for layer in info.layers] == [sha(L1), sha(L2)]
    assert [layer.digest for layer in info.layers] == [sha(L1), sha(L2)]
    assert info.config is not None and info.config.cmd == ("/bin/sh",)
    assert info.platform == "linux/amd64"
    tree = build_tree(image.layers, (), tmp_path, SourceOptions())
    assert [e.path for e in tree.entries()] == ["/bin/tool", "/var", "/var/cache", "/var/cache/b"]
    assert tree.get("/bin/tool").layer == sha(L1)  # type: ignore[union-attr]


def test_tampered_layer_is_caught(tmp_path: Path) -> None:
    other = tar_bytes(f("bin/tool", "evil", 0o755))
    path = docker_archive(tmp_path / "img.tar", [L1])
    raw = path.read_bytes()
    assert raw.count(L1) == 1 and len(other) == len(L1)
    path.write_bytes(raw.replace(L1, other))
    image = resolve_docker_archive(path, SourceOptions(), tmp_path)
    with pytest.raises(DigestMismatchError, match=f"layer {sha(L1)}"):
        build_tree(image.layers, (), tmp_path, SourceOptions())


def _content(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes | None:
    fh = tar.extractfile(member) if member.isfile() else None
    return fh.read() if fh is not None else None


def _rewrite(path: Path, name: str, data: bytes | None) -> None:
    """Replace (or drop, with ``None``) one member of a tar."""
    with tarfile.open(path) as tar:
        members = [(m, _content(tar, m)) for m in tar]
    with tarfile.open(path, "w") as tar:
        for member, content in members:
            if member.name == name:
                if data is None:
                    continue
                content = data
                member.size = len(data)
            tar.addfile(member, io.BytesIO(content) if content is not None else None)


def test_broken_manifests(tmp_path: Path) -> None:
    path = docker_archive(tmp_path / "img.tar", [L1, L2])
    with tarfile.open(path) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    _rewrite(path, manifest[0]["Layers"][1], None)
    with pytest.raises(SourceError, match=r"names layer layer01/layer.tar, which is missing"):
        resolve_docker_archive(path, SourceOptions(), tmp_path)
    manifest[0]["Layers"] = manifest[0]["Layers"][:1]
    _rewrite(path, "manifest.json", json.dumps(manifest).encode())
    with pytest.raises(SourceError, match=r"lists 1 layers but the config has 2 diff ids"):
        resolve_docker_archive(path, SourceOptions(), tmp_path)
    _rewrite(path, "manifest.json", b"[]")
    with pytest.raises(SourceError, match=r"does not list any image"):
        resolve_docker_archive(path, SourceOptions(), tmp_path)
    _rewrite(path, "manifest.json", None)
    with pytest.raises(SourceError, match=r"no manifest.json"):
        resolve_docker_archive(path, SourceOptions(), tmp_path)


def test_legacy_archive_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "legacy.tar"
    with tarfile.open(path, "w") as tar:
        data = b'{"app": {"1": "abc"}}'
        info = tarfile.TarInfo("repositories")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(SourceError, match=r"legacy archive without manifest.json"):
        resolve_docker_archive(path, SourceOptions(), tmp_path)


def test_not_an_archive(tmp_path: Path) -> None:
    path = tmp_path / "x.tar"
    path.write_bytes(b"PK\x03\x04 this is a zip" * 50)
    with pytest.raises(SourceError, match=r"x.tar: not a readable tar archive"):
        resolve_docker_archive(path, SourceOptions(), tmp_path)
