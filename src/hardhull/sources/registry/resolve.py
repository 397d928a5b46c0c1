"""``resolve_registry``: reference -> manifest (platform chosen) -> config -> layer blobs."""

from __future__ import annotations

import hashlib
from functools import partial
from pathlib import Path
from typing import BinaryIO

from hardhull.errors import DigestMismatchError, RegistryError
from hardhull.model import LayerInfo, SourceInfo
from hardhull.sources.base import LayerBlob, ResolvedImage, SourceOptions
from hardhull.sources.imageconfig import parse_config
from hardhull.sources.registry.client import Fetched, RegistryClient
from hardhull.sources.registry.manifest import (
    ACCEPT,
    INDEX_TYPES,
    MAX_CONFIG,
    ImageManifest,
    Platform,
    media_type_of,
    parse_index,
    parse_manifest,
    parse_platform,
    select_platform,
)
from hardhull.sources.registry.reference import Reference, parse_reference

_MAX_INDEX_DEPTH = 3


def _check_digest(data: bytes, digest: str, what: str, host: str) -> None:
    algo, _, want = digest.partition(":")
    got = hashlib.new(algo, data).hexdigest()
    if got != want:
        raise DigestMismatchError(
            f"{what} from registry {host} does not match its digest {digest} "
            f"(content hashes to {algo}:{got})"
        )


def _manifest_digest(fetched: Fetched, reference: str, what: str, host: str) -> str:
    """The sha256 of the manifest bytes, checked against the pinned digest and the header."""
    computed = "sha256:" + hashlib.sha256(fetched.body).hexdigest()
    if reference.startswith(("sha256:", "sha512:")):
        _check_digest(fetched.body, reference, what, host)
    header = (fetched.digest_header or "").strip()
    if header.startswith("sha256:") and header != computed:
        raise DigestMismatchError(
            f"{what} from registry {host} hashes to {computed}, but the registry says {header[:80]}"
        )
    return reference if reference.startswith("sha512:") else computed


def _fetch_image_manifest(
    client: RegistryClient, ref: Reference, platform: str | None
) -> tuple[ImageManifest, str, Platform | None]:
    reference = ref.reference
    chosen: Platform | None = None
    for _ in range(_MAX_INDEX_DEPTH):
        what = f"manifest {ref.repository}{'@' if reference.startswith('sha') else ':'}{reference}"
        fetched = client.manifest(reference, ACCEPT)
        digest = _manifest_digest(fetched, reference, what, client.host)
        media_type, doc = media_type_of(fetched.body, fetched.content_type, what)
        if media_type not in INDEX_TYPES:
            return parse_manifest(media_type, doc, what), digest, chosen
        entry = select_platform(parse_index(doc, what), platform, f"image {ref}")
        chosen = entry.platform
        reference = entry.digest
    raise RegistryError(f"image {ref}: image indexes nested too deeply")


def _check_single_platform(ref: Reference, wanted: Platform, have_text: str) -> None:
    """A single-platform image must match an explicitly requested platform."""
    have = parse_platform(have_text)
    same = (have.os, have.architecture) == (wanted.os, wanted.architecture)
    if not same or (wanted.variant is not None and have.variant not in (wanted.variant, None)):
        raise RegistryError(
            f"image {ref} is a single-platform image for {have}, not {wanted}",
            hint="drop --platform or pick the platform the image was built for",
        )


def _open_layer(client: RegistryClient, layer: LayerInfo, options: SourceOptions) -> BinaryIO:
    return client.open_blob(layer.digest, layer.size, options.progress)


def resolve_registry(ref: str, options: SourceOptions, workdir: Path) -> ResolvedImage:
    """Read an image's manifest and config from its registry; layers stream on ``open()``.

    Nothing is written to ``workdir``: manifests and config are small and held in memory,
    and layers are streamed to the caller.
    """
    del workdir  # nothing is spooled: layers stream straight from the registry
    parsed = parse_reference(ref)
    wanted = parse_platform(options.platform) if options.platform else None
    client = RegistryClient(parsed, options)
    client.ping()
    manifest, manifest_digest, chosen = _fetch_image_manifest(client, parsed, options.platform)
    what = f"config {manifest.config.digest} of {parsed}"
    config_bytes = client.blob(manifest.config.digest, MAX_CONFIG, what)
    _check_digest(config_bytes, manifest.config.digest, what, client.host)
    parsed_config = parse_config(config_bytes, what)
    config = parsed_config.config
    diff_ids = parsed_config.diff_ids
    history = parsed_config.layer_history
    if len(diff_ids) != len(manifest.layers):
        raise RegistryError(
            f"image {parsed}: the manifest lists {len(manifest.layers)} layers "
            f"but the config has {len(diff_ids)} diff ids"
        )
    if len(history) != len(manifest.layers):
        history = ()
    layers: list[LayerInfo] = []
    for i, desc in enumerate(manifest.layers):
        layers.append(
            LayerInfo(
                digest=desc.digest,
                media_type=desc.media_type,
                size=desc.size,
                diff_id=diff_ids[i] if i < len(diff_ids) else None,
                created_by=history[i] if i < len(history) else None,
            )
        )
    platform = parsed_config.platform or (str(chosen) if chosen else None)
    if wanted is not None and chosen is None and parsed_config.platform:
        _check_single_platform(parsed, wanted, parsed_config.platform)
    info = SourceInfo(
        scheme="registry",
        target=ref,
        name=str(parsed),
        manifest_digest=manifest_digest,
        config_digest=manifest.config.digest,
        platform=platform,
        tags=(parsed.tag,) if parsed.tag else (),
        layers=tuple(layers),
        config=config,
    )
    blobs = tuple(
        LayerBlob(layer, partial(_open_layer, client, layer, options)) for layer in layers
    )
    return ResolvedImage(info, blobs)
