"""Manifest and index parsing, media type checks and platform selection."""

from __future__ import annotations

import json

import pytest

from hardhull.errors import RegistryError, UsageError
from hardhull.sources.registry.manifest import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_MANIFEST,
    media_type_of,
    parse_index,
    parse_manifest,
    parse_platform,
    select_platform,
)

D1, D2, D3, D4, D5 = ("sha256:" + c * 64 for c in "12345")
CONFIG = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": D1, "size": 10}
LAYER = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": D2, "size": 99}


def _manifest(**over: object) -> bytes:
    doc: dict[str, object] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": CONFIG,
        "layers": [LAYER],
    }
    doc.update(over)
    return json.dumps(doc).encode()


def _entry(digest: str, os: str, arch: str, variant: str | None = None) -> dict[str, object]:
    platform: dict[str, str] = {"os": os, "architecture": arch}
    if variant:
        platform["variant"] = variant
    return {"mediaType": OCI_MANIFEST, "digest": digest, "size": 5, "platform": platform}


INDEX = {
    "schemaVersion": 2,
    "mediaType": OCI_INDEX,
    "manifests": [
        _entry(D1, "linux", "amd64"),
        _entry(D2, "linux", "arm", "v6"),
        _entry(D3, "linux", "arm", "v7"),
        _entry(D4, "linux", "arm64", "v8"),
        _entry(D5, "unknown", "unknown"),
    ],
}


def test_image_manifest() -> None:
    media_type, doc = media_type_of(_manifest(), None, "m")
    assert media_type == OCI_MANIFEST
    manifest = parse_manifest(media_type, doc, "m")
    assert manifest.config.digest == D1
    assert [(lay.digest, lay.size) for lay in manifest.layers] == [(D2, 99)]


def test_media_type_from_header_when_document_has_none() -> None:
    body = json.dumps({"schemaVersion": 2, "manifests": []}).encode()
    assert media_type_of(body, DOCKER_LIST, "m")[0] == DOCKER_LIST
    assert media_type_of(body, "application/json", "m")[0] == OCI_INDEX
    plain = json.dumps({"schemaVersion": 2, "config": CONFIG, "layers": []}).encode()
    assert media_type_of(plain, DOCKER_MANIFEST, "m")[0] == DOCKER_MANIFEST


@pytest.mark.parametrize(
    ("body", "ctype", "needle"),
    [
        (b"<html>oops</html>", None, "not JSON"),
        (b"[]", None, "not an object"),
        (b'{"schemaVersion": 1, "fsLayers": []}', None, "schema 1"),
        (b"{}", "application/vnd.docker.distribution.manifest.v1+prettyjws", "schema 1"),
        (b'{"mediaType": "application/x-weird"}', None, "unsupported manifest media type"),
    ],
)
def test_bad_documents(body: bytes, ctype: str | None, needle: str) -> None:
    with pytest.raises(RegistryError, match=needle):
        media_type_of(body, ctype, "manifest app:1")


@pytest.mark.parametrize(
    ("over", "needle"),
    [
        ({"config": {**CONFIG, "mediaType": "application/vnd.cncf.helm.config.v1+json"}},
         "not a container image"),
        ({"layers": [{**LAYER, "mediaType": "application/x-squashfs"}]}, "unsupported media"),
        ({"layers": [{**LAYER, "digest": "sha256:../../etc"}]}, "malformed digest"),
        ({"layers": [{**LAYER, "size": -1}]}, "invalid size"),
        ({"layers": [{**LAYER, "size": True}]}, "invalid size"),
        ({"layers": "x"}, "without a 'layers' list"),
        ({"config": None}, "not a JSON object"),
    ],
)  # fmt: skip
def test_bad_manifests(over: dict[str, object], needle: str) -> None:
    media_type, doc = media_type_of(_manifest(**over), None, "m")
    with pytest.raises(RegistryError, match=needle):
        parse_manifest(media_type, doc, "manifest app:1")


@pytest.mark.parametrize(
    ("platform", "digest"),
    [
        (None, D1),
        ("linux/amd64", D1),
        ("linux/arm64", D4),
        ("linux/arm64/v8", D4),
        ("linux/arm/v7", D3),
        ("linux/arm/v6", D2),
        ("LINUX/ARM/V7", D3),
    ],
)
def test_select_platform(platform: str | None, digest: str) -> None:
    entries = parse_index(INDEX, "index")
    assert select_platform(entries, platform, "image x").digest == digest


def test_absent_platform_lists_choices() -> None:
    entries = parse_index(INDEX, "index")
    with pytest.raises(RegistryError) as err:
        select_platform(entries, "linux/s390x", "image r.io/app:1")
    text = str(err.value)
    assert "image r.io/app:1 has no image for platform linux/s390x" in text
    assert "linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64/v8" in text
    assert "unknown" not in text


def test_arm64_v8_matches_entries_without_variant() -> None:
    entries = parse_index({"manifests": [_entry(D1, "linux", "arm64")]}, "index")
    assert select_platform(entries, "linux/arm64/v8", "x").digest == D1


@pytest.mark.parametrize("text", ["linux", "linux/", "a/b/c/d", ""])
def test_bad_platform(text: str) -> None:
    with pytest.raises(UsageError):
        parse_platform(text)


def test_index_without_manifests() -> None:
    with pytest.raises(RegistryError, match="without a 'manifests' list"):
        parse_index({"mediaType": OCI_INDEX}, "index")
