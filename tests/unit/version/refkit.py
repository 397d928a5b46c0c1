"""Reference tools for the version tests: dpkg, rpm and node-semver, driven in batches.

Each ``*_compare`` takes ``(a, b)`` pairs and returns the tool's -1/0/1 for each. Results
are cached per pair set under pytest's cache directory, so only the first run pays for
the processes. A missing tool fails under ``CI=true`` and skips otherwise.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import random
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest
from tests.support.imagekit import IN_CI, require
from tests.support.shared import ADVISORIES

DATA = ADVISORIES
Pair = tuple[str, str]


def _cached(cache_dir: Path, tool: str, pairs: list[Pair], run: object) -> list[int]:
    digest = hashlib.sha256(json.dumps([tool, pairs]).encode()).hexdigest()[:16]
    path = cache_dir / f"{tool}-{digest}.json"
    if path.exists():
        got: list[int] = json.loads(path.read_text())
        return got
    result: list[int] = run(pairs)  # type: ignore[operator]
    path.write_text(json.dumps(result))
    return result


def _dpkg(pairs: list[Pair]) -> list[int]:
    script = (
        'while IFS=" " read -r a b; do '
        'if dpkg --compare-versions "$a" lt "$b" 2>/dev/null; then echo -1; '
        'elif dpkg --compare-versions "$a" eq "$b" 2>/dev/null; then echo 0; '
        "else echo 1; fi; done"
    )
    text = "".join(f"{a} {b}\n" for a, b in pairs)
    out = subprocess.run(["bash", "-c", script], input=text, capture_output=True, text=True)
    return [int(x) for x in out.stdout.split()]


def dpkg_compare(cache_dir: Path, pairs: list[Pair]) -> list[int]:
    """``dpkg --compare-versions`` on each pair (two processes per pair at most)."""
    require("dpkg")
    return _cached(cache_dir, "dpkg", pairs, _dpkg)


def rpm_compare(cache_dir: Path, tmp: Path, pairs: list[Pair]) -> list[int]:
    """librpm's ``rpm.vercmp`` on each pair, in one ``rpm --eval`` process."""
    require("rpm")

    def run(ps: list[Pair]) -> list[int]:
        src = tmp / "rpm-pairs.txt"
        src.write_text("".join(f"{a} {b}\n" for a, b in ps))
        lua = (
            f'%{{lua: for l in io.lines("{src}") do '
            'local a, b = l:match("^(%S+) (%S+)$"); '
            'print(rpm.vercmp(a, b) .. "\\n") end}'
        )
        out = subprocess.run(["rpm", "--eval", lua], capture_output=True, text=True, check=True)
        return [int(x) for x in out.stdout.split()]

    return _cached(cache_dir, "rpm", pairs, run)


def node_semver(cache_dir: Path) -> Path:
    """A directory holding node-semver from npm (installed once into the cache)."""
    require("npm", "node")
    home = cache_dir / "node-semver"
    if not (home / "node_modules" / "semver" / "package.json").exists():
        home.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(home), "semver@7"],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            msg = f"npm install semver failed: {proc.stderr[-500:]}"
            if IN_CI:
                pytest.fail(msg)
            pytest.skip(msg)
    return home


def npm_compare(cache_dir: Path, tmp: Path, pairs: list[Pair]) -> list[int]:
    """node-semver's ``compare(a, b, loose)`` on each pair, in one node process."""
    home = node_semver(cache_dir)

    def run(ps: list[Pair]) -> list[int]:
        src = tmp / "npm-pairs.json"
        src.write_text(json.dumps(ps))
        js = (
            f"const s = require({json.dumps(str(home / 'node_modules' / 'semver'))});"
            f"const ps = require({json.dumps(str(src))});"
            "console.log(JSON.stringify(ps.map(([a, b]) => s.compare(a, b, true))));"
        )
        out = subprocess.run(["node", "-e", js], capture_output=True, text=True, check=True)
        got: list[int] = json.loads(out.stdout)
        return got

    return _cached(cache_dir, "npm", pairs, run)


def installed_dpkg_versions(status: Path = Path("/var/lib/dpkg/status")) -> dict[str, str]:
    """``source package -> version`` of this machine's dpkg database (binary version)."""
    out: dict[str, str] = {}
    if not status.exists():
        return out
    for stanza in status.read_text(errors="replace").split("\n\n"):
        fields = dict(re.findall(r"^([A-Za-z-]+): ?(.*)$", stanza, re.MULTILINE))
        if "Version" not in fields or "Package" not in fields:
            continue
        source = fields.get("Source", fields["Package"]).split(" (")[0].strip()
        out.setdefault(source, fields["Version"])
    return out


def debian_records() -> Iterable[dict[str, object]]:
    """Every Debian 12 OSV record of the shared data."""
    for path in sorted((DATA / "debian-osv-bookworm").glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)


def debian_fixed_versions() -> list[str]:
    """Every distinct ``fixed`` version in the Debian data."""
    seen: set[str] = set()
    for rec in debian_records():
        for aff in rec.get("affected", []):  # type: ignore[attr-defined]
            for rng in aff.get("ranges", []):
                for ev in rng.get("events", []):
                    if "fixed" in ev:
                        seen.add(ev["fixed"])
    return sorted(seen)


def sample_pairs(sorted_versions: list[str], n: int, seed: int = 3) -> list[Pair]:
    """Neighbours in hardhull's order (where mistakes show) plus random pairs."""
    rnd = random.Random(seed)
    neigh = list(itertools.pairwise(sorted_versions))
    pairs = rnd.sample(neigh, min(len(neigh), n // 2))
    while len(pairs) < n:
        a, b = rnd.choice(sorted_versions), rnd.choice(sorted_versions)
        pairs.append((a, b) if rnd.random() < 0.5 else (b, a))
    return pairs


def have(tool: str) -> bool:
    """Whether ``tool`` is on PATH."""
    return shutil.which(tool) is not None
