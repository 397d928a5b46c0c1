"""End to end: `hardhull scan image` on a real image with known-vulnerable pinned packages.

The image is the cached Debian 12 root (mmdebstrap) plus one layer holding
``site-packages`` made by the real ``pip install --target`` of old PyPI releases and a
``node_modules`` made by the real ``npm install`` of old npm releases, built by podman.
The database is imported from ``../shared/data/advisories`` by the real importer.

The expected advisory ids are computed here, independently of hardhull's matcher, from
the raw data files: Debian with ``dpkg --compare-versions`` (the real tool) against the
dpkg status read from the root tarball, PyPI with ``packaging``; the npm ids are
hard-coded after reading the Node.js WG records (lodash 4.17.4: 368 ``<4.17.5`` and 493
``<4.17.11``, not 516 ``>=4.17.15 <4.17.19``; moment 2.11.1: 55 ``<2.11.2``; ms 0.7.0: 46
``<=0.7.0``; semver 4.3.1: 31 ``<4.3.2``).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
from collections.abc import Iterable
from pathlib import Path

import pytest
import yaml
from packaging.version import InvalidVersion, Version
from tests.support.debian import cache_root, debian_image
from tests.support.imagekit import IN_CI, require
from tests.support.shared import ADVISORIES

from hardhull.vulndb.ingest import import_paths

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SHARED = ADVISORIES
PYPI_PINS = ("jinja2==2.10", "urllib3==1.24.1", "requests==2.19.1")
NPM_PINS = {"lodash": "4.17.4", "moment": "2.11.1", "ms": "0.7.0", "semver": "4.3.1"}
NPM_EXPECTED = {
    ("lodash", "NSWG-ECO-368"),
    ("lodash", "NSWG-ECO-493"),
    ("moment", "NSWG-ECO-55"),
    ("ms", "NSWG-ECO-46"),
    ("semver", "NSWG-ECO-31"),
}


def _tar_dir(tar: tarfile.TarFile, folder: Path, prefix: str) -> None:
    """Add ``folder`` under ``prefix`` deterministically (sorted, fixed times and owners)."""
    for path in sorted(folder.rglob("*")):
        rel = f"{prefix}/{path.relative_to(folder).as_posix()}"
        info = tarfile.TarInfo(rel)
        info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "root", "root"
        if path.is_dir():
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        elif path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))


def _deps_tar() -> Path:
    """``site-packages`` + ``node_modules`` from the real pip and npm, as one cached tar."""
    key = hashlib.sha256(json.dumps([PYPI_PINS, NPM_PINS]).encode()).hexdigest()[:16]
    out = cache_root() / "scan-e2e" / f"deps-{key}.tar"
    if out.is_file():
        return out
    work = out.parent / f"work-{key}"
    subprocess.run(["rm", "-rf", str(work)], check=True)
    (work / "node").mkdir(parents=True)
    pip = [sys.executable, "-m", "pip", "install", "-q", "--target", str(work / "py")]
    pip += ["--no-deps", "--no-compile", "--only-binary=:all:", *PYPI_PINS]
    subprocess.run(pip, check=True)
    manifest = {"name": "e2e", "version": "1.0.0", "private": True, "dependencies": NPM_PINS}
    (work / "node" / "package.json").write_text(json.dumps(manifest))
    npm = ["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
    subprocess.run(npm, cwd=work / "node", check=True)
    partial = out.with_suffix(".partial")
    with tarfile.open(partial, "w") as tar:
        _tar_dir(tar, work / "py", "opt/app/site-packages")
        _tar_dir(tar, work / "node" / "node_modules", "opt/app/node_modules")
    partial.replace(out)
    subprocess.run(["rm", "-rf", str(work)], check=True)
    return out


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        if IN_CI:
            pytest.fail(f"shared data missing: {SHARED}")
        pytest.skip(f"shared data missing: {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def full_db(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every shared advisory imported by the real importer."""
    db = tmp_path_factory.mktemp("e2edb") / "vulndb.sqlite"
    parts = ("debian-osv-bookworm", "pypa-advisory-database", "nodejs-security-wg")
    import_paths(db, [shared_data / p for p in (*parts, "golang-vulndb")], fresh=True)
    return db


@pytest.fixture(scope="session")
def e2e_image() -> tuple[Path, Path]:
    """(OCI archive, rootfs tar) of the vulnerable image."""
    require("podman", "mmdebstrap", "npm", "dpkg")
    deps = _deps_tar()
    image = debian_image("scan-e2e", "ADD deps.tar /\n", files={"deps.tar": deps})
    return image.archive, image.rootfs


# -- the independent expectation -------------------------------------------------------


@functools.cache
def _dpkg_cmp(a: str, b: str) -> int:
    if a == b:
        return 0
    lt = subprocess.run(["dpkg", "--compare-versions", a, "lt", b], check=False).returncode
    return -1 if lt == 0 else 1


def _osv_affected(version: str, entry: dict, cmp) -> bool:  # type: ignore[type-arg, no-untyped-def]
    """The OSV schema's evaluation, written out plainly."""
    if version in entry.get("versions", []):
        return True
    for rng in entry.get("ranges", []):
        if rng["type"] != "ECOSYSTEM":
            continue
        events = [(k, v) for ev in rng["events"] for k, v in ev.items()]
        key = functools.cmp_to_key(cmp)
        events.sort(key=lambda e: (e[1] != "0", key(e[1]) if e[1] != "0" else 0))
        affected = False
        for kind, value in events:
            if value != "0" and cmp(value, version) > 0:
                break
            if kind == "introduced":
                affected = True
            elif kind == "fixed" or (kind == "last_affected" and cmp(value, version) < 0):
                affected = False
        if affected:
            return True
    return False


def _dpkg_status(rootfs: Path) -> list[dict[str, str]]:
    with tarfile.open(rootfs) as tar:
        member = next(m for m in tar if m.name.lstrip("./") == "var/lib/dpkg/status")
        handle = tar.extractfile(member)
        assert handle is not None
        text = handle.read().decode()
    out = []
    for para in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in para.splitlines():
            if line and not line[0].isspace() and ":" in line:
                k, _, v = line.partition(":")
                fields[k.strip()] = v.strip()
        if fields.get("Status", "").endswith(" installed"):
            out.append(fields)
    return out


def _expected_debian(data: Path, rootfs: Path) -> set[tuple[str, str]]:
    sources: dict[str, list[tuple[str, str]]] = {}
    for fields in _dpkg_status(rootfs):
        src, version = fields["Package"], fields["Version"]
        if fields.get("Source"):
            src, _, rest = fields["Source"].partition(" ")
            if rest.startswith("("):
                version = rest.strip("()")
        sources.setdefault(src, []).append((fields["Package"], version))
    expected = set()
    for path in sorted((data / "debian-osv-bookworm").glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as fh:
            for line in fh:
                rec = json.loads(line)
                if rec.get("withdrawn"):
                    continue
                for entry in rec["affected"]:
                    for binary, version in sources.get(entry["package"]["name"], []):
                        if _osv_affected(version, entry, _dpkg_cmp):
                            expected.add((binary, rec["id"]))
    return expected


def _pep440_cmp(a: str, b: str) -> int:
    va, vb = Version(a), Version(b)
    return (va > vb) - (va < vb)


def _expected_pypi(data: Path, installed: dict[str, str]) -> set[tuple[str, str]]:
    def norm(name: str) -> str:
        return name.lower().replace("_", "-").replace(".", "-")

    expected = set()
    for path in sorted((data / "pypa-advisory-database" / "vulns").glob("*/*.yaml")):
        if norm(path.parent.name) not in installed:
            continue
        rec = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
        if rec.get("withdrawn"):
            continue
        for entry in rec["affected"]:
            name = norm(entry["package"]["name"])
            if name in installed:
                try:
                    hit = _osv_affected(installed[name], entry, _pep440_cmp)
                except InvalidVersion:
                    continue
                if hit:
                    expected.add((name, rec["id"]))
    return expected


def _scan(archive: Path, db: Path, *extra: str) -> subprocess.CompletedProcess[bytes]:
    cmd = [sys.executable, "-m", "hardhull", "scan", "image", f"oci-archive:{archive}"]
    return subprocess.run([*cmd, "--db", str(db), "-q", *extra], capture_output=True, check=False)


def _pairs(findings: Iterable[dict], ptype: str) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {
        (f["package"]["name"].lower(), f["id"])
        for f in findings
        if f["kind"] == "vulnerability" and f["package"]["type"] == ptype
    }


def test_scan_finds_exactly_the_expected_advisories(
    e2e_image: tuple[Path, Path], full_db: Path, shared_data: Path, tmp_path: Path
) -> None:
    archive, rootfs = e2e_image
    vex_out = tmp_path / "out.vex.json"
    proc = _scan(archive, full_db, "--format", "json", "--vex-out", str(vex_out))
    assert proc.returncode == 0, proc.stderr.decode()
    report = json.loads(proc.stdout)
    findings = report["findings"]

    assert _pairs(findings, "npm") == NPM_EXPECTED

    installed = {"jinja2": "2.10", "urllib3": "1.24.1", "requests": "2.19.1"}
    expected_pypi = _expected_pypi(shared_data, installed)
    assert {n for n, _ in expected_pypi} == set(installed)  # every pin is really vulnerable
    assert _pairs(findings, "python") == expected_pypi

    expected_deb = _expected_debian(shared_data, rootfs)
    assert expected_deb, "the Debian root should have known, unfixed advisories"
    assert _pairs(findings, "deb") == {(b.lower(), i) for b, i in expected_deb}

    for f in findings:
        if f["kind"] == "vulnerability":
            assert f["severity"] and "fixed_versions" in f and "aliases" in f
    assert not [g for g in report["coverage"]["gaps"] if g["kind"] == "no-advisories"]
    vex = json.loads(vex_out.read_text())
    assert vex["@context"] == "https://openvex.dev/ns/v0.2.0"
    assert {s["status"] for s in vex["statements"]} == {"affected"}


def test_fail_on_and_suppression(
    e2e_image: tuple[Path, Path], full_db: Path, tmp_path: Path
) -> None:
    archive, _ = e2e_image
    tripped = _scan(archive, full_db, "--format", "json", "--fail-on", "medium", "--no-hardening")
    assert tripped.returncode == 1
    ignore = tmp_path / "ignore.yaml"
    ignore.write_text(
        "- id: NSWG-ECO-493\n  package: lodash\n  reason: e2e test\n  expires: 2999-01-01\n"
    )
    proc = _scan(archive, full_db, "--format", "json", "--ignore-file", str(ignore))
    assert proc.returncode == 0, proc.stderr.decode()
    by_id = {
        f["id"]: f for f in json.loads(proc.stdout)["findings"] if f["kind"] == "vulnerability"
    }
    assert by_id["NSWG-ECO-493"]["suppressed"] is not None
    assert by_id["NSWG-ECO-368"]["suppressed"] is None


def test_missing_database_is_a_clear_error(e2e_image: tuple[Path, Path], tmp_path: Path) -> None:
    archive, _ = e2e_image
    proc = _scan(archive, tmp_path / "none.sqlite")
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert err.startswith("hardhull: error: no vulnerability database at")
    assert "hardhull db update" in err and "hardhull db import" in err
