"""Manifests and indexes of the OCI image spec and Docker's v2 schema 2, parsed strictly."""

from __future__ import annotations

import json
from dataclasses import dataclass

from hardhull.errors import RegistryError, UsageError
from hardhull.sources.registry.reference import DIGEST

MAX_MANIFEST = 4 * 1024 * 1024
MAX_CONFIG = 16 * 1024 * 1024

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_V1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"
DOCKER_V1 = "application/vnd.docker.distribution.manifest.v1+json"
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
ACCEPT = ", ".join((OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST))

CONFIG_TYPES = frozenset(
    {"application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json"}
)
LAYER_TYPES = frozenset(
    {
        "application/vnd.oci.image.layer.v1.tar",
        "application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.oci.image.layer.v1.tar+zstd",
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
        "application/vnd.docker.image.rootfs.diff.tar",
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    }
)
DEFAULT_PLATFORM = "linux/amd64"


@dataclass(frozen=True, slots=True)
class Descriptor:
    """A content descriptor: media type, digest, size (and a platform inside indexes)."""

    media_type: str
    digest: str
    size: int
    platform: Platform | None = None


@dataclass(frozen=True, slots=True)
class Platform:
    """``os/architecture[/variant]``."""

    os: str
    architecture: str
    variant: str | None = None

    def __str__(self) -> str:
        base = f"{self.os}/{self.architecture}"
        return f"{base}/{self.variant}" if self.variant else base


@dataclass(frozen=True, slots=True)
class ImageManifest:
    """An image manifest: its config descriptor and its layers, in order."""

    media_type: str
    config: Descriptor
    layers: tuple[Descriptor, ...]


def parse_platform(text: str) -> Platform:
    """``linux/arm64`` or ``linux/arm/v7`` -> :class:`Platform`; bad text is a UsageError."""
    parts = text.strip().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise UsageError(
            f"platform {text!r} is not os/architecture[/variant]", hint="e.g. linux/arm64"
        )
    return Platform(
        parts[0].lower(), parts[1].lower(), parts[2].lower() if len(parts) == 3 else None
    )


def _fail(what: str, problem: str) -> RegistryError:
    return RegistryError(f"{what}: {problem}")


def _load(body: bytes, what: str) -> dict[str, object]:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise _fail(what, "the registry sent something that is not JSON") from exc
    if not isinstance(doc, dict):
        raise _fail(what, "the registry sent JSON that is not an object")
    return doc


def _descriptor(raw: object, what: str) -> Descriptor:
    if not isinstance(raw, dict):
        raise _fail(what, "a descriptor is not a JSON object")
    media_type, digest, size = raw.get("mediaType"), raw.get("digest"), raw.get("size")
    if not isinstance(media_type, str) or not media_type:
        raise _fail(what, "a descriptor has no mediaType")
    if not isinstance(digest, str) or not DIGEST.fullmatch(digest):
        raise _fail(what, f"a descriptor has a malformed digest {str(digest)[:80]!r}")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise _fail(what, f"descriptor {digest} has an invalid size")
    platform = None
    plat = raw.get("platform")
    if isinstance(plat, dict):
        os_, arch, variant = plat.get("os"), plat.get("architecture"), plat.get("variant")
        if isinstance(os_, str) and isinstance(arch, str):
            platform = Platform(
                os_.lower(), arch.lower(), variant.lower() if isinstance(variant, str) else None
            )
    return Descriptor(media_type, digest, size, platform)


def media_type_of(
    body: bytes, content_type: str | None, what: str
) -> tuple[str, dict[str, object]]:
    """The document's media type (its own ``mediaType`` first, then the HTTP header)."""
    doc = _load(body, what)
    declared = doc.get("mediaType")
    if isinstance(declared, str) and declared:
        media_type = declared
    elif content_type and content_type not in ("application/json", "text/plain"):
        media_type = content_type
    elif doc.get("schemaVersion") == 1:
        media_type = DOCKER_V1
    elif "manifests" in doc:
        media_type = OCI_INDEX
    else:
        media_type = OCI_MANIFEST
    if media_type in (DOCKER_V1, DOCKER_V1_SIGNED):
        raise _fail(what, "Docker schema 1 manifests are not supported (re-push the image)")
    if media_type not in INDEX_TYPES and media_type not in MANIFEST_TYPES:
        raise _fail(what, f"unsupported manifest media type {media_type[:100]!r}")
    return media_type, doc


def parse_index(doc: dict[str, object], what: str) -> tuple[Descriptor, ...]:
    """The manifests an index or manifest list points at."""
    entries = doc.get("manifests")
    if not isinstance(entries, list):
        raise _fail(what, "an image index without a 'manifests' list")
    return tuple(_descriptor(e, what) for e in entries)


def parse_manifest(media_type: str, doc: dict[str, object], what: str) -> ImageManifest:
    """An image manifest; artifacts and unknown layer types are refused."""
    config = _descriptor(doc.get("config"), what)
    if config.media_type not in CONFIG_TYPES:
        raise _fail(
            what,
            f"not a container image (config media type {config.media_type[:100]!r})",
        )
    layers_raw = doc.get("layers")
    if not isinstance(layers_raw, list):
        raise _fail(what, "an image manifest without a 'layers' list")
    layers = tuple(_descriptor(item, what) for item in layers_raw)
    for layer in layers:
        if layer.media_type not in LAYER_TYPES:
            raise _fail(
                what, f"layer {layer.digest} has unsupported media type {layer.media_type[:100]!r}"
            )
    return ImageManifest(media_type, config, layers)


def _variant_ok(wanted: Platform, have: Platform) -> bool:
    if wanted.variant is None:
        return True
    if have.variant == wanted.variant:
        return True
    # arm64 images usually omit the (only) v8 variant.
    return wanted.architecture == "arm64" and wanted.variant == "v8" and have.variant is None


def select_platform(entries: tuple[Descriptor, ...], platform: str | None, what: str) -> Descriptor:
    """The index entry for ``platform`` (default linux/amd64), or an error listing choices."""
    wanted = parse_platform(platform or DEFAULT_PLATFORM)
    candidates = [
        e
        for e in entries
        if e.platform is not None
        and e.platform.os == wanted.os
        and e.platform.architecture == wanted.architecture
        and _variant_ok(wanted, e.platform)
        and (e.media_type in MANIFEST_TYPES or e.media_type in INDEX_TYPES)
    ]
    if not candidates:
        available = sorted(
            {
                str(e.platform)
                for e in entries
                if e.platform is not None and e.platform.os != "unknown"
            }
        )
        listed = ", ".join(available) if available else "none"
        raise RegistryError(
            f"{what} has no image for platform {wanted} (available: {listed})",
            hint="choose one with --platform",
        )
    if wanted.variant is None:
        # Prefer the plain entry (or the arm64 default v8) over other variants.
        for entry in candidates:
            assert entry.platform is not None
            if entry.platform.variant in (None, "v8"):
                return entry
    return candidates[0]
