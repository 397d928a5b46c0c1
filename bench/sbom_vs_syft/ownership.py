"""Which paths of an image a Debian package owns, read independently of hardhull.

Walks the layers of an OCI archive in order with the standard library, applying
whiteouts, and keeps the final ``/var/lib/dpkg/info/*.list`` files: the lists of files
dpkg installed. The benchmark uses them to tell which of Syft's language packages live in
files an OS package owns (hardhull does not report those again, by design).
"""

from __future__ import annotations

import gzip
import json
import posixpath
import tarfile
from pathlib import Path
from typing import IO, Any, cast

INFO_DIR = "var/lib/dpkg/info"

# Debian 12 is merged-/usr: /bin, /sbin, /lib* are symlinks into /usr. dpkg lists still
# name some files by their old paths, so compare both sides in /usr form.
_MERGED = ("/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/", "/libx32/")


def canonical(path: str) -> str:
    """``/lib/x`` -> ``/usr/lib/x`` (merged-/usr), normalised and absolute."""
    path = posixpath.normpath("/" + path.lstrip("/"))
    if path.startswith(_MERGED):
        return "/usr" + path
    return path


def _blob(tar: tarfile.TarFile, digest: str) -> IO[bytes]:
    algo, _, hexd = digest.partition(":")
    member = tar.extractfile(f"blobs/{algo}/{hexd}")
    if member is None:
        raise ValueError(f"blob {digest} missing")
    return member


def _layer_stream(raw: IO[bytes]) -> IO[bytes]:
    head = raw.read(4)
    raw.seek(0)
    if head[:2] == b"\x1f\x8b":
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw))
    if head == b"\x28\xb5\x2f\xfd":
        import zstandard

        return cast(IO[bytes], zstandard.ZstdDecompressor().stream_reader(raw))
    return raw


def dpkg_lists(archive: Path) -> dict[str, bytes]:
    """``{package: content of its .list file}`` after all layers of the image."""
    lists: dict[str, bytes] = {}
    with tarfile.open(archive, "r:") as outer:
        index = json.load(_blob_file(outer, "index.json"))
        manifest: dict[str, Any] = json.load(_blob(outer, index["manifests"][0]["digest"]))
        for layer in manifest["layers"]:
            with tarfile.open(fileobj=_layer_stream(_blob(outer, layer["digest"])), mode="r|") as t:
                for member in t:
                    name = member.name.removeprefix("./").strip("/")
                    parent, base = posixpath.split(name)
                    if base == ".wh..wh..opq" and (INFO_DIR + "/").startswith(parent + "/"):
                        lists.clear()
                        continue
                    if base.startswith(".wh."):
                        target = posixpath.join(parent, base[4:])
                        if target == INFO_DIR or INFO_DIR.startswith(target + "/"):
                            lists.clear()
                        elif parent == INFO_DIR and target.endswith(".list"):
                            lists.pop(posixpath.basename(target)[:-5], None)
                        continue
                    if parent == INFO_DIR and base.endswith(".list") and member.isfile():
                        handle = t.extractfile(member)
                        if handle is not None:
                            lists[base[:-5]] = handle.read()
    return lists


def _blob_file(tar: tarfile.TarFile, name: str) -> IO[bytes]:
    member = tar.extractfile(name)
    if member is None:
        raise ValueError(f"{name} missing")
    return member


def owned_paths(archive: Path) -> dict[str, str]:
    """``{canonical path: owning package}`` for every file a dpkg list names."""
    owners: dict[str, str] = {}
    for package, content in dpkg_lists(archive).items():
        for line in content.decode(errors="replace").splitlines():
            if line and line != "/.":
                owners[canonical(line)] = package.split(":")[0]
    return owners
