"""HTTP downloads for ``db update``: status, size and length checks, validators, progress.

Every failure (connection, HTTP status, a body cut short of its ``Content-Length``, a
body over the size limit) raises :class:`DownloadError` naming the URL.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import httpx

from hardhull import __version__
from hardhull.sources.base import NullProgress, Progress
from hardhull.vulndb.errors import DownloadError


@dataclass(frozen=True, slots=True)
class Fetched:
    """A finished download: the body (or ``None`` when written to a file or unchanged)."""

    url: str
    body: bytes | None
    etag: str | None
    last_modified: str | None
    not_modified: bool = False


def make_client(timeout: float = 60.0) -> httpx.Client:
    """The HTTP client every download uses (redirects followed, proxies from env)."""
    return httpx.Client(
        timeout=timeout,
        follow_redirects=True,
        headers={"User-Agent": f"hardhull/{__version__} (vulnerability database update)"},
    )


def fetch(
    client: httpx.Client,
    url: str,
    *,
    max_bytes: int,
    dest: Path | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    progress: Progress | None = None,
    label: str = "",
) -> Fetched:
    """GET ``url`` into memory (or ``dest``); conditional when validators are given."""
    progress = progress or NullProgress()
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    key = f"download:{url}"
    chunks: list[bytes] = []
    total = 0
    try:
        with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304 and headers:
                return Fetched(url, None, etag, last_modified, not_modified=True)
            if response.status_code != 200:
                raise DownloadError(f"{url}: HTTP {response.status_code} {response.reason_phrase}")
            length_text = response.headers.get("content-length")
            length = int(length_text) if length_text and length_text.isdigit() else None
            if length is not None and length > max_bytes:
                raise DownloadError(f"{url}: {length} bytes is over the {max_bytes} byte limit")
            progress.start(key, label or url.rsplit("/", 1)[-1], length)
            out: BinaryIO | None = dest.open("wb") if dest is not None else None
            try:
                for chunk in response.iter_bytes(1 << 20):
                    total += len(chunk)
                    if total > max_bytes:
                        raise DownloadError(f"{url}: more than the {max_bytes} byte limit")
                    if out is not None:
                        out.write(chunk)
                    else:
                        chunks.append(chunk)
                    progress.advance(key, len(chunk))
            finally:
                if out is not None:
                    out.close()
                progress.finish(key)
            raw = response.num_bytes_downloaded
            if length is not None and raw != length:
                raise DownloadError(f"{url}: cut short ({raw} of {length} bytes)")
            new_etag = response.headers.get("etag")
            new_modified = response.headers.get("last-modified")
    except httpx.HTTPError as exc:
        if dest is not None:
            with contextlib.suppress(OSError):
                dest.unlink()
        raise DownloadError(f"{url}: download failed ({type(exc).__name__}: {exc})") from None
    return Fetched(url, None if dest else b"".join(chunks), new_etag, new_modified)
