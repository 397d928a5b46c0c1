"""OCI layout directories and archives built in the test, read without podman."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.unit.sources.layerkit import f, sha, tar_bytes, wh
from tests.unit.sources.layoutkit import OCI_INDEX, Layout, tar_dir

from hardhull.errors import DigestMismatchError, SourceError
from hardhull.sources.base import SourceOptions
from hardhull.sources.layers import build_tree
from hardhull.sources.oci import resolve_oci_archive, resolve_oci_dir

L1 = tar_bytes(f("etc/os-release", "ID=test\n"), f("app/old", "o"))
L2 = tar_bytes(wh("app/old"), f("app/new", "n"))


def _platform(desc: dict[str, object], arch: str, variant: str | None = None) -> dict[str, object]:
    plat = {"os": "linux", "architecture": arch}
    if variant:
        plat["variant"] = variant
    return {**desc, "platform": plat}


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    lay = Layout(tmp_path / "layout")
    desc = lay.image([L1, L2], "gzip")
    desc["annotations"] = {"org.opencontainers.image.ref.name": "v1"}
    lay.index([desc])
    return lay.root


def test_oci_dir_single_image(layout: Path, tmp_path: Path) -> None:
    image = resolve_oci_dir(layout, SourceOptions(), tmp_path)
    info = image.info
    assert info.scheme == "oci-dir" and info.tags == ("v1",) and info.name == "v1"
    assert info.platform == "linux/amd64"
    assert info.manifest_digest is not None and info.config_digest is not None
    assert [layer.diff_id for layer in info.layers] == [sha(L1), sha(L2)]
    assert [layer.created_by for layer in info.layers] == ["step 0", "step 1"]
    assert info.config is not None and info.config.user == "1000"
    tree = build_tree(image.layers, (), tmp_path, SourceOptions())
    assert [e.path for e in tree.entries()] == ["/app/new", "/etc/os-release"]
    # PATH:REF picks an image by its ref name
    assert resolve_oci_dir(Path(f"{layout}:v1"), SourceOptions(), tmp_path).info.tags == ("v1",)
    with pytest.raises(SourceError, match=r"no image tagged 'v2'"):
        resolve_oci_dir(Path(f"{layout}:v2"), SourceOptions(), tmp_path)


def test_oci_archive_reads_members_in_place(layout: Path, tmp_path: Path) -> None:
    archive = tar_dir(layout, tmp_path / "image.tar")
    image = resolve_oci_archive(archive, SourceOptions(), tmp_path / "work")
    assert image.info.scheme == "oci-archive"
    work = tmp_path / "work"
    work.mkdir()
    sel_tree = build_tree(image.layers, (), work, SourceOptions(workers=2))
    assert "/app/new" in sel_tree and "/app/old" not in sel_tree
    assert list(work.iterdir()) == []


def test_platform_selection(tmp_path: Path) -> None:
    lay = Layout(tmp_path / "multi")
    amd = _platform(lay.image([tar_bytes(f("arch", "amd64"))], arch="amd64"), "amd64")
    arm = _platform(lay.image([tar_bytes(f("arch", "arm64"))], arch="arm64"), "arm64", "v8")
    att = _platform(lay.image([tar_bytes(f("attestation"))]), "unknown")
    att["platform"] = {"os": "unknown", "architecture": "unknown"}
    lay.index([att, arm, amd])

    def arch_of(platform: str | None) -> str | None:
        return resolve_oci_dir(lay.root, SourceOptions(platform=platform), tmp_path).info.platform

    assert arch_of(None) == "linux/amd64"  # the default
    assert arch_of("linux/arm64") == "linux/arm64"
    assert arch_of("linux/aarch64") == "linux/arm64"
    with pytest.raises(SourceError, match=r"no image for platform linux/s390x") as err:
        arch_of("linux/s390x")
    assert "available: linux/amd64, linux/arm64/v8" in str(err.value)


def test_nested_index(tmp_path: Path) -> None:
    lay = Layout(tmp_path / "nested")
    arm = _platform(lay.image([L1], arch="arm64"), "arm64")
    amd = _platform(lay.image([L2], arch="amd64"), "amd64")
    inner = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [arm, amd]}
    digest, size = lay.json_blob(inner)
    lay.index([{"mediaType": OCI_INDEX, "digest": digest, "size": size}])
    image = resolve_oci_dir(lay.root, SourceOptions(platform="linux/arm64"), tmp_path)
    assert image.info.platform == "linux/arm64"
    assert image.info.manifest_digest == arm["digest"]


def test_missing_blobs(layout: Path, tmp_path: Path) -> None:
    index = json.loads((layout / "index.json").read_text())
    manifest_path = layout / "blobs" / "sha256" / index["manifests"][0]["digest"][7:]
    manifest = json.loads(manifest_path.read_text())
    layer_digest = manifest["layers"][1]["digest"]
    (layout / "blobs" / "sha256" / layer_digest[7:]).unlink()
    with pytest.raises(SourceError, match=f"layer blob {layer_digest}, which is missing"):
        resolve_oci_dir(layout, SourceOptions(), tmp_path)
    manifest_path.unlink()
    with pytest.raises(SourceError, match=r"is missing"):
        resolve_oci_dir(layout, SourceOptions(), tmp_path)


def test_tampered_manifest_and_hostile_digest(layout: Path, tmp_path: Path) -> None:
    index = json.loads((layout / "index.json").read_text())
    manifest_path = layout / "blobs" / "sha256" / index["manifests"][0]["digest"][7:]
    manifest_path.write_bytes(manifest_path.read_bytes().replace(b'"schemaVersion": 2', b'"x": 1'))
    with pytest.raises(DigestMismatchError, match=r"manifest sha256:"):
        resolve_oci_dir(layout, SourceOptions(), tmp_path)
    index["manifests"][0]["digest"] = "sha256:../../../../etc/passwd"
    (layout / "index.json").write_text(json.dumps(index))
    with pytest.raises(SourceError, match=r"invalid digest"):
        resolve_oci_dir(layout, SourceOptions(), tmp_path)


def test_not_a_layout(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"no such directory"):
        resolve_oci_dir(tmp_path / "absent", SourceOptions(), tmp_path)
    with pytest.raises(SourceError, match=r"no index.json"):
        resolve_oci_dir(tmp_path, SourceOptions(), tmp_path)
    (tmp_path / "index.json").write_text("{not json")
    with pytest.raises(SourceError, match=r"index.json: not valid JSON"):
        resolve_oci_dir(tmp_path, SourceOptions(), tmp_path)


def test_bad_archives(layout: Path, tmp_path: Path) -> None:
    archive = tar_dir(layout, tmp_path / "image.tar")
    data = archive.read_bytes()
    cut = tmp_path / "cut.tar"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match=r"oci-archive .*cut.tar: (truncated|not a readable)"):
        resolve_oci_archive(cut, SourceOptions(), tmp_path)
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(SourceError, match=r"junk.tar"):
        resolve_oci_archive(junk, SourceOptions(), tmp_path)
    with pytest.raises(SourceError, match=r"no such file"):
        resolve_oci_archive(tmp_path / "nope.tar", SourceOptions(), tmp_path)
