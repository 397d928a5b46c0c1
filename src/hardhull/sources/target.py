"""TARGET strings: explicit ``scheme:rest`` or a guessed scheme, and the dispatch to sources."""

from __future__ import annotations

import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hardhull.errors import UsageError
from hardhull.model import SourceInfo
from hardhull.sources.base import Selector, SourceOptions
from hardhull.sources.filetree import FileTree

SCHEMES = (
    "oci-dir",
    "oci-archive",
    "docker-archive",
    "podman",
    "docker",
    "registry",
    "dir",
    "sbom",
)


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed TARGET: its scheme and the scheme-specific rest (path or reference)."""

    scheme: str
    ref: str
    given: str


def parse_target(text: str) -> Target:
    """Split an explicit ``scheme:rest`` or guess the scheme from what ``text`` names."""
    if not text:
        raise UsageError("empty TARGET", hint="give an image reference, archive or directory")
    head, sep, rest = text.partition(":")
    if sep and head in SCHEMES:
        if not rest:
            raise UsageError(f"TARGET {text!r} names the scheme {head!r} but nothing after it")
        return Target(head, rest, text)
    return Target(_guess(text), text, text)


def _guess(text: str) -> str:
    path = Path(text)
    if path.is_dir():
        if (path / "oci-layout").is_file() and (path / "index.json").is_file():
            return "oci-dir"
        return "dir"
    if path.is_file():
        return _guess_file(path)
    if path.suffix in (".tar", ".json") or text.startswith(("./", "/", "../")):
        raise UsageError(f"{text}: no such file or directory")
    return "registry"


def _guess_file(path: Path) -> str:
    if path.suffix == ".json" or path.name.endswith((".cdx", ".spdx")):
        return "sbom"
    try:
        with tarfile.open(path, "r:") as tar:
            names = set()
            for i, member in enumerate(tar):
                names.add(member.name.lstrip("./"))
                if i > 2000:
                    break
    except (tarfile.TarError, OSError) as exc:
        raise UsageError(
            f"{path}: cannot tell what this file is ({exc})",
            hint="prefix TARGET with a scheme such as docker-archive: or sbom:",
        ) from exc
    if "oci-layout" in names and "index.json" in names:
        return "oci-archive"
    if "manifest.json" in names or "repositories" in names:
        return "docker-archive"
    raise UsageError(
        f"{path}: a tar archive that is neither an OCI archive nor a docker-archive",
        hint="prefix TARGET with a scheme such as oci-archive: or docker-archive:",
    )


def open_target(
    target: Target, options: SourceOptions, selectors: Sequence[Selector], workdir: Path
) -> tuple[SourceInfo, FileTree]:
    """Read ``target`` into a squashed file tree, offering files to ``selectors``.

    ``workdir`` is a private temporary directory the caller owns and removes; nothing is
    ever written elsewhere. ``sbom`` targets are not file trees: callers handle them.
    """
    # Imported here so `hardhull --help` does not pay for every source's imports.
    from hardhull.sources.layers import build_tree

    scheme = target.scheme
    if scheme == "dir":
        from hardhull.sources.directory import tree_from_directory

        return tree_from_directory(Path(target.ref), selectors, workdir, options)
    if scheme == "oci-dir":
        from hardhull.sources.oci import resolve_oci_dir

        image = resolve_oci_dir(Path(target.ref), options, workdir)
    elif scheme == "oci-archive":
        from hardhull.sources.oci import resolve_oci_archive

        image = resolve_oci_archive(Path(target.ref), options, workdir)
    elif scheme == "docker-archive":
        from hardhull.sources.docker_archive import resolve_docker_archive

        image = resolve_docker_archive(Path(target.ref), options, workdir)
    elif scheme in ("podman", "docker"):
        from hardhull.sources.engine import resolve_engine

        image = resolve_engine(scheme, target.ref, options, workdir)
    elif scheme == "registry":
        from hardhull.sources.registry import resolve_registry

        image = resolve_registry(target.ref, options, workdir)
    else:
        raise UsageError(f"TARGET scheme {scheme!r} does not name an image or directory")
    tree = build_tree(image.layers, selectors, workdir, options)
    return image.info, tree
