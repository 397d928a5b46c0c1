"""Kyverno's built-in ``images`` variable: every container image of the object, parsed.

``images.containers.<name>`` (and ``initContainers``, ``ephemeralContainers``) hold
``registry``, ``path``, ``name``, ``tag``, ``digest`` and ``reference``, as Kyverno fills
them (Docker Hub defaults: ``docker.io``, ``library/``, tag ``latest`` when none).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_KINDS = ("containers", "initContainers", "ephemeralContainers")


def parse_image(ref: str) -> dict[str, str]:
    """``nginx:1.2`` -> registry/path/name/tag/digest/reference fields."""
    rest, _, digest = ref.partition("@")
    first, sep, remainder = rest.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    else:
        registry, path = "docker.io", rest
    tag = ""
    slash = path.rfind("/")
    colon = path.rfind(":")
    if colon > slash:
        path, tag = path[:colon], path[colon + 1 :]
    if registry == "docker.io" and "/" not in path:
        path = f"library/{path}"
    if not tag and not digest:
        tag = "latest"
    reference = f"{registry}/{path}" + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
    return {
        "registry": registry,
        "path": path,
        "name": path.rsplit("/", 1)[-1],
        "tag": tag,
        "digest": digest,
        "reference": reference,
        "referenceWithTag": f"{registry}/{path}:{tag}" if tag else "",
    }


def _pod_spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = obj.get("spec") if isinstance(obj.get("spec"), Mapping) else {}
    assert isinstance(spec, Mapping)
    if obj.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template", {})
        return spec.get("spec") or {}
    template = spec.get("template")
    if isinstance(template, Mapping) and obj.get("kind") != "Pod":
        return template.get("spec") or {}
    return spec


def images_of(obj: Mapping[str, Any]) -> dict[str, dict[str, dict[str, str]]]:
    """The ``images`` context variable for ``obj`` (empty maps when it has no Pod spec)."""
    spec = _pod_spec(obj)
    out: dict[str, dict[str, dict[str, str]]] = {}
    for kind in _KINDS:
        items = spec.get(kind) if isinstance(spec, Mapping) else None
        if not isinstance(items, list):
            continue
        found = {
            str(c.get("name")): parse_image(str(c["image"]))
            for c in items
            if isinstance(c, Mapping) and isinstance(c.get("image"), str)
        }
        if found:
            out[kind] = found
    return out
