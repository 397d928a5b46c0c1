"""Image reference checks: floating tags, missing digests, registry allow-list."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from hardhull.model import Resource, Status
from hardhull.posture.base import CheckResult, Control, PostureContext
from hardhull.posture.checks.common import finding, passed
from hardhull.posture.checks.podspec import as_str, containers, pod_template
from hardhull.posture.controls_k8s import IMAGE_DIGEST, IMAGE_LATEST, IMAGE_REGISTRY

_DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A parsed image reference: ``registry`` (``docker.io`` when implicit),
    ``repository`` (with ``library/`` for official Hub images), ``tag``, ``digest``."""

    registry: str
    repository: str
    tag: str | None
    digest: str | None


@functools.lru_cache(maxsize=4096)  # the same images recur across workloads
def parse_image(image: str) -> ImageRef:
    """Split ``[registry/]repo[:tag][@digest]`` the way container engines do."""
    rest, _, digest = image.partition("@")
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    else:
        registry, path = "docker.io", rest
    name, colon, tag = path.rpartition(":")
    if not colon or "/" in tag:
        name, tag = path, ""
    if registry in _DOCKER_HUB_ALIASES:
        registry = "docker.io"
        if "/" not in name:
            name = f"library/{name}"
    return ImageRef(registry, name, tag or None, digest or None)


def registry_allowed(ref: ImageRef, allowed: Iterable[str]) -> bool:
    """Whether ``ref`` matches an allow-list entry: a registry host (``ghcr.io``), a
    host with a path prefix (``ghcr.io/acme``) or a domain wildcard (``*.corp.example``)."""
    full = f"{ref.registry}/{ref.repository}"
    for entry in allowed:
        entry = entry.strip().rstrip("/")
        if not entry:
            continue
        if entry.startswith("*."):
            if ref.registry.endswith(entry[1:]):
                return True
            continue
        host, _, prefix = entry.partition("/")
        if host in _DOCKER_HUB_ALIASES:
            host = "docker.io"
        if host != ref.registry:
            continue
        if not prefix or full == f"{host}/{prefix}" or full.startswith(f"{host}/{prefix}/"):
            return True
    return False


class ImageCheck:
    """HH-K8S-001/002/003 for every container, init and ephemeral container image."""

    @property
    def controls(self) -> tuple[Control, ...]:
        return (IMAGE_LATEST, IMAGE_DIGEST, IMAGE_REGISTRY)

    def evaluate(self, resource: Resource, ctx: PostureContext) -> Iterable[CheckResult]:
        tpl = pod_template(resource)
        if tpl is None:
            return []
        out: list[CheckResult] = []
        failed: set[str] = set()
        for c in containers(tpl, ephemeral=True):
            image = as_str(c.obj.get("image")).strip()
            path = f"{c.path}.image"
            if not image:
                continue
            ref = parse_image(image)
            ev = (("image", image),)
            if ref.digest is None and ref.tag in (None, "latest"):
                why = "no tag (implies :latest)" if ref.tag is None else "the :latest tag"
                out.append(
                    finding(
                        IMAGE_LATEST,
                        resource.ref,
                        Status.FAIL,
                        f"{c.label} image {image} uses {why}",
                        path=path,
                        evidence=ev,
                    )
                )
                failed.add(IMAGE_LATEST.id)
            elif ref.digest is None:
                out.append(
                    finding(
                        IMAGE_DIGEST,
                        resource.ref,
                        Status.WARN,
                        f"{c.label} image {image} is not pinned by digest",
                        path=path,
                        evidence=ev,
                    )
                )
                failed.add(IMAGE_DIGEST.id)
            if ctx.allowed_registries and not registry_allowed(ref, ctx.allowed_registries):
                out.append(
                    finding(
                        IMAGE_REGISTRY,
                        resource.ref,
                        Status.FAIL,
                        f"{c.label} image {image} comes from {ref.registry}, "
                        "which is not in the allowed registries",
                        path=path,
                        evidence=(*ev, ("allowed", ", ".join(ctx.allowed_registries))),
                    )
                )
                failed.add(IMAGE_REGISTRY.id)
        controls = [IMAGE_LATEST, IMAGE_DIGEST]
        if ctx.allowed_registries:
            controls.append(IMAGE_REGISTRY)
        out.extend(passed(ctl) for ctl in controls if ctl.id not in failed)
        return out
