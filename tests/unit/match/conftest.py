"""A small real vulnerability database for matching tests.

Real records are copied from ``../shared/data/advisories`` into a temporary folder and
imported by the real importer: Debian 12 ``DSA-5532-1`` and ``CVE-2023-5363`` (openssl,
linked by ``related``), PyPI ``requests`` records and a withdrawn ``aiohttp`` record,
Node.js WG ``lodash`` records. One synthetic OSV record has only a GIT range (none of the
shared data has one), to exercise the "not evaluable" coverage gap.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.shared import ADVISORIES

from hardhull.model import Location, Package, PackageType
from hardhull.vulndb.ingest import import_paths
from hardhull.vulndb.store import VulnStore

ROOT = Path(__file__).resolve().parents[3]
SHARED = ADVISORIES

DEBIAN_IDS = {"DSA.jsonl.gz": {"DSA-5532-1"}, "CVE-2023.jsonl.gz": {"CVE-2023-5363"}}
PYPI_FILES = (
    "requests/PYSEC-2014-13.yaml",
    "requests/PYSEC-2018-28.yaml",
    "requests/PYSEC-2023-74.yaml",
    "aiohttp/PYSEC-2022-43059.yaml",
)
# 1.json (bassmaster) too: the importer recognises a WG tree by vuln/npm/1.json.
NPM_FILES = ("1.json", "368.json", "493.json", "516.json")

GIT_ONLY = {
    "schema_version": "1.6.0",
    "id": "HHTEST-GIT-1",
    "modified": "2024-01-01T00:00:00Z",
    "summary": "synthetic record with a GIT range only",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "gitonly-demo"},
            "ranges": [
                {
                    "type": "GIT",
                    "repo": "https://example.invalid/repo",
                    "events": [{"introduced": "0"}, {"fixed": "a" * 40}],
                }
            ],
        }
    ],
}


def shared_or_skip() -> Path:
    """The shared advisories folder (fails under CI when missing)."""
    if not SHARED.is_dir():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"shared data missing: {SHARED}")
        pytest.skip(f"shared data missing: {SHARED}")
    return SHARED


def _copy_subset(dest: Path) -> list[Path]:
    src = shared_or_skip()
    debian = dest / "debian"
    debian.mkdir(parents=True)
    for name, ids in DEBIAN_IDS.items():
        with gzip.open(src / "debian-osv-bookworm" / name, "rt") as fh:
            lines = [line for line in fh if json.loads(line)["id"] in ids]
        assert len(lines) == len(ids)
        with gzip.open(debian / name, "wt") as out:
            out.writelines(lines)
    pypa = dest / "pypa"
    for rel in PYPI_FILES:
        target = pypa / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / "pypa-advisory-database" / "vulns" / rel, target)
    npm = dest / "nodejs" / "vuln" / "npm"
    npm.mkdir(parents=True)
    for name in NPM_FILES:
        shutil.copyfile(src / "nodejs-security-wg" / "vuln" / "npm" / name, npm / name)
    synthetic = dest / "synthetic"
    synthetic.mkdir()
    (synthetic / "HHTEST-GIT-1.json").write_text(json.dumps(GIT_ONLY))
    return [debian, pypa, dest / "nodejs", synthetic]


@pytest.fixture(scope="session")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a database imported from the real-record subset."""
    base = tmp_path_factory.mktemp("matchdb")
    paths = _copy_subset(base / "records")
    db = base / "small.sqlite"
    import_paths(db, paths, fresh=True)
    return db


@pytest.fixture
def store(small_db: Path) -> Iterator[VulnStore]:
    """The small database, open."""
    opened = VulnStore.open(small_db)
    try:
        yield opened
    finally:
        opened.close()


def make_pkg(
    name: str,
    version: str,
    ptype: PackageType,
    purl: str,
    *,
    source: tuple[str, str] | None = None,
    distro: str | None = None,
    metadata: tuple[tuple[str, str], ...] = (),
) -> Package:
    """A package as a cataloger would make it."""
    return Package(
        name=name,
        version=version,
        type=ptype,
        purl=purl,
        locations=(Location("/var/lib/dpkg/status", "sha256:" + "ab" * 32),),
        found_by="test",
        source_name=source[0] if source else None,
        source_version=source[1] if source else None,
        distro=distro,
        metadata=metadata,
    )
