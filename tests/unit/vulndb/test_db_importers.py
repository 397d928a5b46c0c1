"""Importers on real data subsets and on hostile input: per-record errors, never a crash."""

from __future__ import annotations

import gzip
import shutil
import zipfile
from pathlib import Path

import orjson
import pytest
import yaml
from tests.unit.vulndb.mirror import DEBIAN, GO, NODEJS, PYPA, debian_records, go_records

from hardhull.vulndb.errors import FeedError
from hardhull.vulndb.importers import ImportLog, Limits, read_path


def read_all(path: Path, log: ImportLog | None = None) -> tuple[list[str], ImportLog]:
    log = log or ImportLog()
    return [adv.id for adv in read_path(path, log)], log


def test_db_reads_pypa_yaml_directory() -> None:
    ids, log = read_all(PYPA / "accesscontrol")
    assert ids == ["PYSEC-2021-335", "PYSEC-2021-370"]
    assert log.errors == 0


def test_db_reads_go_json_and_keeps_affected_entries() -> None:
    log = ImportLog()
    (adv,) = read_path(GO / "GO-2020-0001.json", log)
    assert adv.aliases == ("CVE-2020-36567", "GHSA-6vm3-jj99-7229")
    (entry,) = adv.affected
    assert (entry.ecosystem, entry.name) == ("Go", "github.com/gin-gonic/gin")
    assert [(e.kind.value, e.value) for e in entry.ranges[0].events] == [
        ("introduced", "0"),
        ("fixed", "1.6.0"),
    ]


def test_db_reads_debian_jsonl_gz_with_urgency() -> None:
    log = ImportLog()
    advs = list(read_path(DEBIAN / "DSA.jsonl.gz", log))
    assert log.errors == 0 and len(advs) == log.records == 413
    raw = {r["id"]: r for r in debian_records(413)}
    for adv in advs:
        for entry, src in zip(adv.affected, raw[adv.id]["affected"], strict=True):
            assert entry.ecosystem == "Debian:12" and entry.purl.endswith("arch=source")
            urgency = src.get("ecosystem_specific", {}).get("urgency", "not yet assigned")
            labels = [s.score for s in entry.severity if s.type == "Debian"]
            assert labels == ([] if urgency == "not yet assigned" else [urgency])


def test_db_reads_nodejs_wg_tree(tmp_path: Path) -> None:
    for kind, names in (("npm", ("1.json", "2.json", "index.json")), ("core", ("1.json",))):
        (tmp_path / "vuln" / kind).mkdir(parents=True)
        for name in names:
            shutil.copy(NODEJS / "vuln" / kind / name, tmp_path / "vuln" / kind / name)
    log = ImportLog()
    advs = {a.id: a for a in read_path(tmp_path, log)}
    assert sorted(advs) == ["NSWG-COR-1", "NSWG-ECO-1", "NSWG-ECO-2"]  # index.json skipped
    eco1 = advs["NSWG-ECO-1"]
    assert eco1.aliases == ("CVE-2014-7205",)
    (entry,) = eco1.affected
    assert (entry.ecosystem, entry.name) == ("npm", "bassmaster")
    assert dict(entry.database_specific)["npm_vulnerable_versions"] == "<=1.5.1"
    assert eco1.severity[0].type == "CVSS_V3"
    assert advs["NSWG-COR-1"].affected[0].name == "node"


def test_db_full_nodejs_tree_translates_nearly_everything() -> None:
    advs, log = read_all(NODEJS)
    assert log.errors == 0 and len(advs) == 638
    untranslated = log.notes.get(
        "npm range not translatable exactly; kept as text (coverage note)", 0
    )
    assert untranslated <= 5


def test_db_zip_archive_and_bad_members(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for rec in go_records():
            zf.writestr(f"{rec['id']}.json", orjson.dumps(rec))
        zf.writestr("broken.json", b"{not json")
        zf.writestr("notes.txt", b"ignored")
        zf.writestr("bomb.json", b" " * (3 << 20))  # ~3 MiB of spaces, tiny compressed
    ids, log = read_all(archive, ImportLog(limits=Limits(max_record_bytes=4 << 20)))
    assert len(ids) == 5
    assert log.errors == 2
    assert any("compression ratio" in s for s in log.samples)
    assert any("broken.json" in s and "not valid JSON" in s for s in log.samples)


def test_db_zip_with_corrupt_member_is_damage(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    payload = orjson.dumps(go_records()[0])
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("GO-2020-0001.json", payload)
    data = bytearray(archive.read_bytes())
    at = data.find(b"gin-gonic")
    data[at : at + 3] = b"XXX"  # same size, wrong CRC
    archive.write_bytes(bytes(data))
    ids, log = read_all(archive)
    assert ids == [] and log.damaged == 1


def test_db_hostile_records_are_skipped_with_errors(tmp_path: Path) -> None:
    good = go_records()[0]
    unknown = dict(good, id="GO-TEST-UNKNOWN", shiny_new_field={"x": 1})
    absurd = dict(
        good,
        id="GO-TEST-ABSURD",
        affected=[
            {
                "package": {"ecosystem": "Go", "name": "x"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}] * 5000}],
            }
        ],
    )
    lines = [
        orjson.dumps(good),
        b"{this is not json",
        orjson.dumps(unknown),
        orjson.dumps(absurd),
        orjson.dumps({"id": "NO-MODIFIED"}),
        orjson.dumps(["not", "a", "record"]),
        b'{"id": "X", "modified": "2024-01-01T00:00:00Z", "affected": "nope"}',
        b'{"id": "' + b"A" * 2_000_000 + b'"}',
    ]
    path = tmp_path / "feed.jsonl.gz"
    path.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
    ids, log = read_all(path, ImportLog(limits=Limits(max_record_bytes=1 << 20)))
    assert ids == ["GO-2020-0001", "GO-TEST-UNKNOWN"]
    assert log.errors == 6
    assert log.notes["unknown field 'shiny_new_field' ignored"] == 1
    assert any("limit 1000" in s for s in log.samples)
    assert any("feed.jsonl.gz:8" in s and "longer than" in s for s in log.samples)


def test_db_yaml_list_document_and_bad_yaml(tmp_path: Path) -> None:
    docs = [yaml.safe_load(p.read_text()) for p in sorted((PYPA / "accesscontrol").glob("*"))]
    (tmp_path / "many.yaml").write_text(yaml.safe_dump(docs))
    (tmp_path / "bad.yaml").write_text("id: [unclosed\n")
    ids, log = read_all(tmp_path)
    assert ids == ["PYSEC-2021-335", "PYSEC-2021-370"]
    assert log.errors == 1 and "not valid YAML" in log.samples[0]


def test_db_unusable_inputs_raise_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match="no such file"):
        read_all(tmp_path / "missing.json")
    blob = tmp_path / "image.png"
    blob.write_bytes(b"\x89PNG")
    with pytest.raises(FeedError, match="not an advisory format"):
        read_all(blob)
    notzip = tmp_path / "all.zip"
    notzip.write_bytes(b"<html>gateway timeout</html>")
    ids, log = read_all(notzip)
    assert ids == [] and log.damaged == 1
