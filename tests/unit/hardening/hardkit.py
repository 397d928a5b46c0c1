"""Hand-built file trees and SBOMs for the hardening unit tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hardhull.model import (
    Coverage,
    Distro,
    FileEntry,
    FileKind,
    ImageConfig,
    Sbom,
    SourceInfo,
)
from hardhull.sources.filetree import FileTree

L1 = "sha256:" + "1" * 64
L2 = "sha256:" + "2" * 64


def file(path: str, mode: int = 0o644, layer: str = L1, uid: int = 0, gid: int = 0) -> FileEntry:
    return FileEntry(path, FileKind.FILE, mode, 10, layer, uid, gid)


def dir_(path: str, mode: int = 0o755, layer: str = L1) -> FileEntry:
    return FileEntry(path, FileKind.DIR, mode, 0, layer)


def link(path: str, target: str, layer: str = L1) -> FileEntry:
    return FileEntry(path, FileKind.SYMLINK, 0o777, 0, layer, link=target)


def tree(
    entries: Sequence[FileEntry],
    captures: Mapping[str, Mapping[str, object]] | None = None,
    history: Mapping[str, tuple[tuple[str, str, object], ...]] | None = None,
) -> FileTree:
    return FileTree({e.path: e for e in entries}, captures or {}, history=history)


_DEFAULT = ImageConfig()


def sbom(
    config: ImageConfig | None = _DEFAULT,
    distro: Distro | None = None,
    scheme: str = "oci-archive",
    databases: tuple[str, ...] = (),
) -> Sbom:
    info = SourceInfo(scheme=scheme, target="test.tar", config=config)
    return Sbom(
        source=info,
        packages=(),
        coverage=Coverage(package_databases=databases),
        distro=distro,
    )
