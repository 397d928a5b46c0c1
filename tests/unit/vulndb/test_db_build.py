"""Build-and-swap: failures and kill -9 leave the previous database intact and usable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.unit.vulndb.mirror import DEBIAN, PYPA, ROOT

from hardhull.vulndb.build import Builder
from hardhull.vulndb.errors import DatabaseError, FeedError
from hardhull.vulndb.ingest import import_paths
from hardhull.vulndb.store import VulnStore


@pytest.fixture
def old_db(tmp_path: Path) -> Path:
    target = tmp_path / "vulndb.sqlite"
    import_paths(target, [PYPA / "accesscontrol"])
    return target


def temps(target: Path) -> list[Path]:
    return sorted(target.parent.glob(f".{target.name}.*.tmp"))


def snapshot(target: Path) -> list[str]:
    with VulnStore.open(target) as store:
        return [a.id for a in store.lookup("PyPI", "accesscontrol")]


def test_db_failed_import_keeps_previous_database(old_db: Path, tmp_path: Path) -> None:
    before = old_db.read_bytes()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.json").write_text("{broken")
    with pytest.raises(FeedError, match="no usable advisory records"):
        import_paths(old_db, [PYPA / "jinja2", bad])
    assert old_db.read_bytes() == before
    assert temps(old_db) == []
    assert snapshot(old_db) == ["PYSEC-2021-335", "PYSEC-2021-370"]


def test_db_import_replaces_its_source_and_keeps_others(old_db: Path) -> None:
    import_paths(old_db, [PYPA / "jinja2"])
    with VulnStore.open(old_db) as store:
        assert store.lookup("PyPI", "jinja2") and store.lookup("PyPI", "accesscontrol")
    import_paths(old_db, [PYPA / "jinja2"], fresh=True)
    with VulnStore.open(old_db) as store:
        assert store.lookup("PyPI", "jinja2") and not store.lookup("PyPI", "accesscontrol")


def test_db_open_store_survives_a_swap(old_db: Path) -> None:
    with VulnStore.open(old_db) as store:
        import_paths(old_db, [PYPA / "jinja2"], fresh=True)
        assert [a.id for a in store.lookup("PyPI", "accesscontrol")]  # still the old inode
    assert snapshot(old_db) == []


def test_db_second_writer_is_refused(old_db: Path) -> None:
    with Builder(old_db), pytest.raises(DatabaseError, match="another hardhull db"):
        Builder(old_db).__enter__()


def test_db_kill_9_mid_import_leaves_previous_database(old_db: Path) -> None:
    before = old_db.read_bytes()
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "hardhull", "db", "import", str(DEBIAN), "--db", str(old_db), "-q"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while proc.poll() is None:  # wait until the new file is being filled
            found = temps(old_db)
            if found and found[0].stat().st_size > 4 << 20:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the import finished before it could be killed"
    assert old_db.read_bytes() == before
    assert snapshot(old_db) == ["PYSEC-2021-335", "PYSEC-2021-370"]
    assert temps(old_db), "the killed build leaves its temporary file behind"
    import_paths(old_db, [PYPA / "jinja2"])  # the next build removes it
    assert temps(old_db) == []
    assert snapshot(old_db) == ["PYSEC-2021-335", "PYSEC-2021-370"]


def test_db_damaged_target_is_rebuilt_from_scratch(tmp_path: Path) -> None:
    target = tmp_path / "vulndb.sqlite"
    target.write_bytes(b"garbage" * 1000)
    import_paths(target, [PYPA / "accesscontrol"])
    assert snapshot(target) == ["PYSEC-2021-335", "PYSEC-2021-370"]
