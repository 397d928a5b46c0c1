"""Layer streams: compression by magic, digest checks, corrupt and hostile tars."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest
from tests.support.imagekit import require
from tests.unit.sources.layerkit import blob_of, compress, d, f, hard, sha, sym, tar_bytes, wh

from hardhull.errors import DigestMismatchError, SourceError
from hardhull.model import LayerInfo
from hardhull.sources.base import LayerBlob, Selector, SourceOptions
from hardhull.sources.layers import build_tree

BAD = "sha256:" + "0" * 64
MEMBERS = (d("etc"), f("etc/a", "alpha" * 100), sym("etc/l", "a"), hard("etc/h", "etc/a"))


def read(tmp_path: Path, *blobs: LayerBlob, **opts: object):  # type: ignore[no-untyped-def]
    sel = Selector("a", lambda e: e.path == "/etc/a")
    return build_tree(blobs, (sel,), tmp_path, SourceOptions(**opts))  # type: ignore[arg-type]


@pytest.mark.parametrize("how", ["none", "gzip", "zstd"])
def test_every_compression_gives_the_same_tree(tmp_path: Path, how: str) -> None:
    tar = tar_bytes(*MEMBERS)
    blob = blob_of(tar, how, opener=lambda data: io.BufferedReader(io.BytesIO(data), 7))
    tree = read(tmp_path, blob)
    assert [e.path for e in tree.entries()] == ["/etc", "/etc/a", "/etc/h", "/etc/l"]
    assert tree.read_bytes("a", "/etc/a") == b"alpha" * 100
    assert blob.info.digest == sha(compress(tar, how))


def test_media_type_is_ignored(tmp_path: Path) -> None:
    tar = tar_bytes(*MEMBERS)
    blob = blob_of(tar, "zstd")
    lying = LayerBlob(
        info=LayerInfo(
            blob.info.digest, "application/vnd.oci.image.layer.v1.tar+gzip", 1, blob.info.diff_id
        ),
        open=blob.open,
    )
    assert read(tmp_path, lying).read_bytes("a", "/etc/a") == b"alpha" * 100


@pytest.mark.parametrize("how", ["none", "gzip", "zstd"])
def test_wrong_layer_digest_is_an_error(tmp_path: Path, how: str) -> None:
    blob = blob_of(tar_bytes(*MEMBERS), how, digest=BAD)
    with pytest.raises(DigestMismatchError, match=f"layer {BAD}"):
        read(tmp_path, blob)
    # and only when verification is on
    assert len(read(tmp_path, blob, verify_digests=False)) == 4


@pytest.mark.parametrize("how", ["none", "zstd"])
def test_wrong_diff_id_is_an_error(tmp_path: Path, how: str) -> None:
    blob = blob_of(tar_bytes(*MEMBERS), how, diff_id=BAD)
    with pytest.raises(DigestMismatchError, match="uncompressed content hashes to sha256:"):
        read(tmp_path, blob)


def test_gzip_layer_with_verified_blob_digest_is_pinned_by_it(tmp_path: Path) -> None:
    # blob digest verified + gzip CRC: the diff id is not hashed again (documented choice)
    assert len(read(tmp_path, blob_of(tar_bytes(*MEMBERS), "gzip", diff_id=BAD))) == 4
    corrupt = bytearray(compress(tar_bytes(*MEMBERS), "gzip"))
    corrupt[-8] ^= 0xFF  # the CRC-32 in the gzip trailer
    data = bytes(corrupt)
    info = LayerInfo(sha(data), "x", len(data), sha(tar_bytes(*MEMBERS)))
    with pytest.raises(SourceError, match=f"layer {sha(data)}: .*gzip"):
        read(tmp_path, LayerBlob(info=info, open=lambda: io.BytesIO(data)))


def test_digest_equal_to_diff_id_promises_only_uncompressed_content(tmp_path: Path) -> None:
    # docker-archive style: the only known digest is the diff id, even if the file is gzip
    tar = tar_bytes(*MEMBERS)
    ok = blob_of(tar, "gzip", digest=sha(tar), diff_id=sha(tar))
    assert len(read(tmp_path, ok)) == 4
    other = tar_bytes(f("etc/a", "tampered"))
    bad = blob_of(other, "gzip", digest=sha(tar), diff_id=sha(tar))
    with pytest.raises(DigestMismatchError):
        read(tmp_path, bad)


def test_unknown_diff_id_checks_the_blob_only(tmp_path: Path) -> None:
    blob = blob_of(tar_bytes(*MEMBERS), "gzip", diff_id="")
    assert blob.info.diff_id is None
    assert len(read(tmp_path, blob)) == 4


@pytest.mark.parametrize("how", ["none", "gzip", "zstd"])
def test_truncated_layer_is_an_error_naming_it(tmp_path: Path, how: str) -> None:
    big = tar_bytes(*MEMBERS, f("blob", bytes(range(256)) * 400))
    data = compress(big, how)
    cut = data[: len(data) // 2]
    blob = LayerBlob(
        info=LayerInfo(sha(cut), "x", len(cut), sha(big)), open=lambda: io.BytesIO(cut)
    )
    # zstd may decode a cut frame to nothing at all: then the diff id check catches it
    why = "(truncated|ends early|hashes to)"
    with pytest.raises(SourceError, match=f"layer {sha(cut)}: .*{why}") as err:
        read(tmp_path, blob)
    assert "\n" not in str(err.value)


def test_garbage_and_unsupported_compression(tmp_path: Path) -> None:
    junk = b"this is not a tar archive at all " * 40
    with pytest.raises(SourceError, match="not a tar, or corrupt"):
        read(tmp_path, blob_of(junk))
    bz = b"BZh91AY&SY" + junk
    with pytest.raises(SourceError, match="bzip2-compressed layers are not supported"):
        read(tmp_path, blob_of(bz))
    gz_junk = b"\x1f\x8b\x08\x00" + junk
    with pytest.raises(SourceError, match="cannot read gzip stream"):
        read(tmp_path, blob_of(gz_junk, diff_id=""))


def test_unopenable_blob(tmp_path: Path) -> None:
    def opener() -> io.BytesIO:
        raise FileNotFoundError(2, "No such file or directory")

    blob = LayerBlob(info=LayerInfo(BAD, "x", 1), open=opener)
    with pytest.raises(SourceError, match=f"layer {BAD}: cannot open"):
        read(tmp_path, blob)


def test_one_bad_layer_among_many_fails_the_build(tmp_path: Path) -> None:
    good = [blob_of(tar_bytes(f(f"f{i}", "x" * 10_000)), "gzip") for i in range(6)]
    bad = blob_of(tar_bytes(f("x")), digest=BAD)
    with pytest.raises(DigestMismatchError, match=BAD):
        read(tmp_path, *good[:3], bad, *good[3:], workers=2)


def test_progress_reports_compressed_bytes(tmp_path: Path) -> None:
    events: list[tuple[str, str, object]] = []

    class Rec:
        def start(self, key: str, label: str, total: int | None) -> None:
            events.append(("start", key, total))

        def advance(self, key: str, nbytes: int) -> None:
            events.append(("advance", key, nbytes))

        def finish(self, key: str) -> None:
            events.append(("finish", key, None))

    blob = blob_of(tar_bytes(*MEMBERS), "gzip")
    read(tmp_path, blob, progress=Rec())
    key = blob.info.digest
    assert events[0] == ("start", key, blob.info.size)
    assert events[-1] == ("finish", key, None)
    assert sum(n for kind, _, n in events if kind == "advance") == blob.info.size  # type: ignore[misc]


def test_long_names_in_pax_and_gnu_formats(tmp_path: Path) -> None:
    deep = "/".join(["segment" + str(i) for i in range(30)]) + "/file.txt"
    target = "/".join(["t" * 50, "u" * 60, "v" * 10])
    for fmt in (tarfile.PAX_FORMAT, tarfile.GNU_FORMAT):
        tar = tar_bytes(f(deep, "deep"), sym("l", target), f("ümlaut", "u"), fmt=fmt)
        tree = build_tree([blob_of(tar)], (), tmp_path, SourceOptions())
        assert tree.get("/" + deep).size == 4  # type: ignore[union-attr]
        assert tree.get("/l").link == target  # type: ignore[union-attr]
        assert "/ümlaut" in tree


def test_header_claiming_huge_size_with_short_body(tmp_path: Path) -> None:
    info = tarfile.TarInfo("huge")
    info.size = 10 * 1024**3
    data = info.tobuf(tarfile.GNU_FORMAT) + b"only a little data" * 100
    with pytest.raises(SourceError, match="truncated tar"):
        build_tree([blob_of(data, diff_id="")], (), tmp_path, SourceOptions())


@pytest.mark.parametrize("fmt", ["gnu", "posix"])
def test_sparse_10gb_file_is_never_read(tmp_path: Path, fmt: str) -> None:
    require("tar")
    src = tmp_path / "src"
    src.mkdir()
    sparse = src / "sparse.img"
    with open(sparse, "wb") as fh:
        fh.seek(10 * 1024**3 - 5)
        fh.write(b"tail!")
    (src / "small").write_text("small")
    out = tmp_path / "layer.tar"
    subprocess.run(
        ["tar", "--sparse", f"--format={fmt}", "-cf", out, "-C", src, "sparse.img", "small"],
        check=True,
    )
    assert out.stat().st_size < 1024 * 1024
    tar = out.read_bytes()
    work = tmp_path / "work"
    work.mkdir()
    want = Selector("img", lambda e: True, max_size=64 * 1024**3)
    capped = Selector("capped", lambda e: True)
    tree = build_tree([blob_of(tar, "gzip")], (want, capped), work, SourceOptions())
    entry = tree.get("/sparse.img")
    assert entry is not None and entry.size == 10 * 1024**3
    assert tree.capture("img", "/sparse.img") is None
    kinds = {(g.kind, g.subject) for g in tree.gaps}
    assert ("too-large", "/sparse.img") in kinds and ("unreadable-file", "/sparse.img") in kinds
    assert tree.read_bytes("img", "/small") == b"small"


def test_whiteout_names_are_not_entries_even_when_odd(tmp_path: Path) -> None:
    tar = tar_bytes(f("a/.wh..wh.plnk"), wh("a/x"), f("a/.wh.keep.me.not"), f("a/normal.wh.txt"))
    tree = build_tree([blob_of(tar)], (), tmp_path, SourceOptions())
    assert [e.path for e in tree.entries()] == ["/a/normal.wh.txt"]


def test_endless_extended_headers_are_refused(tmp_path: Path) -> None:
    out = b""
    for i in range(40):
        info = tarfile.TarInfo(f"x{i}")
        info.pax_headers = {f"hardhull.junk{i}": "j" * 60_000}
        out += info.tobuf(tarfile.PAX_FORMAT)[:-512]  # the PAX header without its member
    with pytest.raises(SourceError, match="bytes of extended headers for one member"):
        build_tree([blob_of(out + bytes(1024), diff_id="")], (), tmp_path, SourceOptions())
