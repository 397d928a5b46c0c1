"""``hardhull db import`` and ``db status`` through the real CLI; KEV/EPSS parsing."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from tests.unit.vulndb.mirror import FIXTURES, NODEJS, PYPA

from hardhull.cli.main import cli
from hardhull.vulndb.enrich import parse_epss, parse_kev
from hardhull.vulndb.errors import FeedError


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_db_cli_import_then_status_json(tmp_path: Path) -> None:
    db = str(tmp_path / "v.sqlite")
    code, _, err = run(
        "db", "import", str(PYPA / "accesscontrol"), str(NODEJS), "--db", db,
        "--kev", str(FIXTURES / "kev-sample.json"), "--epss", str(FIXTURES / "epss-sample.csv"),
    )  # fmt: skip
    assert code == 0, err
    assert "local/accesscontrol: 2 records imported" in err
    assert "local/nodejs-security-wg: 638 records imported" in err
    code, out, _ = run("db", "status", "--db", db, "--format", "json")
    assert code == 0
    doc = orjson.loads(out)
    assert doc["records"] == 640 and doc["stale"] is False and doc["schema_version"] == 1
    assert doc["ecosystems"] == ["PyPI", "npm"]
    assert {s["name"]: s["records"] for s in doc["sources"]} == {
        "epss": 7,
        "kev": 6,
        "local/accesscontrol": 2,
        "local/nodejs-security-wg": 638,
    }
    code, out, _ = run("db", "status", "--db", db)
    assert code == 0 and "local/nodejs-security-wg" in out


def test_db_cli_status_stale_is_exit_0_with_warning(tmp_path: Path) -> None:
    db = tmp_path / "v.sqlite"
    assert run("db", "import", str(PYPA / "accesscontrol"), "--db", str(db))[0] == 0
    code, out, err = run("db", "status", "--db", str(db), "--format", "json", "--max-age", "0")
    assert code == 0
    doc = orjson.loads(out)
    assert doc["stale"] is True and doc["warnings"]
    code, _, err = run("db", "status", "--db", str(db), "--max-age", "0")
    assert code == 0 and "hardhull: warning: vulnerability data from local/accesscontrol" in err


def test_db_cli_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    code, _, err = run("db", "status", "--db", str(tmp_path / "missing.sqlite"))
    assert code == 2
    assert err.startswith("hardhull: error: ") and err.count("\n") == 1
    assert "hardhull db update" in err
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    code, _, err = run("db", "import", str(bad), "--db", str(tmp_path / "v.sqlite"))
    assert code == 2 and "no usable advisory records" in err and "Traceback" not in err
    assert not (tmp_path / "v.sqlite").exists()


def test_db_kev_sample_parses_and_bad_kev_is_refused() -> None:
    catalog = parse_kev((FIXTURES / "kev-sample.json").read_bytes(), "kev")
    assert catalog.version == "2025.02.12" and len(catalog.rows) == 6
    assert catalog.rows[0][:2] == ("CVE-2021-44228", "2021-12-10")
    with pytest.raises(FeedError, match="not valid JSON"):
        parse_kev(b"<html>", "kev")
    with pytest.raises(FeedError, match="says 3 entries but holds 0"):
        parse_kev(b'{"count": 3, "vulnerabilities": []}', "kev")
    with pytest.raises(FeedError, match="no valid 'cveID'"):
        parse_kev(b'{"vulnerabilities": [{"cveID": "nope"}]}', "kev")


def test_db_epss_sample_parses_gzip_and_bad_epss_is_refused() -> None:
    raw = (FIXTURES / "epss-sample.csv").read_bytes()
    scores = parse_epss(gzip.compress(raw), "epss")
    assert scores.model_version == "v2023.03.01" and len(scores.rows) == 7
    assert scores.score_date.startswith("2025-02-12")
    with pytest.raises(FeedError, match="not an EPSS CSV"):
        parse_epss(b"<html>oops</html>", "epss")
    with pytest.raises(FeedError, match="not an EPSS row"):
        parse_epss(b"cve,epss,percentile\nCVE-2021-1,7.5,0.1\n", "epss")
    with pytest.raises(FeedError, match="damaged gzip"):
        parse_epss(gzip.compress(raw)[:40], "epss")
