"""Open one layer blob as a verified, decompressed tar stream.

Compression is recognised from the first bytes (gzip, zstd, or a plain tar), never from the
media type. The compressed bytes are hashed against the layer digest and (except for gzip
layers whose blob digest is verified: see ``open_layer``) the uncompressed bytes against the
diff id while they stream; both are checked once the layer has been read to its very end.
Errors of any kind become one :class:`SourceError` naming the layer.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, BinaryIO

from hardhull.errors import DigestMismatchError, HardhullError, SourceError
from hardhull.sources.base import LayerBlob, Progress, SourceOptions
from hardhull.sources.tarstream import RawSource, TarStream

_GZIP = b"\x1f\x8b"
_ZSTD = b"\x28\xb5\x2f\xfd"
_OTHER = {b"BZh": "bzip2", b"\xfd7zXZ": "xz"}
_HASHES = ("sha256", "sha512")


class ReadCancelled(Exception):
    """Raised inside a layer read to stop it early (another layer failed)."""


class _Counting(io.RawIOBase):
    """Pass-through reader that hashes what it passes on and reports progress."""

    def __init__(
        self,
        inner: Any,
        algo: str | None,
        progress: Progress | None = None,
        key: str = "",
        prefix: bytes = b"",
    ) -> None:
        super().__init__()
        self._inner = inner
        self._readinto = getattr(inner, "readinto", None)
        self.hash = hashlib.new(algo) if algo else None
        self._progress = progress
        self._key = key
        self._prefix = prefix
        if prefix:
            if self.hash is not None:
                self.hash.update(prefix)
            if progress is not None:
                progress.advance(key, len(prefix))

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        if self._prefix:
            n = min(len(view), len(self._prefix))
            view[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        if self._readinto is not None:
            n = self._readinto(view) or 0
        else:
            data = self._inner.read(len(view))
            n = len(data)
            view[:n] = data
        if n:
            if self.hash is not None:
                self.hash.update(view[:n])
            if self._progress is not None:
                self._progress.advance(self._key, n)
        return n


def _algo(digest: str | None) -> str | None:
    if not digest:
        return None
    algo = digest.partition(":")[0]
    return algo if algo in _HASHES else None


def _check(counter: _Counting, digest: str, what: str, label: str) -> None:
    assert counter.hash is not None
    actual = f"{counter.hash.name}:{counter.hash.hexdigest()}"
    if actual != digest:
        raise DigestMismatchError(
            f"{label}: {what} content hashes to {actual}, not {digest} as the manifest says"
        )


@contextmanager
def open_layer(blob: LayerBlob, options: SourceOptions, *, verify: bool) -> Iterator[TarStream]:
    """Yield a :class:`TarStream` over ``blob``; on clean exit, verify its digests."""
    info = blob.info
    label = f"layer {info.digest}"
    progress = options.progress
    progress.start(info.digest, f"layer {info.digest[7:19]}", info.size or None)
    try:
        with ExitStack() as stack:
            try:
                raw = blob.open()
            except HardhullError:
                raise
            except OSError as exc:
                raise SourceError(f"{label}: cannot open ({exc.strerror or exc})") from exc
            stack.callback(raw.close)
            magic = _read_magic(raw)
            compression = _compression(magic, label)
            raw_algo = _algo(info.digest) if verify else None
            if compression and info.digest == info.diff_id:
                raw_algo = None  # only the uncompressed digest is known (docker-archive)
            plain_algo = _algo(info.diff_id) if verify else None
            if not compression and raw_algo and info.diff_id == info.digest:
                plain_algo = None  # the same bytes under the same digest: hash once
            if compression == "gzip" and raw_algo is not None:
                # The verified blob digest pins every compressed byte and gzip's own CRC-32
                # and length trailer (checked by the decoder) pin the decompression, so the
                # diff id would only re-prove the same bytes at ~15% of a scan's time. zstd
                # keeps the check: a cut zstd frame can decode to nothing without an error.
                plain_algo = None
            check_raw = raw_algo is not None
            raw_counter = _Counting(
                raw,
                raw_algo,
                progress,
                info.digest,
                prefix=magic,
            )
            plain: RawSource
            if compression == "gzip":
                from isal import igzip_threaded

                plain = stack.enter_context(
                    igzip_threaded.open(raw_counter, "rb", threads=1)  # type: ignore[no-untyped-call]
                )
            elif compression == "zstd":
                import zstandard

                plain = stack.enter_context(
                    zstandard.ZstdDecompressor().stream_reader(
                        raw_counter,  # type: ignore[arg-type]
                        read_size=1 << 20,
                        read_across_frames=True,
                        closefd=False,
                    )
                )
            else:
                plain = raw_counter
            # hash the uncompressed bytes only when that check is due; else read directly
            plain_counter = _Counting(plain, plain_algo) if plain_algo else None
            tar = TarStream(plain if plain_counter is None else plain_counter)
            try:
                yield tar
                tar.drain()
                if compression:
                    while raw_counter.read(1 << 20):
                        pass
            except HardhullError as exc:
                if isinstance(exc, SourceError) and not str(exc).startswith(label):
                    raise SourceError(f"{label}: {exc}") from exc
                raise
            except ReadCancelled:
                raise
            except Exception as exc:  # decoder errors have many types (isal, zstd, zlib)
                raise SourceError(f"{label}: {_describe(exc, compression)}") from exc
            if check_raw:
                _check(raw_counter, info.digest, "compressed" if compression else "layer", label)
            if plain_counter is not None and info.diff_id:
                _check(plain_counter, info.diff_id, "uncompressed", label)
    finally:
        progress.finish(info.digest)


def _read_magic(raw: BinaryIO) -> bytes:
    magic = b""
    while len(magic) < 6:
        chunk = raw.read(6 - len(magic))
        if not chunk:
            break
        magic += chunk
    return magic


def _compression(magic: bytes, label: str) -> str | None:
    if magic.startswith(_GZIP):
        return "gzip"
    if magic.startswith(_ZSTD):
        return "zstd"
    for prefix, name in _OTHER.items():
        if magic.startswith(prefix):
            raise SourceError(f"{label}: {name}-compressed layers are not supported")
    return None


def _describe(exc: BaseException, compression: str | None) -> str:
    what = f"{compression} stream" if compression else "layer stream"
    if isinstance(exc, EOFError):
        return f"{what} ends early (truncated): {exc}"
    return f"cannot read {what}: {type(exc).__name__}: {exc}"
