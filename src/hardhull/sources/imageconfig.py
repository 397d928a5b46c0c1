"""Image configuration JSON (OCI image config or Docker image JSON) -> :class:`ImageConfig`.

Shared by every image source (archives, OCI layouts, registries, engines). Parsing is
lenient about missing or ``null`` fields, as real configs are, and strict about the shape
of what is there: a config that is not a JSON object is a :class:`SourceError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hardhull.errors import SourceError
from hardhull.model import ImageConfig

MAX_JSON_BYTES = 16 * 1024 * 1024

_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "armhf": "arm"}


@dataclass(frozen=True, slots=True)
class ParsedConfig:
    """An image config read once: the model value plus what layer descriptions need.

    ``diff_ids`` are the uncompressed layer digests in layer order (``rootfs.diff_ids``);
    ``layer_history`` has one ``created_by`` per *non-empty* history entry, which lines up
    with the layers when the image builder recorded history faithfully.
    """

    config: ImageConfig
    diff_ids: tuple[str, ...]
    layer_history: tuple[str | None, ...]
    platform: str | None


def load_json_object(data: bytes, subject: str) -> dict[str, Any]:
    """Decode ``data`` as a JSON object or raise one clear :class:`SourceError`."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"{subject}: not valid JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise SourceError(f"{subject}: expected a JSON object, found {type(doc).__name__}")
    return doc


def normalize_arch(arch: str) -> str:
    """``x86_64`` -> ``amd64``, ``aarch64`` -> ``arm64``; other names unchanged."""
    return _ARCH_ALIASES.get(arch, arch)


def format_platform(os_name: str | None, arch: str | None, variant: str | None) -> str | None:
    """``linux/arm64/v8`` style, or ``None`` when os or architecture is unknown."""
    if not os_name or not arch:
        return None
    text = f"{os_name}/{normalize_arch(arch)}"
    return f"{text}/{variant}" if variant else text


def parse_config(data: bytes, subject: str) -> ParsedConfig:
    """Parse raw config bytes (``subject`` names them in errors)."""
    return parse_config_object(load_json_object(data, subject), subject)


def parse_config_object(doc: Mapping[str, Any], subject: str) -> ParsedConfig:
    """Parse an already decoded config object."""
    inner = doc.get("config")
    if inner is None:
        inner = doc.get("container_config")  # very old Docker images
    if inner is None:
        inner = {}
    if not isinstance(inner, Mapping):
        raise SourceError(f"{subject}: 'config' is not an object")
    rootfs = doc.get("rootfs") or {}
    if not isinstance(rootfs, Mapping):
        raise SourceError(f"{subject}: 'rootfs' is not an object")
    diff_ids = _strings(rootfs.get("diff_ids"), subject, "rootfs.diff_ids")
    history_raw = doc.get("history") or []
    if not isinstance(history_raw, list):
        raise SourceError(f"{subject}: 'history' is not a list")
    history: list[str] = []
    layer_history: list[str | None] = []
    for item in history_raw:
        if not isinstance(item, Mapping):
            continue
        created_by = item.get("created_by")
        text = created_by if isinstance(created_by, str) else None
        history.append(text or "")
        if not item.get("empty_layer"):
            layer_history.append(text)
    arch = _opt_str(doc.get("architecture"))
    os_name = _opt_str(doc.get("os"))
    variant = _opt_str(doc.get("variant"))
    health = inner.get("Healthcheck")
    healthcheck: tuple[str, ...] | None = None
    if isinstance(health, Mapping) and health.get("Test") is not None:
        healthcheck = _strings(health.get("Test"), subject, "config.Healthcheck.Test")
    labels_raw = inner.get("Labels") or {}
    labels = (
        tuple(sorted((str(k), str(v)) for k, v in labels_raw.items()))
        if isinstance(labels_raw, Mapping)
        else ()
    )
    ports_raw = inner.get("ExposedPorts") or {}
    ports = tuple(sorted(str(p) for p in ports_raw)) if isinstance(ports_raw, Mapping) else ()
    config = ImageConfig(
        architecture=normalize_arch(arch) if arch else None,
        os=os_name,
        variant=variant,
        user=_opt_str(inner.get("User")),
        env=_strings(inner.get("Env"), subject, "config.Env"),
        entrypoint=_strings(inner.get("Entrypoint"), subject, "config.Entrypoint"),
        cmd=_strings(inner.get("Cmd"), subject, "config.Cmd"),
        working_dir=_opt_str(inner.get("WorkingDir")),
        labels=labels,
        exposed_ports=ports,
        healthcheck=healthcheck,
        history=tuple(history),
        created=_opt_str(doc.get("created")),
    )
    return ParsedConfig(
        config=config,
        diff_ids=diff_ids,
        layer_history=tuple(layer_history),
        platform=format_platform(os_name, arch, variant),
    )


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _strings(value: object, subject: str, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):  # Docker accepts a plain string for Cmd/Entrypoint
        return (value,)
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise SourceError(f"{subject}: '{field}' is not a list of strings")
    return tuple(value)
