"""Scan benchmark: the whole scan against the SBOM step alone, and matching throughput.

1. The realistic image of ``bench/sbom_vs_syft`` (same builder, cached).
2. A database imported from every record in ``../shared/data/advisories`` by the real
   importer (its build time is reported too).
3. In the same run, alternating, each run cold (page cache dropped first):
   ``hardhull sbom TARGET --format json`` and
   ``hardhull scan image TARGET --db DB --format json`` (SBOM + matching + hardening +
   report). Ratio = scan / sbom, per round; the median is the figure (target <= 1.3x).
4. Matching throughput: 10,000 packages (real names from the database, every ecosystem,
   several versions each, so most packages have advisories to evaluate) matched by a fresh
   :class:`Matcher` on a freshly opened store: packages per second.

Run: ``.venv/bin/python bench/scan/run.py [--rounds 5]`` (writes ``bench/out/scan.json``).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.debian import stderr_log  # noqa: E402
from tests.support.shared import ADVISORIES  # noqa: E402

from bench.sbom_vs_syft.images import realistic_image  # noqa: E402
from bench.sbom_vs_syft.measure import drop_page_cache, run_measured  # noqa: E402
from hardhull.match.matcher import Matcher  # noqa: E402
from hardhull.model import Location, Package, PackageType  # noqa: E402
from hardhull.vulndb.ingest import import_paths  # noqa: E402
from hardhull.vulndb.store import VulnStore  # noqa: E402

SHARED = ADVISORIES
OUT = ROOT / "bench" / "out" / "scan.json"
MB = 1024 * 1024

TYPES = {"PyPI": PackageType.PYTHON, "npm": PackageType.NPM, "Go": PackageType.GO}
VERSIONS = {
    "Debian:12": ("1.0-1", "2.36-9+deb12u4", "3.0.11-1~deb12u2"),
    "PyPI": ("0.1", "1.0.0", "2.19.1"),
    "npm": ("0.1.0", "1.0.0", "4.17.4"),
    "Go": ("0.1.0", "1.0.0", "1.19.8"),
}


def say(message: str) -> None:
    """One progress line on stderr."""
    print(message, file=sys.stderr, flush=True)


def build_db(target: Path) -> dict[str, Any]:
    """Import every shared advisory; returns records and seconds."""
    start = time.perf_counter()
    results = import_paths(target, sorted(p for p in SHARED.iterdir() if p.is_dir()), fresh=True)
    took = time.perf_counter() - start
    records = sum(r.records for r in results)
    return {"records": records, "seconds": round(took, 2), "records_per_s": round(records / took)}


def packages_for_throughput(db: Path, count: int) -> list[Package]:
    """``count`` packages named after the database's own (ecosystem, name) pairs."""
    conn = sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT DISTINCT ecosystem, name FROM affected ORDER BY ecosystem, name"
        ).fetchall()
    finally:
        conn.close()
    pairs = [(str(e), str(n)) for e, n in rows if str(e) in VERSIONS]
    out: list[Package] = []
    i = 0
    while len(out) < count:
        eco, name = pairs[i % len(pairs)]
        version = VERSIONS[eco][(i // len(pairs)) % len(VERSIONS[eco])]
        loc = (Location(f"/bench/{i}", "sha256:" + "0" * 64),)
        if eco == "Debian:12":
            pkg = Package(
                name=name,
                version=version,
                type=PackageType.DEB,
                purl=f"pkg:deb/debian/{name}@{version}?distro=debian-12",
                locations=loc,
                found_by="bench",
                source_name=name,
                source_version=version,
                distro="debian-12",
            )
        else:
            ptype = TYPES[eco]
            purl_type = {"PyPI": "pypi", "npm": "npm", "Go": "golang"}[eco]
            pkg = Package(
                name=name,
                version=version,
                type=ptype,
                purl=f"pkg:{purl_type}/{name}@{version}",
                locations=loc,
                found_by="bench",
            )
        out.append(pkg)
        i += 1
    return out


def throughput(db: Path, count: int) -> dict[str, Any]:
    """Match ``count`` packages with a fresh matcher and store (nothing cached)."""
    from hardhull.model import Distro

    packages = packages_for_throughput(db, count)
    start = time.perf_counter()
    store = VulnStore.open(db)
    try:
        enriched = any(name in ("kev", "epss") for name, _ in store.info().sources)
        matcher = Matcher(store, ecosystems=store.ecosystems(), exploitation=enriched)
        result = matcher.match(packages, Distro(id="debian", version_id="12"))
    finally:
        store.close()
    took = time.perf_counter() - start
    return {
        "packages": count,
        "seconds": round(took, 3),
        "packages_per_s": round(count / took),
        "findings": len(result.findings),
    }


def main(argv: list[str] | None = None) -> int:
    """Build inputs, measure, print the figures and write them to ``bench/out/scan.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5, help="cold sbom/scan pairs")
    parser.add_argument("--packages", type=int, default=10_000, help="throughput packages")
    args = parser.parse_args(argv)
    say(f"bench: $ {' '.join([sys.executable, *sys.argv])}")
    image = realistic_image(stderr_log())
    target = f"oci-archive:{image.archive}"
    hardhull = [sys.executable, "-m", "hardhull"]
    with tempfile.TemporaryDirectory(prefix="hardhull-bench-scan-") as tmp:
        work = Path(tmp)
        db = work / "vulndb.sqlite"
        say("bench: importing every shared advisory...")
        db_build = build_db(db)
        say(f"bench:   {db_build}")
        commands = {
            "sbom": [*hardhull, "sbom", target, "--format", "json", "-q", "-o", str(work / "s")],
            "scan": [
                *hardhull,
                "scan",
                "image",
                target,
                "--db",
                str(db),
                "--format",
                "json",
                "-q",
                "-o",
                str(work / "r"),
            ],
        }
        for name, cmd in commands.items():
            say(f"bench: {name}: $ {' '.join(cmd)}")
        runs: dict[str, list[float]] = {"sbom": [], "scan": []}
        rss: dict[str, list[int]] = {"sbom": [], "scan": []}
        note = None
        for rnd in range(args.rounds):
            order = ("sbom", "scan") if rnd % 2 == 0 else ("scan", "sbom")
            for name in order:
                note = drop_page_cache() or note
                res = run_measured(commands[name])
                if res.returncode != 0:
                    raise SystemExit(f"{name} failed ({res.returncode}): {res.stderr_tail}")
                runs[name].append(res.wall_s)
                rss[name].append(res.peak_rss_bytes)
                say(f"bench:   round {rnd + 1} {name}: {res.wall_s:.2f} s")
        report = json.loads((work / "r").read_text())
        ratios = [c / s for s, c in zip(runs["sbom"], runs["scan"], strict=True)]
        matching = throughput(db, args.packages)
    result = {
        "image": str(image.archive),
        "db_build": db_build,
        "cold_runs": args.rounds,
        "page_cache_note": note,
        "sbom_s": [round(x, 3) for x in runs["sbom"]],
        "scan_s": [round(x, 3) for x in runs["scan"]],
        "ratio_median": round(statistics.median(ratios), 3),
        "ratios": [round(r, 3) for r in ratios],
        "ratio_of_medians": round(
            statistics.median(runs["scan"]) / statistics.median(runs["sbom"]), 3
        ),
        "ratio_of_best": round(min(runs["scan"]) / min(runs["sbom"]), 3),
        "sbom_peak_rss_mb": round(max(rss["sbom"]) / MB, 1),
        "scan_peak_rss_mb": round(max(rss["scan"]) / MB, 1),
        "scan_findings": len(report["findings"]),
        "scan_packages": len(report.get("packages", []))
        or report.get("summary", {}).get("packages"),
        "matching": matching,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(
        f"scan/sbom (cold, median of {args.rounds}): {result['ratio_median']:.2f}x "
        f"(sbom {statistics.median(runs['sbom']):.2f} s, "
        f"scan {statistics.median(runs['scan']):.2f} s); "
        f"matching {matching['packages_per_s']} packages/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
