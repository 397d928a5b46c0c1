"""Stream image layers into one squashed :class:`FileTree`.

Each layer is read once, as a stream, in a worker thread: its compression is detected from
magic bytes (gzip via isal, zstd, or plain tar), its compressed and uncompressed digests
are checked while it passes, and every regular file is offered to the selectors that
match it. Nothing is extracted. The per-layer results are then merged in layer order with
OCI whiteout semantics: later layers override earlier ones, ``.wh.NAME`` deletes a path
and everything under it, ``.wh..wh..opq`` hides what lower layers had under a directory.
"""

from __future__ import annotations

import bisect
import io
import shutil
import tempfile
import threading
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from hardhull.model import FileEntry, FileKind, Gap
from hardhull.sources.base import LayerBlob, Selector, SourceOptions
from hardhull.sources.filetree import FileTree, normalize
from hardhull.sources.layerstream import ReadCancelled, open_layer
from hardhull.sources.selecting import SelectorIndex, Shield, offer_file
from hardhull.sources.tarstream import TarStream

_KINDS = {
    "0": FileKind.FILE,
    "1": FileKind.HARDLINK,
    "2": FileKind.SYMLINK,
    "3": FileKind.CHAR,
    "4": FileKind.BLOCK,
    "5": FileKind.DIR,
    "6": FileKind.FIFO,
    "D": FileKind.DIR,  # GNU dump directory
}
_FILE = FileKind.FILE
_HARDLINK = FileKind.HARDLINK
_DIR = FileKind.DIR
_OPAQUE = ".wh..wh..opq"
_MAX_UNSAFE_GAPS = 50


@dataclass(slots=True)
class _LayerResult:
    """Everything one layer contributes, before squashing."""

    digest: str
    entries: dict[str, FileEntry] = field(default_factory=dict)
    whiteouts: list[str] = field(default_factory=list)
    opaques: list[str] = field(default_factory=list)
    captures: dict[str, dict[str, object]] = field(default_factory=dict)
    file_gaps: dict[str, list[Gap]] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)
    hardlinks: list[str] = field(default_factory=list)
    # (selector, hard link path, target path) whose content must come from a second read
    pending: list[tuple[Selector, str, str]] = field(default_factory=list)


def _slow_path(name: str) -> tuple[str, bool]:
    """Normalise an unusual member name; the flag says it tried to leave the root."""
    unsafe = name.startswith("/") or ".." in name.split("/")
    return normalize(name), unsafe


def _link_target(linkname: str) -> str:
    if linkname.startswith("./"):
        linkname = linkname[2:]
    return normalize(linkname)


def _read_layer(
    blob: LayerBlob,
    selectors: Sequence[Selector],
    workdir: Path,
    options: SourceOptions,
    cancel: threading.Event,
) -> _LayerResult:
    info = blob.info
    layer = info.digest
    result = _LayerResult(layer)
    entries = result.entries
    captures = result.captures
    # path -> names of the selectors its content was offered to, in this layer
    offered: dict[str, tuple[str, ...]] = {}
    index = SelectorIndex(selectors)
    unsafe_count = 0
    with open_layer(blob, options, verify=options.verify_digests) as tar:
        count = 0
        while (header := tar.next()) is not None:
            count += 1
            if not count & 0xFF and cancel.is_set():
                raise ReadCancelled
            name = header.name
            if name.startswith("./"):
                name = name[2:]
            path = "/" + name
            if "/." in path or "//" in path or path[-1] == "/":
                path, unsafe = _slow_path(name)
                if unsafe:
                    unsafe_count += 1
                    if unsafe_count <= _MAX_UNSAFE_GAPS:
                        result.gaps.append(
                            Gap(
                                "unsafe-entry",
                                path,
                                f"layer {layer}: member {header.name!r} points outside the "
                                f"image root; kept as {path}",
                            )
                        )
                if path == "/":
                    continue
                if ".wh." in path:
                    parent, _, base = path.rpartition("/")
                    if base.startswith(".wh."):
                        if base == _OPAQUE:
                            result.opaques.append(parent or "/")
                        elif not base.startswith(".wh..wh.") and len(base) > 4:
                            result.whiteouts.append(parent + "/" + base[4:])
                        continue
            kind = _KINDS.get(header.type)
            if kind is None:
                continue
            if path in offered:  # a member repeated within one layer: the last one wins
                del offered[path]
                result.file_gaps.pop(path, None)
                for per_sel in captures.values():
                    per_sel.pop(path, None)
            if kind is _FILE:
                entry = FileEntry(
                    path, kind, header.mode, header.size, layer, header.uid, header.gid
                )
                entries[path] = entry
                matched = index.matching(entry)
                if matched:
                    offered[path] = tuple(s.name for s in matched)
                    found, gaps = offer_file(
                        entry, matched, tar.member_reader(), workdir, sparse=header.sparse
                    )
                    for sel_name, value in found:
                        captures.setdefault(sel_name, {})[path] = value
                    if gaps:
                        result.file_gaps[path] = gaps
            elif kind is _HARDLINK:
                target = _link_target(header.linkname)
                if ".." in header.linkname.split("/"):
                    result.gaps.append(
                        Gap("unsafe-entry", path, f"layer {layer}: links to {header.linkname!r}")
                    )
                linked = entries.get(target)
                size = linked.size if linked is not None else 0
                entry = FileEntry(
                    path, kind, header.mode, size, layer, header.uid, header.gid, target
                )
                entries[path] = entry
                result.hardlinks.append(path)
                _hardlink_captures(result, entry, target, index, offered)
            else:
                entries[path] = FileEntry(
                    path,
                    kind,
                    header.mode,
                    0 if kind is _DIR else header.size,
                    layer,
                    header.uid,
                    header.gid,
                    header.linkname if kind is FileKind.SYMLINK else None,
                )
    if unsafe_count > _MAX_UNSAFE_GAPS:
        result.gaps.append(
            Gap(
                "unsafe-entry",
                layer,
                f"{unsafe_count - _MAX_UNSAFE_GAPS} more members pointing outside the root",
            )
        )
    return result


def _hardlink_captures(
    result: _LayerResult,
    entry: FileEntry,
    target: str,
    index: SelectorIndex,
    offered: dict[str, tuple[str, ...]],
) -> None:
    """A hard link has no data of its own: reuse its target's result or read it later."""
    matched = index.matching(entry)
    if not matched:
        return
    offered[entry.path] = tuple(s.name for s in matched)
    seen_by = offered.get(entry.link or "", ())
    for sel in matched:
        if sel.name in seen_by:  # the target went through this selector in this layer
            value = result.captures.get(sel.name, {}).get(target)
            if value is not None:
                result.captures.setdefault(sel.name, {})[entry.path] = value
        else:
            result.pending.append((sel, entry.path, target))


def _remove_under(entries: dict[str, FileEntry], keys: list[str], path: str) -> None:
    """Delete every entry strictly below ``path`` (``keys``: a sorted snapshot)."""
    prefix = path.rstrip("/") + "/"
    i = bisect.bisect_left(keys, prefix)
    while i < len(keys) and keys[i].startswith(prefix):
        entries.pop(keys[i], None)
        i += 1


def _squash(entries: dict[str, FileEntry], res: _LayerResult) -> None:
    """Apply one layer on top of the squashed ``entries``."""
    if entries and (res.opaques or res.whiteouts):
        keys = sorted(entries)
        for opaque in res.opaques:
            _remove_under(entries, keys, opaque)
        for whiteout in res.whiteouts:
            entries.pop(whiteout, None)
            _remove_under(entries, keys, whiteout)
    if entries:
        replaced = []
        get = entries.get
        for path, entry in res.entries.items():
            old = get(path)
            if old is not None and old.kind is _DIR and entry.kind is not _DIR:
                replaced.append(path)
        if replaced:
            keys = sorted(entries)
            for path in replaced:
                _remove_under(entries, keys, path)
    entries.update(res.entries)


def _run_layers(
    layers: Sequence[LayerBlob],
    selectors: Sequence[Selector],
    workdir: Path,
    options: SourceOptions,
) -> list[_LayerResult]:
    cancel = threading.Event()
    results: list[_LayerResult] = []
    pool = ThreadPoolExecutor(max_workers=max(1, options.workers), thread_name_prefix="layer")
    try:
        futures: list[Future[_LayerResult]] = [
            pool.submit(_read_layer, blob, selectors, workdir, options, cancel) for blob in layers
        ]
        for future in futures:
            try:
                results.append(future.result())
            except BaseException:
                cancel.set()
                for other in futures:
                    other.cancel()
                raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return results


def build_tree(
    layers: Sequence[LayerBlob],
    selectors: Sequence[Selector],
    workdir: Path,
    options: SourceOptions,
) -> FileTree:
    """Read ``layers`` (bottom first) in parallel and squash them into a :class:`FileTree`.

    Raises :class:`~hardhull.errors.DigestMismatchError` when a layer's content does not
    match its descriptor and :class:`~hardhull.errors.SourceError` when a layer is missing,
    truncated or not a tar.
    """
    results = _run_layers(layers, selectors, workdir, options)
    entries: dict[str, FileEntry] = {}
    for res in results:
        _squash(entries, res)
    captures: dict[str, dict[str, object]] = defaultdict(dict)
    gaps: list[Gap] = []
    pending: list[tuple[Selector, str, str]] = []
    # keep_deleted selectors: every layer's captures, deleted or replaced later or not
    keep = {s.name for s in selectors if s.keep_deleted}
    history: dict[str, list[tuple[str, str, object]]] = defaultdict(list)
    for res in results:
        layer = res.digest
        gaps.extend(res.gaps)
        for sel_name, values in res.captures.items():
            if sel_name in keep:
                history[sel_name].extend((layer, p, values[p]) for p in sorted(values))
            kept = captures[sel_name]
            for path, value in values.items():
                final = entries.get(path)
                if final is not None and final.layer == layer:
                    kept[path] = value
        for path, file_gaps in res.file_gaps.items():
            final = entries.get(path)
            if final is not None and final.layer == layer:
                gaps.extend(file_gaps)
        for sel, path, target in res.pending:
            final = entries.get(path)
            if final is not None and final.layer == layer and final.link == target:
                pending.append((sel, path, target))
        for path in res.hardlinks:
            _fix_hardlink_size(entries, path, layer)
    if pending:
        _read_pending(layers, entries, pending, captures, gaps, workdir, options)
    return FileTree(
        entries,
        captures,
        layers=tuple(blob.info for blob in layers),
        gaps=tuple(gaps),
        history={name: tuple(items) for name, items in history.items()},
    )


def _fix_hardlink_size(entries: dict[str, FileEntry], path: str, layer: str) -> None:
    entry = entries.get(path)
    if entry is None or entry.layer != layer or entry.kind is not _HARDLINK or not entry.link:
        return
    target = entries.get(entry.link)
    if target is not None and target.kind is _FILE and target.size != entry.size:
        entries[path] = replace(entry, size=target.size)


def _read_pending(
    layers: Sequence[LayerBlob],
    entries: dict[str, FileEntry],
    pending: list[tuple[Selector, str, str]],
    captures: dict[str, dict[str, object]],
    gaps: list[Gap],
    workdir: Path,
    options: SourceOptions,
) -> None:
    """Second, targeted read for hard links whose target content was not captured."""
    by_layer: dict[str, dict[str, list[tuple[Selector, FileEntry]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for sel, path, target in pending:
        target_entry = entries.get(target)
        link_entry = entries[path]
        if target_entry is None or target_entry.kind is not _FILE or target_entry.layer is None:
            gaps.append(Gap("unreadable-file", path, f"hard link to missing file {target}"))
            continue
        by_layer[target_entry.layer][target].append((sel, link_entry))
    blobs = {blob.info.digest: blob for blob in layers}
    for digest, wanted in by_layer.items():
        with open_layer(blobs[digest], options, verify=False) as tar:
            _scan_for(tar, wanted, entries, captures, gaps, workdir)


def _scan_for(
    tar: TarStream,
    wanted: dict[str, list[tuple[Selector, FileEntry]]],
    entries: dict[str, FileEntry],
    captures: dict[str, dict[str, object]],
    gaps: list[Gap],
    workdir: Path,
) -> None:
    left = len(wanted)
    while left and (header := tar.next()) is not None:
        if header.type != "0":
            continue
        path, _ = _slow_path(header.name)
        users = wanted.get(path)
        if not users:
            continue
        left -= 1
        target = entries[path]
        readable = not header.sparse and any(target.size <= s.max_size for s, _ in users)
        with tempfile.SpooledTemporaryFile(max_size=8 << 20, dir=str(workdir)) as spool:
            if readable:
                shutil.copyfileobj(tar.member_reader(), spool, 1 << 20)
            for sel, link_entry in users:
                as_file = replace(link_entry, kind=_FILE, size=target.size)
                view = io.BufferedReader(Shield(spool))
                found, file_gaps = offer_file(
                    as_file,
                    [sel],
                    view,
                    workdir,
                    sparse=header.sparse,
                )
                for sel_name, value in found:
                    captures[sel_name][link_entry.path] = value
                gaps.extend(file_gaps)
