"""The SQLite store: lookups (normalised, cut, never withdrawn), KEV/EPSS, info, bad files."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.unit.vulndb.mirror import FIXTURES, GO, GO_IDS, PYPA

from hardhull.vulndb.errors import DatabaseError
from hardhull.vulndb.ingest import import_paths
from hardhull.vulndb.store import VulnStore


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("store")
    pypi = root / "pypi"
    for pkg in ("accesscontrol", "redis", "jinja2"):
        shutil.copytree(PYPA / pkg, pypi / pkg)
    go = root / "go"
    go.mkdir()
    for ident in GO_IDS:
        shutil.copy(GO / f"{ident}.json", go)
    target = root / "vulndb.sqlite"
    import_paths(
        target, [pypi, go], kev=FIXTURES / "kev-sample.json", epss=FIXTURES / "epss-sample.csv"
    )
    return target


def test_db_lookup_normalises_pypi_names(db: Path) -> None:
    with VulnStore.open(db) as store:
        plain = [a.id for a in store.lookup("PyPI", "accesscontrol")]
        assert plain == ["PYSEC-2021-335", "PYSEC-2021-370"]
        assert [a.id for a in store.lookup("PyPI", "Access_Control")] == []
        assert [a.id for a in store.lookup("PyPI", "AccessControl")] == plain
        assert store.lookup("PyPI", "Jinja2") == store.lookup("PyPI", "jinja2") != []
        assert store.lookup("npm", "accesscontrol") == []


def test_db_lookup_never_returns_withdrawn(db: Path) -> None:
    with VulnStore.open(db) as store:
        assert "PYSEC-2023-73" not in {a.id for a in store.lookup("PyPI", "redis")}
        assert store.lookup("PyPI", "redis")
        assert store.lookup("Go", "github.com/gorilla/sessions") == []  # GO-2024-2730


def test_db_lookup_cuts_to_matching_affected_entries(db: Path) -> None:
    with VulnStore.open(db) as store:
        stdlib = store.lookup("Go", "stdlib")
        assert {a.id for a in stdlib} >= {"GO-2021-0067"}
        for adv in stdlib:
            assert adv.affected and all(e.name == "stdlib" for e in adv.affected)
        (gin,) = store.lookup("Go", "github.com/gin-gonic/gin")
        assert gin.summary.startswith("Arbitrary log line injection")
        assert gin.references and gin.aliases == ("CVE-2020-36567", "GHSA-6vm3-jj99-7229")


def test_db_kev_and_epss(db: Path) -> None:
    with VulnStore.open(db) as store:
        assert store.kev("CVE-2021-44228") and store.kev("cve-2014-6271")
        assert not store.kev("CVE-2021-32807")
        assert store.epss("CVE-2021-32807") == pytest.approx(0.0045)
        assert store.epss("CVE-1999-0001") is None


def test_db_info_counts_and_staleness(db: Path) -> None:
    with VulnStore.open(db) as store:
        info = store.info()
        counts = {str(s["name"]): s["records"] for s in store.sources()}
        assert counts == {"epss": 7, "kev": 6, "local/go": 5, "local/pypi": 10}
        assert info.records == 15  # withdrawn records are stored, just never returned
        assert {name for name, _ in info.sources} == {"epss", "kev", "local/go", "local/pypi"}
        assert not info.stale and info.warnings == ()
        later = datetime.now(UTC) + timedelta(days=30)
        old = store.info(max_age_days=7, now=later)
        assert old.stale and len(old.warnings) == 4
        assert "run 'hardhull db update'" in old.warnings[0]


def test_db_missing_corrupt_and_old_schema_files(tmp_path: Path, db: Path) -> None:
    with pytest.raises(DatabaseError, match="hardhull db update") as missing:
        VulnStore.open(tmp_path / "none.sqlite")
    assert "no vulnerability database" in str(missing.value)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseError, match="not a usable vulnerability database"):
        VulnStore.open(junk)
    old = tmp_path / "old.sqlite"
    shutil.copy(db, old)
    with sqlite3.connect(old) as conn:
        conn.execute("PRAGMA user_version = 0")
    conn.close()
    with pytest.raises(DatabaseError, match="schema 0, this hardhull needs 1"):
        VulnStore.open(old)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(DatabaseError, match="not a hardhull vulnerability database"):
        VulnStore.open(other)


def test_db_store_is_read_only(db: Path) -> None:
    with VulnStore.open(db) as store, pytest.raises(sqlite3.OperationalError):
        store._conn.execute("DELETE FROM advisories")
