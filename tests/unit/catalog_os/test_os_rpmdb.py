"""The pure-Python rpm database readers, cross-checked against librpm."""

from __future__ import annotations

import io
import shutil
import sqlite3
import struct
from pathlib import Path

import pytest
from tests.support.imagekit import require
from tests.unit.catalog_os import rpmkit
from tests.unit.catalog_os.treekit import FIXTURES

from hardhull.catalog.rpmdb import RpmDbResult, RpmRecord, read_rpmdb, spool_and_read
from hardhull.catalog.rpmdb.header import RpmHeaderError, parse_header
from hardhull.model import FileEntry, FileKind
from hardhull.sources.base import ReadContext

RPM = FIXTURES / "rpm"
DATABASES = {
    "sqlite": RPM / "rpmdb.sqlite",
    "bdb": RPM / "bdb" / "Packages",
    "bdb64k": RPM / "bdb64k" / "Packages",
    "ndb": RPM / "Packages.db",
}


def qa_line(rec: RpmRecord) -> str:
    """One record in :data:`rpmkit.QUERY_FORMAT`, as ``rpm -qa --qf`` prints it."""
    epoch = "(none)" if rec.epoch is None else str(rec.epoch)
    files = "".join(f"{f}," for f in rec.files)
    fields = (rec.name, rec.version, rec.release, epoch, rec.arch, rec.license, rec.sourcerpm)
    return "|".join(str(f) for f in fields) + "|" + files


def qa_lines(result: RpmDbResult) -> list[str]:
    return sorted(qa_line(r) for r in result.records)


@pytest.mark.parametrize("kind", sorted(DATABASES))
def test_committed_fixture_matches_librpm_output(kind: str) -> None:
    result = read_rpmdb(DATABASES[kind])
    assert result.error is None and result.skipped == 0
    assert result.format == kind.removesuffix("64k")
    assert qa_lines(result) == (RPM / "librpm-qa.txt").read_text().splitlines()


@pytest.fixture(scope="session")
def fresh_dbs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Build every database afresh from spec files with rpmbuild, rpm and db5.3_load."""
    require("rpmbuild", "rpm", "db5.3_load")
    work = tmp_path_factory.mktemp("rpmkit")
    return rpmkit.build_all(work, work / "out")


@pytest.mark.parametrize(("kind", "backend"), [("sqlite", None), ("bdb", "bdb_ro")])
def test_fresh_databases_match_librpm(
    fresh_dbs: dict[str, Path], kind: str, backend: str | None, tmp_path: Path
) -> None:
    dbdir = tmp_path / "db"
    dbdir.mkdir()
    shutil.copy(fresh_dbs[kind], dbdir / fresh_dbs[kind].name)
    expected = rpmkit.rpm_query(dbdir, backend)
    assert len(expected) == 5
    assert qa_lines(read_rpmdb(fresh_dbs[kind])) == expected


def test_fresh_bdb64k_and_ndb_hold_the_same_records(fresh_dbs: dict[str, Path]) -> None:
    reference = qa_lines(read_rpmdb(fresh_dbs["sqlite"]))
    assert qa_lines(read_rpmdb(fresh_dbs["bdb64k"])) == reference
    assert qa_lines(read_rpmdb(fresh_dbs["ndb"])) == reference


def test_spool_reader_cleans_up(tmp_path: Path) -> None:
    data = DATABASES["sqlite"].read_bytes()
    entry = FileEntry("/var/lib/rpm/rpmdb.sqlite", FileKind.FILE, 0o644, len(data))
    value = spool_and_read(entry, io.BytesIO(data), ReadContext(tmp_path, 10 * len(data)))
    assert isinstance(value, RpmDbResult)
    assert len(value.records) == 5
    assert list(tmp_path.iterdir()) == []


def test_spool_reader_respects_size_limit(tmp_path: Path) -> None:
    data = DATABASES["bdb"].read_bytes()
    entry = FileEntry("/var/lib/rpm/Packages", FileKind.FILE, 0o644, len(data))
    value = spool_and_read(entry, io.BytesIO(data), ReadContext(tmp_path, 4096))
    assert isinstance(value, RpmDbResult)
    assert value.records == ()
    assert value.error is not None and "limit" in value.error
    assert list(tmp_path.iterdir()) == []


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("kind", ["bdb", "ndb", "sqlite"])
def test_truncated_databases_keep_what_was_read(kind: str, tmp_path: Path) -> None:
    data = DATABASES[kind].read_bytes()
    result = read_rpmdb(_write(tmp_path, "db", data[: len(data) * 2 // 3]))
    assert result.error
    assert len(result.records) < 5
    assert all(r.name for r in result.records)


def test_ndb_checksum_mismatch_is_reported(tmp_path: Path) -> None:
    data = bytearray(DATABASES["ndb"].read_bytes())
    # flip one byte inside the first blob's data (blobs start after the slot page)
    data[4096 + 100] ^= 0xFF
    result = read_rpmdb(_write(tmp_path, "Packages.db", bytes(data)))
    assert result.error is not None and "Adler-32" in result.error
    assert result.records == ()


def test_bdb_overflow_loop_is_detected(tmp_path: Path) -> None:
    data = bytearray(DATABASES["bdb"].read_bytes())
    pagesize = 4096
    # point every overflow page's next-page link at itself
    for pgno in range(1, len(data) // pagesize):
        base = pgno * pagesize
        if data[base + 25] == 7:
            data[base + 16 : base + 20] = struct.pack("<I", pgno)
    result = read_rpmdb(_write(tmp_path, "Packages", bytes(data)))
    assert result.error is not None and "overflow chain" in result.error


def test_garbage_and_empty_files(tmp_path: Path) -> None:
    assert read_rpmdb(_write(tmp_path, "a", b"")).error == "empty file"
    garbage = read_rpmdb(_write(tmp_path, "b", b"\x00\x01garbage" * 100))
    assert garbage.format == "unknown" and garbage.error and garbage.records == ()
    fake_meta = bytearray(4096)
    fake_meta[12:16] = struct.pack("<I", 0x061561)
    fake_meta[20:24] = struct.pack("<I", 1000)  # not a power of two
    bad = read_rpmdb(_write(tmp_path, "c", bytes(fake_meta)))
    assert bad.format == "bdb" and bad.error == "invalid page size 1000"


def test_corrupt_header_blob_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "rpmdb.sqlite"
    shutil.copy(DATABASES["sqlite"], path)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=DELETE")
    con.execute("UPDATE Packages SET blob = substr(blob, 1, 200) WHERE hnum = 1")
    con.commit()
    con.close()
    result = read_rpmdb(path)
    assert len(result.records) == 4
    assert result.skipped == 1
    assert result.error is not None and "truncated" in result.error


@pytest.mark.parametrize(
    "blob",
    [
        b"\x00\x00",
        struct.pack(">II", 0x20000, 0),
        struct.pack(">II", 1, 4) + struct.pack(">4I", 1000, 6, 0, 1) + b"abcd",  # no NUL
        struct.pack(">II", 1, 4) + struct.pack(">4I", 1000, 6, 9, 1) + b"abc\0",  # past end
        struct.pack(">II", 1, 4) + struct.pack(">4I", 1001, 6, 0, 1) + b"abc\0",  # no NAME
    ],
)
def test_bad_header_blobs_raise_header_error(blob: bytes) -> None:
    with pytest.raises(RpmHeaderError):
        parse_header(blob)
