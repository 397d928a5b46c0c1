"""``db update`` against a real HTTP server on 127.0.0.1 serving copies of real data laid
out like OSV's bucket, CISA's KEV feed and FIRST's EPSS file."""

from __future__ import annotations

import zipfile
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from tests.unit.vulndb.mirror import (
    SHARED,
    build_mirror,
    garbage,
    pypi_records,
    serve,
    truncated,
)

from hardhull.cli.main import cli
from hardhull.vulndb.errors import DownloadError
from hardhull.vulndb.ingest import import_paths
from hardhull.vulndb.store import VulnStore
from hardhull.vulndb.update import update

pytestmark = pytest.mark.integration

ECOS = ["PyPI", "Go", "Debian"]


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    root = tmp_path / "mirror"
    build_mirror(root)
    return root


def counts(db: Path) -> dict[str, object]:
    with VulnStore.open(db) as store:
        return {str(s["name"]): s["records"] for s in store.sources()}


def test_db_update_full_then_incremental(mirror: Path, tmp_path: Path) -> None:
    db = tmp_path / "db" / "vulndb.sqlite"
    with serve(mirror) as (url, _overrides, requests):
        first = update(db, ecosystems=ECOS, mirror=url)
        assert [(r.source, r.mode) for r in first] == [
            ("osv/PyPI", "full"), ("osv/Go", "full"), ("osv/Debian", "full"),
            ("kev", "full"), ("epss", "full"),
        ]  # fmt: skip
        assert counts(db) == {
            "epss": 7, "kev": 6, "osv/Debian": 300, "osv/Go": 5, "osv/PyPI": 131,
        }  # fmt: skip
        with VulnStore.open(db) as store:
            assert [a.id for a in store.lookup("PyPI", "AccessControl")] == [
                "PYSEC-2021-335",
                "PYSEC-2021-370",
            ]
            assert store.kev("CVE-2021-44228") and store.epss("CVE-2014-7205") is not None
            assert not store.info().stale

        # upstream changes: one record modified, one new; all.zip must not be fetched again
        pypi = mirror / "osv" / "PyPI"
        changed = orjson.loads((pypi / "PYSEC-2021-335.json").read_bytes())
        changed.update(modified="2099-01-01T00:00:00Z", summary="changed upstream")
        (pypi / "PYSEC-2021-335.json").write_bytes(orjson.dumps(changed))
        (new,) = [r for r in pypi_records(("aiohttp",)) if r["id"] == "PYSEC-2021-76"]
        new["modified"] = "2099-01-02T00:00:00Z"
        (pypi / "PYSEC-2021-76.json").write_bytes(orjson.dumps(new))
        csv = (pypi / "modified_id.csv").read_text()
        extra = "2099-01-02T00:00:00Z,PYSEC-2021-76\n2099-01-01T00:00:00Z,PYSEC-2021-335\n"
        (pypi / "modified_id.csv").write_text(extra + csv)
        (pypi / "all.zip").write_bytes(b"must not be read")
        requests.clear()

        second = update(db, ecosystems=ECOS, mirror=url)
        modes = {r.source: (r.mode, r.records) for r in second}
        assert modes["osv/PyPI"] == ("incremental", 2)
        assert modes["osv/Go"] == ("incremental", 0) and modes["osv/Debian"] == ("incremental", 0)
        assert modes["kev"][0] == modes["epss"][0] == "unchanged"
        fetched = sorted(p for p in requests if p.startswith("/osv/PyPI/"))
        assert fetched == [
            "/osv/PyPI/PYSEC-2021-335.json",
            "/osv/PyPI/PYSEC-2021-76.json",
            "/osv/PyPI/modified_id.csv",
        ]
    assert counts(db)["osv/PyPI"] == 132
    with VulnStore.open(db) as store:
        (adv,) = [a for a in store.lookup("PyPI", "accesscontrol") if a.id == "PYSEC-2021-335"]
        assert adv.summary == "changed upstream"
        assert [a.id for a in store.lookup("PyPI", "aiohttp") if a.id == "PYSEC-2021-76"]


@pytest.mark.parametrize(
    ("path", "override", "message"),
    [
        ("/osv/Go/all.zip", garbage(b"<html>503 Service Unavailable</html>"), "not a zip"),
        ("/osv/Go/all.zip", garbage(b"Not Found", status=404), "HTTP 404"),
        ("/osv/Go/all.zip", None, "without sending complete message body"),
        ("/kev/known_exploited_vulnerabilities.json", garbage(b"<html>"), "not valid JSON"),
        ("/epss/epss_scores-current.csv.gz", garbage(b"\x1f\x8b\x08garbage"), "damaged gzip"),
    ],
)
def test_db_update_failures_leave_previous_database(
    mirror: Path, tmp_path: Path, path: str, override: object, message: str
) -> None:
    db = tmp_path / "vulndb.sqlite"
    import_paths(db, [SHARED / "pypa-advisory-database" / "vulns" / "accesscontrol"])
    before = db.read_bytes()
    with serve(mirror) as (url, overrides, _requests):
        if override is None:
            override = truncated((mirror / path.lstrip("/")).read_bytes())
        overrides[path] = override  # type: ignore[assignment]
        with pytest.raises(DownloadError, match=message):
            update(db, ecosystems=ECOS, mirror=url)
    assert db.read_bytes() == before
    assert list(tmp_path.glob(".vulndb.sqlite.*")) == []
    assert counts(db) == {"local/accesscontrol": 2}


def test_db_update_corrupt_zip_member_is_refused(mirror: Path, tmp_path: Path) -> None:
    zpath = mirror / "osv" / "Go" / "all.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("GO-2020-0001.json", (mirror / "osv/Go/GO-2020-0001.json").read_bytes())
    data = bytearray(zpath.read_bytes())
    at = data.find(b"gin-gonic")
    data[at : at + 3] = b"XXX"
    zpath.write_bytes(bytes(data))
    db = tmp_path / "vulndb.sqlite"
    with serve(mirror) as (url, _o, _r), pytest.raises(DownloadError, match="damaged archive"):
        update(db, ecosystems=["Go"], mirror=url, enrich=False)
    assert not db.exists()


def test_db_update_cli_end_to_end(mirror: Path, tmp_path: Path) -> None:
    db = tmp_path / "vulndb.sqlite"
    runner = CliRunner()
    with serve(mirror) as (url, overrides, _r):
        args = ["db", "update", "--db", str(db), "--mirror", url, "-q"]
        args += ["--ecosystem", "pypi", "--ecosystem", "go"]
        result = runner.invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        assert "osv/PyPI: full, 131 records" in result.stderr
        overrides["/osv/Go/modified_id.csv"] = garbage(b"this,is,not\nright")
        result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr.startswith("hardhull: error: ") and "modified_id.csv" in result.stderr
    status = runner.invoke(cli, ["db", "status", "--db", str(db), "--format", "json"])
    assert orjson.loads(status.stdout)["records"] == 136


def test_db_import_every_shared_record(tmp_path: Path) -> None:
    db = tmp_path / "vulndb.sqlite"
    results = import_paths(
        db,
        [
            SHARED / "pypa-advisory-database",
            SHARED / "golang-vulndb",
            SHARED / "debian-osv-bookworm",
            SHARED / "nodejs-security-wg",
        ],
    )
    assert [(r.records, r.errors) for r in results] == [
        (2661, 0),
        (4291, 0),
        (31332, 0),
        (638, 0),
    ]
    with VulnStore.open(db) as store:
        assert store.info().records == 38922
        assert len(store.lookup("Debian:12", "openssl")) > 100
        assert store.lookup("Debian:12", "libssl3") == []  # binary names are not stored
