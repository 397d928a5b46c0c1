"""Build real OCI images for tests with podman, and save them in the formats hardhull reads.

Under ``CI=true`` a missing tool fails the test loudly instead of skipping it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hardhull.sources.base import LayerBlob

IN_CI = os.environ.get("CI", "").lower() == "true"


def require(*tools: str) -> None:
    """Skip (or, under CI, fail) unless every tool is on PATH."""
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        msg = f"needs {', '.join(missing)} (run `make setup`)"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)


def blob_sha256(blob: LayerBlob, chunk: int = 65536) -> str:
    """``sha256:<hex>`` of everything ``blob.open()`` streams, read ``chunk`` bytes at a time."""
    h = hashlib.sha256()
    with blob.open() as fh:
        while data := fh.read(chunk):
            h.update(data)
    return f"sha256:{h.hexdigest()}"


def run(*cmd: str | Path, cwd: Path | None = None, input: bytes | None = None) -> bytes:
    """Run a command, raising with its stderr on failure."""
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, input=input, capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, cmd))} failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}"
        )
    return proc.stdout


def build_image(context: Path, tag: str, containerfile: str, *, fmt: str = "oci") -> str:
    """``podman build`` ``containerfile`` (text) in ``context``; returns the tag."""
    require("podman")
    (context / "Containerfile").write_text(containerfile)
    run(
        "podman",
        "build",
        "-q",
        "--format",
        fmt,
        "-t",
        tag,
        "-f",
        context / "Containerfile",
        context,
    )
    return tag


def save_image(tag: str, fmt: str, dest: Path) -> Path:
    """``podman save`` as ``oci-archive``, ``docker-archive``, ``oci-dir`` or ``docker-dir``."""
    require("podman")
    if dest.exists():
        if dest.is_dir():
            shutil.rmtree(dest)
        else:
            dest.unlink()
    run("podman", "save", "-q", "--format", fmt, "-o", dest, tag)
    return dest


def skopeo_copy(src: str, dest: str, *extra: str) -> None:
    """``skopeo copy`` between any two transports (extra flags passed through)."""
    require("skopeo")
    run("skopeo", "copy", "-q", *extra, src, dest)


def remove_image(tag: str) -> None:
    subprocess.run(["podman", "rmi", "-f", tag], capture_output=True, check=False)


@contextmanager
def built_archive(
    context: Path, tag: str, containerfile: str, archive: str, dest: Path, *, fmt: str = "oci"
) -> Iterator[Path]:
    """Build ``tag``, save it as ``archive`` to ``dest`` and yield ``dest``; the image is
    removed from the store afterwards (also when the build or the test fails)."""
    try:
        build_image(context, tag, containerfile, fmt=fmt)
        yield save_image(tag, archive, dest)
    finally:
        remove_image(tag)
