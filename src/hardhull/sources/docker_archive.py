"""``docker save`` / ``podman save`` archives.

Two shapes of ``manifest.json`` exist and both are read: the classic one
(``Config: "<hex>.json"``, ``Layers: ["<id>/layer.tar", ...]``) and the one Docker >= 25
writes next to an OCI layout (``Config`` and ``Layers`` as ``blobs/sha256/<hex>``). Layer
files in these archives are normally uncompressed tars, so a layer's only known digest
is its diff id; :func:`hardhull.sources.layers.build_tree` understands that a descriptor
whose ``digest`` equals its ``diff_id`` promises only the uncompressed content.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from hardhull.errors import SourceError
from hardhull.model import LayerInfo, SourceInfo
from hardhull.sources.base import LayerBlob, ResolvedImage, SourceOptions
from hardhull.sources.blobs import ArchiveIndex, check_digest, verify_bytes
from hardhull.sources.imageconfig import MAX_JSON_BYTES, parse_config

SCHEME = "docker-archive"
LAYER_MEDIA_TYPE = "application/vnd.docker.image.rootfs.diff.tar"


def resolve_docker_archive(path: Path, options: SourceOptions, workdir: Path) -> ResolvedImage:
    """Read ``manifest.json`` and the image config of a docker-archive at ``path``.

    Layers are not read here: each :class:`LayerBlob` opens its member of the archive
    directly (one file handle per call, no extraction). ``workdir`` is unused.
    """
    label = f"docker-archive {path}"
    index = ArchiveIndex(path, label)
    if index.size("manifest.json") is None:
        if index.size("repositories") is not None:
            raise SourceError(
                f"{label}: a legacy archive without manifest.json, which is not supported",
                hint="re-save the image with a current docker or podman",
            )
        raise SourceError(f"{label}: no manifest.json, so not a docker-archive")
    try:
        manifest = json.loads(index.read("manifest.json", MAX_JSON_BYTES))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"{label}: manifest.json is not valid JSON ({exc})") from exc
    if not isinstance(manifest, list) or not manifest or not isinstance(manifest[0], dict):
        raise SourceError(f"{label}: manifest.json does not list any image")
    entry: dict[str, Any] = manifest[0]
    config_name = entry.get("Config")
    layer_names = entry.get("Layers")
    if not isinstance(config_name, str) or not isinstance(layer_names, list):
        raise SourceError(f"{label}: manifest.json entry lacks 'Config' or 'Layers'")
    if not all(isinstance(n, str) for n in layer_names):
        raise SourceError(f"{label}: manifest.json 'Layers' is not a list of paths")
    raw_config = index.read(config_name, MAX_JSON_BYTES)
    config_digest = "sha256:" + hashlib.sha256(raw_config).hexdigest()
    named = _digest_from_name(config_name)
    if named is not None and options.verify_digests:
        verify_bytes(raw_config, named, f"{label}: config {config_name}")
    parsed = parse_config(raw_config, f"{label}: config {config_name}")
    if len(parsed.diff_ids) != len(layer_names):
        raise SourceError(
            f"{label}: manifest.json lists {len(layer_names)} layers "
            f"but the config has {len(parsed.diff_ids)} diff ids"
        )
    history = parsed.layer_history if len(parsed.layer_history) == len(layer_names) else ()
    layers: list[LayerBlob] = []
    for i, (name, diff_id) in enumerate(zip(layer_names, parsed.diff_ids, strict=True)):
        check_digest(diff_id, f"{label}: config diff id {i}")
        size = index.size(name)
        if size is None:
            raise SourceError(f"{label}: manifest.json names layer {name}, which is missing")
        digest = _digest_from_name(name) or diff_id
        info = LayerInfo(
            digest=digest,
            media_type=LAYER_MEDIA_TYPE,
            size=size,
            diff_id=diff_id,
            created_by=history[i] if history else None,
        )
        layers.append(LayerBlob(info=info, open=index.opener(name)))
    tags = entry.get("RepoTags") or []
    tag_tuple = tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else ()
    source = SourceInfo(
        scheme=SCHEME,
        target=str(path),
        name=tag_tuple[0] if tag_tuple else path.name,
        manifest_digest=_manifest_digest(index, config_digest),
        config_digest=config_digest,
        platform=parsed.platform,
        tags=tag_tuple,
        layers=tuple(layer.info for layer in layers),
        config=parsed.config,
    )
    return ResolvedImage(info=source, layers=tuple(layers))


def _digest_from_name(name: str) -> str | None:
    """``blobs/sha256/<hex>`` or ``<hex>.json`` -> ``sha256:<hex>`` when well formed."""
    parts = name.strip("/").split("/")
    candidate: str | None = None
    if len(parts) == 3 and parts[0] == "blobs":
        candidate = f"{parts[1]}:{parts[2]}"
    elif len(parts) == 1 and parts[0].endswith(".json"):
        candidate = "sha256:" + parts[0][: -len(".json")]
    if candidate is None:
        return None
    try:
        return check_digest(candidate, name)
    except SourceError:
        return None


def _manifest_digest(index: ArchiveIndex, config_digest: str) -> str | None:
    """The OCI manifest digest when the archive also carries an OCI layout (Docker >= 25)."""
    if index.size("index.json") is None:
        return None
    try:
        doc = json.loads(index.read("index.json", MAX_JSON_BYTES))
        for desc in doc.get("manifests") or []:
            digest = check_digest(desc.get("digest"), "index.json")
            name = f"blobs/{digest.replace(':', '/')}"
            if index.size(name) is None:
                continue
            manifest = json.loads(index.read(name, MAX_JSON_BYTES))
            config = manifest.get("config") or {}
            if isinstance(config, dict) and config.get("digest") == config_digest:
                return digest
    except (SourceError, ValueError, AttributeError, TypeError):
        return None
    return None
