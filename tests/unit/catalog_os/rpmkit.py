"""Build real rpm databases for tests with Debian's rpm, rpmbuild and db5.3_load.

``python -m tests.unit.catalog_os.rpmkit`` (from the repository root) regenerates the
committed fixtures under ``tests/fixtures/catalog_os/rpm/``; the tests also build them
afresh in a session fixture when the tools are there and cross-check against librpm.

* ``rpmdb.sqlite``: rpm 4.18's default backend, written by ``rpm -i --justdb``.
* ``Packages`` (BerkeleyDB hash, 4 KiB pages, so headers spill to overflow pages) and
  ``Packages-64k`` (64 KiB pages, headers stored inline): loaded with ``db5.3_load`` from
  the same header blobs, keyed by the native-endian package number, plus the 4-byte
  "next instance" record at key 0 that real databases carry. librpm's ``bdb_ro`` backend
  reads both.
* ``Packages.db`` (NDB, SUSE's format): Debian's rpm is built without the ndb backend, so
  :func:`write_ndb` lays it out from the format of rpm's ``lib/backend/ndb/rpmpkg.c``
  (header page, slot pages, blobs with head/tail markers and Adler-32).
"""

from __future__ import annotations

import shutil
import sqlite3
import struct
import subprocess
import sys
import zlib
from pathlib import Path

QUERY_FORMAT = (
    "%{NAME}|%{VERSION}|%{RELEASE}|%{EPOCH}|%{ARCH}|%{LICENSE}|%{SOURCERPM}|[%{FILENAMES},]\\n"
)

_COMMON = """
%define debug_package %{nil}
%define __os_install_post %{nil}
%define _build_id_links none
"""

SPECS: dict[str, str] = {
    "hh-tools": _COMMON
    + """
Name: hh-tools
Version: 2.4.1
Release: 3.fc39
Epoch: 1
Summary: Hardhull test tools
License: MIT AND Apache-2.0
URL: https://example.org/hh-tools

%description
Command line tools for the hardhull rpm fixtures.

%package -n libhh
Summary: Shared library of hh-tools
License: MIT

%description -n libhh
The shared library.

%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/lib64 %{buildroot}/etc/hh
printf '#!/bin/sh\\necho hh\\n' > %{buildroot}/usr/bin/hh-tool
chmod 755 %{buildroot}/usr/bin/hh-tool
printf 'library' > %{buildroot}/usr/lib64/libhh.so.2.4.1
ln -s libhh.so.2.4.1 %{buildroot}/usr/lib64/libhh.so.2
printf 'level=1\\n' > %{buildroot}/etc/hh/hh.conf

%files
/usr/bin/hh-tool
%dir /etc/hh
%config(noreplace) /etc/hh/hh.conf

%files -n libhh
/usr/lib64/libhh.so.2
/usr/lib64/libhh.so.2.4.1
""",
    "bigpkg": _COMMON
    + """
Name: bigpkg
Version: 10.0~rc1
Release: 1.el9
Summary: Many files, so its header is larger than a BerkeleyDB page
License: GPL-2.0-or-later

%description
Lots of data files.

%install
for d in $(seq 1 12); do
  mkdir -p %{buildroot}/usr/share/bigpkg/set$d
  for f in $(seq 1 40); do
    printf "$d-$f" > %{buildroot}/usr/share/bigpkg/set$d/data-file-number-$f.txt
  done
done

%files
/usr/share/bigpkg
""",
    "noarch-data": _COMMON
    + """
Name: noarch-data
Version: 2024.1
Release: 0.2
Summary: Architecture independent data
License: CC-BY-4.0
BuildArch: noarch

%description
Data.

%install
mkdir -p %{buildroot}/usr/share/noarch-data
printf 'x' > %{buildroot}/usr/share/noarch-data/table.dat

%files
/usr/share/noarch-data/table.dat
""",
    "meta-empty": _COMMON
    + """
Name: meta-empty
Version: 1
Release: 1
Summary: A package with no files at all
License: Public Domain
BuildArch: noarch

%description
Nothing.

%files
""",
}


def _run(*cmd: str | Path) -> bytes:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {proc.stderr.decode()[-2000:]}")
    return proc.stdout


def build_rpms(work: Path) -> list[Path]:
    """``rpmbuild -bb`` every spec of :data:`SPECS`; returns the binary .rpm files."""
    top = work / "rpmbuild"
    for sub in ("SPECS", "BUILD", "BUILDROOT", "RPMS", "SOURCES", "SRPMS"):
        (top / sub).mkdir(parents=True, exist_ok=True)
    for name, text in SPECS.items():
        spec = top / "SPECS" / f"{name}.spec"
        spec.write_text(text)
        _run(
            "rpmbuild",
            "-bb",
            "--nodeps",
            "--define",
            f"_topdir {top}",
            "--define",
            "_binary_payload w2.xzdio",
            spec,
        )
    return sorted((top / "RPMS").rglob("*.rpm"))


def install_sqlite(rpms: list[Path], dbpath: Path) -> Path:
    """``rpm -i --justdb --nodeps`` into a fresh SQLite rpmdb; returns ``rpmdb.sqlite``."""
    dbpath.mkdir(parents=True, exist_ok=True)
    _run("rpm", "--dbpath", dbpath, "--initdb")
    _run("rpm", "--dbpath", dbpath, "-i", "--justdb", "--nodeps", "--noscripts", *rpms)
    return dbpath / "rpmdb.sqlite"


def header_blobs(sqlite_path: Path) -> list[tuple[int, bytes]]:
    """``(package number, header blob)`` rows of an rpm SQLite database."""
    con = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    try:
        return [(int(h), bytes(b)) for h, b in con.execute("SELECT hnum, blob FROM Packages")]
    finally:
        con.close()


def write_bdb(blobs: list[tuple[int, bytes]], dest: Path, pagesize: int = 4096) -> Path:
    """A BerkeleyDB hash ``Packages`` file via ``db5.3_load`` (key: native-endian u32)."""
    lines = [
        "VERSION=3",
        "format=bytevalue",
        "type=hash",
        f"db_pagesize={pagesize}",
        "HEADER=END",
    ]
    next_instance = max((h for h, _ in blobs), default=0) + 1
    records = [(0, struct.pack("=I", next_instance)), *blobs]
    for key, blob in records:
        lines.append(" " + struct.pack("=I", key).hex())
        lines.append(" " + blob.hex())
    lines.append("DATA=END")
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        dest.unlink()
    subprocess.run(
        ["db5.3_load", str(dest)],
        input=("\n".join(lines) + "\n").encode(),
        capture_output=True,
        check=True,
    )
    return dest


def _adler(data: bytes, value: int = 1) -> int:
    return zlib.adler32(data, value) & 0xFFFFFFFF


def write_ndb(blobs: list[tuple[int, bytes]], dest: Path) -> Path:
    """An NDB ``Packages.db`` laid out as rpm's ndb backend writes it (one slot page)."""
    page, blk = 4096, 16
    slot_npages = 1
    body = bytearray()
    slots = bytearray()
    blkoff = slot_npages * page // blk
    for pkgidx, blob in blobs:
        head = struct.pack("<4I", 0x53626C42, pkgidx, 1700000000, len(blob))
        blkcnt = (16 + len(blob) + 12 + blk - 1) // blk
        pad = blkcnt * blk - (16 + len(blob) + 12)
        adl = _adler(b"\0" * pad, _adler(blob, _adler(head)))
        tail = struct.pack("<3I", adl, len(blob), 0x45626C42)
        body += head + blob + b"\0" * pad + tail
        slots += struct.pack("<4I", 0x746F6C53, pkgidx, blkoff, blkcnt)
        blkoff += blkcnt
    free = (page - 32) // 16 - len(blobs)
    slots += struct.pack("<4I", 0x746F6C53, 0, 0, 0) * free
    next_idx = max((h for h, _ in blobs), default=0) + 1
    header = struct.pack("<5I", 0x506D7052, 0, 1, slot_npages, next_idx) + b"\0" * 12
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(header + slots + body)
    return dest


def rpm_query(dbpath: Path, backend: str | None = None) -> list[str]:
    """``rpm -qa --qf`` lines from librpm for ``dbpath`` (``backend`` e.g. ``bdb_ro``)."""
    cmd: list[str | Path] = ["rpm", "--dbpath", dbpath]
    if backend:
        cmd += ["--define", f"_db_backend {backend}"]
    cmd += ["-qa", "--qf", QUERY_FORMAT]
    return sorted(_run(*cmd).decode().splitlines())


def build_all(work: Path, out: Path) -> dict[str, Path]:
    """Every fixture database under ``out``: sqlite, bdb (4k and 64k pages), ndb."""
    rpms = build_rpms(work)
    sqlite_path = install_sqlite(rpms, work / "db-sqlite")
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(sqlite_path, out / "rpmdb.sqlite")
    blobs = header_blobs(sqlite_path)
    paths = {
        "sqlite": out / "rpmdb.sqlite",
        "bdb": write_bdb(blobs, out / "bdb" / "Packages"),
        "bdb64k": write_bdb(blobs, out / "bdb64k" / "Packages", pagesize=65536),
        "ndb": write_ndb(blobs, out / "Packages.db"),
    }
    return paths


if __name__ == "__main__":  # pragma: no cover - fixture regeneration
    import tempfile

    root = Path(__file__).resolve().parents[2] / "fixtures" / "catalog_os" / "rpm"
    with tempfile.TemporaryDirectory() as tmp:
        built = build_all(Path(tmp), root)
        query_dir = Path(tmp) / "query"
        query_dir.mkdir()
        shutil.copy(built["sqlite"], query_dir / "rpmdb.sqlite")
        (root / "librpm-qa.txt").write_text("\n".join(rpm_query(query_dir)) + "\n")
    for kind, path in built.items():
        sys.stdout.write(f"{kind}: {path} ({path.stat().st_size} bytes)\n")
