"""OSV records from JSON and YAML files, JSON Lines (optionally gzip), zip archives (OSV's
``all.zip``) and directories of any of these (walked recursively, hidden entries skipped).

Every record is size-bounded; a zip member's declared and actual sizes, its compression
ratio and the archive's total are bounded too (zip bombs), and zipfile checks each
member's CRC. A bad record is logged and skipped; the import goes on.
"""

from __future__ import annotations

import gzip
import io
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson
import yaml

from hardhull.model import Advisory
from hardhull.vulndb.importers.base import ImportLog, RecordError, read_bounded
from hardhull.vulndb.importers.osv_record import parse_osv

_JSON = (".json",)
_YAML = (".yaml", ".yml")
_JSONL = (".jsonl", ".ndjson")
_SUFFIXES = _JSON + _YAML + _JSONL + (".zip",)


def _plain_name(path: Path | str) -> str:
    name = str(path).lower()
    return name[:-3] if name.endswith(".gz") else name


def is_osv_file(path: Path | str) -> bool:
    """Whether the file name is one this importer reads (``.json``, ``.yaml``, ``.jsonl``,
    ``.ndjson``, any of them ``.gz``, or ``.zip``)."""
    return _plain_name(path).endswith(_SUFFIXES) and not str(path).lower().endswith(".zip.gz")


def _decode(data: bytes, yaml_text: bool) -> Any:
    try:
        if yaml_text:
            return yaml.load(data, Loader=yaml.CSafeLoader)
        return orjson.loads(data)
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RecordError(f"not valid {'YAML' if yaml_text else 'JSON'}: {first}") from None


class OsvImporter:
    """OSV JSON/YAML/JSON Lines files, directories and zip archives."""

    name = "osv"
    version = "1"

    def accepts(self, path: Path) -> bool:
        """Directories and files with an OSV-ish suffix."""
        return path.is_dir() or is_osv_file(path)

    def read(self, path: Path, log: ImportLog) -> Iterator[Advisory]:
        """Every usable record under ``path``."""
        if path.is_dir():
            yield from self._read_dir(path, log)
        else:
            yield from self.read_file(path, log)

    def _read_dir(self, root: Path, log: ImportLog) -> Iterator[Advisory]:
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if any(part.startswith(".") for part in rel.parts) or not path.is_file():
                continue
            if is_osv_file(path):
                yield from self.read_file(path, log)

    def read_file(self, path: Path, log: ImportLog) -> Iterator[Advisory]:
        """One file of any supported kind (chosen by its name)."""
        name = _plain_name(path)
        try:
            if str(path).lower().endswith(".zip"):
                yield from self._read_zip(path, log)
            elif name.endswith(_JSONL):
                with _open(path) as stream:
                    yield from self.read_lines(stream, str(path), log)
            else:
                with _open(path) as stream:
                    data = read_bounded(stream, log.limits.max_file_bytes)
                log.advance(len(data))
                yield from self.read_document(data, str(path), log, name.endswith(_YAML))
        except RecordError as exc:
            log.error(str(path), str(exc))
        except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
            log.damage(str(path), f"cannot read: {exc}")

    def read_document(
        self, data: bytes, where: str, log: ImportLog, yaml_text: bool = False
    ) -> Iterator[Advisory]:
        """A JSON/YAML document holding one record or a list of records."""
        doc = _decode(data, yaml_text)
        docs = doc if isinstance(doc, list) else [doc]
        for index, item in enumerate(docs):
            here = f"{where}[{index}]" if isinstance(doc, list) else where
            adv = _parse(item, here, log)
            if adv is not None:
                yield adv

    def read_lines(self, stream: IO[bytes], where: str, log: ImportLog) -> Iterator[Advisory]:
        """JSON Lines: one record per line, each bounded in size."""
        limit = log.limits.max_record_bytes
        total = 0
        lineno = 0
        while True:
            line = stream.readline(limit + 1)
            if not line:
                return
            lineno += 1
            total += len(line)
            log.advance(len(line))
            if total > log.limits.max_archive_bytes:
                raise RecordError(f"more than {log.limits.max_archive_bytes >> 30} GiB of lines")
            if len(line) > limit and not line.endswith(b"\n"):
                log.error(f"{where}:{lineno}", f"line longer than the {limit >> 20} MiB limit")
                while line and not line.endswith(b"\n"):  # skip the rest of that line
                    line = stream.readline(limit + 1)
                continue
            if not line.strip():
                continue
            try:
                doc = _decode(line, False)
            except RecordError as exc:
                log.error(f"{where}:{lineno}", str(exc))
                continue
            adv = _parse(doc, f"{where}:{lineno}", log)
            if adv is not None:
                yield adv

    def _read_zip(self, path: Path, log: ImportLog) -> Iterator[Advisory]:
        limits = log.limits
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) > limits.max_members:
                raise RecordError(f"{len(members)} members (limit {limits.max_members})")
            declared = sum(m.file_size for m in members)
            if declared > limits.max_archive_bytes:
                raise RecordError(
                    f"would unpack to {declared} bytes (limit {limits.max_archive_bytes})"
                )
            for member in members:
                where = f"{path}!{member.filename}"
                if not is_osv_file(member.filename) or member.filename.lower().endswith(".zip"):
                    log.note("zip member of unknown type skipped")
                    continue
                if member.file_size > limits.max_record_bytes:
                    log.error(where, f"declares {member.file_size} bytes (record limit)")
                    continue
                ratio = member.file_size / max(member.compress_size, 1)
                if member.file_size > 1 << 20 and ratio > limits.max_ratio:
                    log.error(where, f"compression ratio {ratio:.0f} (limit {limits.max_ratio})")
                    continue
                try:
                    with archive.open(member) as stream:
                        data = read_bounded(stream, limits.max_record_bytes)
                except RecordError as exc:
                    log.error(where, str(exc))
                    continue
                except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
                    log.damage(where, f"damaged archive member: {exc}")
                    continue
                log.advance(member.compress_size)
                name = _plain_name(member.filename)
                try:
                    if name.endswith(_JSONL):
                        yield from self.read_lines(io.BytesIO(data), where, log)
                    else:
                        yield from self.read_document(data, where, log, name.endswith(_YAML))
                except RecordError as exc:
                    log.error(where, str(exc))


def _open(path: Path) -> IO[bytes]:
    if str(path).lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _parse(doc: Any, where: str, log: ImportLog) -> Advisory | None:
    try:
        adv = parse_osv(doc, log, "")
    except RecordError as exc:
        log.error(where, str(exc))
        return None
    log.records += 1
    return adv
