"""OCI image layouts: a directory (``oci-dir:``) or the same inside a tar (``oci-archive:``).

``index.json`` -> (possibly nested) index -> image manifest -> config + layers. When an
index offers several platforms, ``options.platform`` (default ``linux/amd64``) picks one;
a missing platform is an error that lists the available ones. Every JSON document read is
checked against the digest its descriptor gives; layer blobs are checked while streaming.
An archive is never extracted: each layer opens its member's byte range directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hardhull.errors import SourceError
from hardhull.model import LayerInfo, SourceInfo
from hardhull.sources.base import LayerBlob, ResolvedImage, SourceOptions
from hardhull.sources.blobs import (
    ArchiveIndex,
    BlobStore,
    DirectoryBlobs,
    blob_name,
    check_digest,
    verify_bytes,
)
from hardhull.sources.imageconfig import (
    MAX_JSON_BYTES,
    format_platform,
    load_json_object,
    normalize_arch,
    parse_config,
)

DEFAULT_PLATFORM = "linux/amd64"
REF_NAME = "org.opencontainers.image.ref.name"
_INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
_MAX_DEPTH = 4


def resolve_oci_dir(path: Path, options: SourceOptions, workdir: Path) -> ResolvedImage:
    """Resolve an OCI layout directory (``PATH`` or ``PATH:REF`` to pick a tagged image)."""
    ref: str | None = None
    if not path.exists() and ":" in path.name:
        name, _, ref = path.name.rpartition(":")
        path = path.with_name(name)
    if not path.is_dir():
        raise SourceError(f"oci-dir {path}: no such directory")
    store = DirectoryBlobs(path, f"oci-dir {path}")
    return _resolve(store, "oci-dir", path, options, ref)


def resolve_oci_archive(path: Path, options: SourceOptions, workdir: Path) -> ResolvedImage:
    """Resolve an OCI archive (``podman save --format oci-archive``) without extracting it."""
    store = ArchiveIndex(path, f"oci-archive {path}")
    return _resolve(store, "oci-archive", path, options, None)


def _resolve(
    store: BlobStore, scheme: str, path: Path, options: SourceOptions, ref: str | None
) -> ResolvedImage:
    label = store.label
    if store.size("index.json") is None:
        raise SourceError(f"{label}: no index.json, so not an OCI image layout")
    index = load_json_object(store.read("index.json", MAX_JSON_BYTES), f"{label}: index.json")
    wanted = options.platform
    desc = _pick(store, options, index, "index.json", ref, 0)
    manifest_digest = check_digest(desc.get("digest"), f"{label}: manifest descriptor")
    manifest = _load(store, manifest_digest, options, f"{label}: manifest {manifest_digest}")
    config_desc = manifest.get("config")
    if not isinstance(config_desc, Mapping):
        raise SourceError(f"{label}: manifest {manifest_digest} has no config descriptor")
    config_digest = check_digest(config_desc.get("digest"), f"{label}: config descriptor")
    config_subject = f"{label}: config {config_digest}"
    raw_config = _read_blob(store, config_digest, options, config_subject)
    parsed = parse_config(raw_config, config_subject)
    if wanted and parsed.platform and not _platform_matches(parsed.platform, wanted):
        raise SourceError(
            f"{label}: the image is for {parsed.platform}, not {wanted}",
            hint=f"available: {parsed.platform}",
        )
    layer_descs = manifest.get("layers")
    if not isinstance(layer_descs, list):
        raise SourceError(f"{label}: manifest {manifest_digest} has no layer list")
    diff_ids = parsed.diff_ids if len(parsed.diff_ids) == len(layer_descs) else ()
    history = parsed.layer_history if len(parsed.layer_history) == len(layer_descs) else ()
    if parsed.diff_ids and not diff_ids:
        raise SourceError(
            f"{label}: manifest lists {len(layer_descs)} layers "
            f"but the config has {len(parsed.diff_ids)} diff ids"
        )
    layers = []
    for i, layer_desc in enumerate(layer_descs):
        if not isinstance(layer_desc, Mapping):
            raise SourceError(f"{label}: layer descriptor {i} is not an object")
        digest = check_digest(layer_desc.get("digest"), f"{label}: layer descriptor {i}")
        name = blob_name(digest)
        if store.size(name) is None:
            raise SourceError(f"{label}: manifest names layer blob {digest}, which is missing")
        size = layer_desc.get("size")
        info = LayerInfo(
            digest=digest,
            media_type=str(layer_desc.get("mediaType") or ""),
            size=size if isinstance(size, int) else (store.size(name) or 0),
            diff_id=_diff_id(diff_ids, i, config_subject),
            created_by=history[i] if history else None,
        )
        layers.append(LayerBlob(info=info, open=store.opener(name)))
    tags = _tags(index, desc)
    source = SourceInfo(
        scheme=scheme,
        target=str(path),
        name=tags[0] if tags else path.name,
        manifest_digest=manifest_digest,
        config_digest=config_digest,
        platform=parsed.platform,
        tags=tags,
        layers=tuple(layer.info for layer in layers),
        config=parsed.config,
    )
    return ResolvedImage(info=source, layers=tuple(layers))


def _diff_id(diff_ids: tuple[str, ...], i: int, subject: str) -> str | None:
    return check_digest(diff_ids[i], f"{subject} diff id {i}") if diff_ids else None


def _read_blob(store: BlobStore, digest: str, options: SourceOptions, subject: str) -> bytes:
    name = blob_name(digest)
    if store.size(name) is None:
        raise SourceError(f"{subject}: blob {digest} is missing")
    data = store.read(name, MAX_JSON_BYTES)
    if options.verify_digests:
        verify_bytes(data, digest, subject)
    return data


def _load(store: BlobStore, digest: str, options: SourceOptions, subject: str) -> dict[str, Any]:
    return load_json_object(_read_blob(store, digest, options, subject), subject)


def _pick(
    store: BlobStore,
    options: SourceOptions,
    index: Mapping[str, Any],
    where: str,
    ref: str | None,
    depth: int,
) -> Mapping[str, Any]:
    """The image manifest descriptor ``index`` leads to for the wanted platform."""
    label = store.label
    wanted = options.platform
    if depth > _MAX_DEPTH:
        raise SourceError(f"{label}: image indexes nested too deeply")
    manifests = index.get("manifests")
    if not isinstance(manifests, list) or not manifests:
        raise SourceError(f"{label}: {where} lists no manifests")
    descs = [d for d in manifests if isinstance(d, Mapping)]
    if ref is not None and depth == 0:
        descs = [d for d in descs if (d.get("annotations") or {}).get(REF_NAME) == ref]
        if not descs:
            raise SourceError(f"{label}: no image tagged {ref!r} in {where}")
    # attestation manifests (buildkit) carry platform unknown/unknown: never images
    descs = [d for d in descs if _platform_of(d) != "unknown/unknown"]
    with_platform = [d for d in descs if _platform_of(d)]
    chosen: Mapping[str, Any]
    if len(descs) == 1:
        chosen = descs[0]
        platform = _platform_of(chosen)
        if wanted and platform and not _platform_matches(platform, wanted):
            raise SourceError(
                f"{label}: no image for platform {wanted}", hint=f"available: {platform}"
            )
    elif with_platform:
        target = wanted or DEFAULT_PLATFORM
        matching = [d for d in with_platform if _platform_matches(_platform_of(d) or "", target)]
        if not matching:
            available = ", ".join(sorted({p for d in with_platform if (p := _platform_of(d))}))
            raise SourceError(
                f"{label}: no image for platform {target}", hint=f"available: {available}"
            )
        chosen = matching[0]
    else:
        raise SourceError(
            f"{label}: {where} lists {len(descs)} images without platforms",
            hint="name one as oci-dir:PATH:TAG",
        )
    if chosen.get("mediaType") in _INDEX_TYPES:
        digest = check_digest(chosen.get("digest"), f"{label}: {where} descriptor")
        nested = _load(store, digest, options, f"{label}: index {digest}")
        return _pick(store, options, nested, f"index {digest}", None, depth + 1)
    return chosen


def _platform_of(desc: Mapping[str, Any]) -> str | None:
    plat = desc.get("platform")
    if not isinstance(plat, Mapping):
        return None
    return format_platform(plat.get("os"), plat.get("architecture"), plat.get("variant"))


def _platform_matches(have: str, wanted: str) -> bool:
    """``linux/arm64/v8`` matches ``linux/arm64``; a wanted variant must be present."""
    have_parts = have.split("/")
    want_parts = wanted.split("/")
    if len(want_parts) < 2:
        return False
    want_parts[1] = normalize_arch(want_parts[1])
    if have_parts[:2] != want_parts[:2]:
        return False
    if len(want_parts) > 2:
        have_variant = have_parts[2] if len(have_parts) > 2 else ""
        if have_variant != want_parts[2] and not (want_parts[2] == "v8" and not have_variant):
            return False
    return True


def _tags(index: Mapping[str, Any], chosen: Mapping[str, Any]) -> tuple[str, ...]:
    tags: list[str] = []
    for desc in index.get("manifests") or []:
        if isinstance(desc, Mapping) and desc.get("digest") == chosen.get("digest"):
            name = (desc.get("annotations") or {}).get(REF_NAME)
            if isinstance(name, str) and name and name not in tags:
                tags.append(name)
    return tuple(tags)
