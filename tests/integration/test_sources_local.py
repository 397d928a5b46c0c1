"""Local image formats against real images built and saved by podman (and skopeo).

One small multi-layer image ``FROM scratch`` (a fixture tree, Debian's static busybox,
and ``RUN`` steps that delete a directory, rewrite a file and make hard links) is saved
as docker-archive, oci-archive, oci-dir and a zstd OCI layout. Every format must give the
same squashed tree, with deletions applied and each path attributed to its layer.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.support.imagekit import build_image, remove_image, require, save_image, skopeo_copy

from hardhull.model import FileKind
from hardhull.sources.base import ResolvedImage, Selector, SourceOptions
from hardhull.sources.docker_archive import resolve_docker_archive
from hardhull.sources.filetree import FileTree
from hardhull.sources.layers import build_tree
from hardhull.sources.oci import resolve_oci_archive, resolve_oci_dir

pytestmark = pytest.mark.integration

TAG = "localhost/hardhull-sources-local:1"
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "sources" / "imagetree"
BUSYBOX = Path("/bin/busybox")
CONTAINERFILE = """\
FROM scratch
COPY busybox /bin/busybox
COPY tree/ /
RUN ["/bin/busybox", "rm", "-rf", "/some/dir"]
RUN ["/bin/busybox", "sh", "-c", "echo 'mode = \\"v2\\"' > /etc/app.conf && \
/bin/busybox mkdir /opt && /bin/busybox cp /bin/busybox /opt/bb && \
/bin/busybox ln /opt/bb /opt/bb-hard && /bin/busybox ln -s ../bin/busybox /opt/bb-sym"]
"""
Resolver = Callable[[Path, SourceOptions, Path], ResolvedImage]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[Path, Resolver]]]:
    require("podman", "skopeo")
    if not BUSYBOX.is_file():
        require("busybox-static (/bin/busybox)")
    root = tmp_path_factory.mktemp("sources-local")
    ctx = root / "ctx"
    shutil.copytree(FIXTURE, ctx / "tree")
    shutil.copy2(BUSYBOX, ctx / "busybox")
    build_image(ctx, TAG, CONTAINERFILE)
    try:
        out: dict[str, tuple[Path, Resolver]] = {
            "docker-archive": (
                save_image(TAG, "docker-archive", root / "d.tar"),
                resolve_docker_archive,
            ),
            "oci-archive": (save_image(TAG, "oci-archive", root / "o.tar"), resolve_oci_archive),
            "oci-dir": (save_image(TAG, "oci-dir", root / "oci"), resolve_oci_dir),
        }
        skopeo_copy(f"oci:{root / 'oci'}", f"oci:{root / 'zstd'}", "--dest-compress-format", "zstd")
        out["zstd"] = (root / "zstd", resolve_oci_dir)
        yield out
    finally:
        remove_image(TAG)


def _read(path: Path, resolve: Resolver, work: Path) -> tuple[ResolvedImage, FileTree]:
    image = resolve(path, SourceOptions(workers=2), work)
    sels = (
        Selector("conf", lambda e: e.path == "/etc/app.conf"),
        Selector("elf", lambda e: e.path.startswith("/opt/bb"), read=lambda e, s, c: s.read(4)),
    )
    return image, build_tree(image.layers, sels, work, SourceOptions(workers=2))


def _shape(image: ResolvedImage, tree: FileTree) -> list[tuple[object, ...]]:
    order = [layer.digest for layer in image.info.layers]
    return [
        (e.path, e.kind, e.mode, e.size, e.link, order.index(e.layer or "")) for e in tree.entries()
    ]


FORMATS = ["docker-archive", "oci-archive", "oci-dir", "zstd"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_squashed_tree(saved: dict[str, tuple[Path, Resolver]], fmt: str, tmp_path: Path) -> None:
    path, resolve = saved[fmt]
    image, tree = _read(path, resolve, tmp_path)
    info = image.info
    assert info.scheme == ("oci-dir" if fmt == "zstd" else fmt)
    assert TAG in info.tags or fmt == "zstd"
    assert info.platform == "linux/amd64" and len(info.layers) == 4
    assert all(layer.diff_id for layer in info.layers)
    assert info.config is not None and "rm" in (info.layers[2].created_by or "")
    # the RUN rm -rf left whiteouts: the directory and everything under it are gone
    assert "/some" in tree and "/some/dir" not in tree and "/some/dir/sub/b" not in tree
    layer_of = {layer.digest: i for i, layer in enumerate(info.layers)}
    assert layer_of[tree.get("/bin/busybox").layer] == 0  # type: ignore[union-attr,index]
    assert layer_of[tree.get("/data/keep").layer] == 1  # type: ignore[union-attr,index]
    assert layer_of[tree.get("/etc/app.conf").layer] == 3  # type: ignore[union-attr,index]
    assert tree.read_bytes("conf", "/etc/app.conf") == b'mode = "v2"\n'
    sym = tree.get("/opt/bb-sym")
    assert sym is not None and sym.kind is FileKind.SYMLINK and sym.link == "../bin/busybox"
    assert tree.resolve("/opt/bb-sym").path == "/bin/busybox"  # type: ignore[union-attr]
    hard = tree.get("/opt/bb-hard")
    assert hard is not None and hard.kind is FileKind.HARDLINK and hard.link == "/opt/bb"
    assert hard.size == BUSYBOX.stat().st_size
    assert tree.capture("elf", "/opt/bb-hard") == b"\x7fELF"
    assert tree.capture("elf", "/opt/bb") == b"\x7fELF"
    assert not tree.gaps
    assert list(tmp_path.iterdir()) == []


def test_all_formats_agree(saved: dict[str, tuple[Path, Resolver]], tmp_path: Path) -> None:
    shapes = {fmt: _shape(*_read(*saved[fmt], tmp_path)) for fmt in FORMATS}
    reference = shapes["docker-archive"]
    assert len(reference) > 10
    for fmt in FORMATS[1:]:
        assert shapes[fmt] == reference, fmt


def test_zstd_layout_really_is_zstd(saved: dict[str, tuple[Path, Resolver]]) -> None:
    path, resolve = saved["zstd"]
    image = resolve(path, SourceOptions(), path)
    with image.layers[0].open() as fh:
        assert fh.read(4) == b"\x28\xb5\x2f\xfd"
    assert "zstd" in image.layers[0].info.media_type


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hardhull", *args], capture_output=True, text=True, check=False
    )


def test_cli_sbom_json(saved: dict[str, tuple[Path, Resolver]], tmp_path: Path) -> None:
    path, resolve = saved["oci-archive"]
    proc = _cli("sbom", str(path), "--format", "json", "--quiet")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    expected = [layer.info.digest for layer in resolve(path, SourceOptions(), tmp_path).layers]
    assert doc["coverage"]["layers_read"] == expected


def _one_error_line(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("hardhull: error:"), proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_cli_bad_archives(saved: dict[str, tuple[Path, Resolver]], tmp_path: Path) -> None:
    data = saved["oci-archive"][0].read_bytes()
    cut = tmp_path / "cut.tar"
    cut.write_bytes(data[: len(data) * 2 // 3])
    _one_error_line(_cli("sbom", f"oci-archive:{cut}", "-q"), str(cut))
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"definitely not a tar\n" * 100)
    _one_error_line(_cli("sbom", f"docker-archive:{junk}", "-q"), str(junk))
    _one_error_line(_cli("sbom", str(junk), "-q"), str(junk))
    # an OCI layout whose manifest names a blob that is not there
    layout = tmp_path / "layout"
    shutil.copytree(saved["oci-dir"][0], layout)
    image = resolve_oci_dir(layout, SourceOptions(), tmp_path)
    missing = image.layers[-1].info.digest
    (layout / "blobs" / "sha256" / missing[7:]).unlink()
    _one_error_line(_cli("sbom", f"oci-dir:{layout}", "-q"), missing, "missing")
    # a layout whose layer blob was swapped for another one
    swapped = tmp_path / "layout2"
    shutil.copytree(saved["oci-dir"][0], swapped)
    first, second = (swapped / "blobs" / "sha256" / b.info.digest[7:] for b in image.layers[:2])
    shutil.copy(first, second)
    _one_error_line(_cli("sbom", f"oci-dir:{swapped}", "-q"), image.layers[1].info.digest)
