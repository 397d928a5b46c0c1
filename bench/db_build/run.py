"""Benchmark: import every advisory of ``../shared/data/advisories`` into a fresh database.

Usage (from the repository root): ``.venv/bin/python bench/db_build/run.py [--keep DB]``.
Prints records, seconds, records/s and the database size; ``--json`` for one JSON line.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.shared import ADVISORIES  # noqa: E402

SHARED = ADVISORIES
INPUTS = ("pypa-advisory-database", "golang-vulndb", "debian-osv-bookworm", "nodejs-security-wg")


def main() -> int:
    """Run the import once and report."""
    sys.path.insert(0, str(ROOT / "src"))
    from hardhull.vulndb.ingest import import_paths

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", type=Path, help="Write the database here and keep it.")
    parser.add_argument("--json", action="store_true", help="Print one JSON line.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hardhull-bench-db-") as work:
        target = args.keep or Path(work) / "vulndb.sqlite"
        start = time.perf_counter()
        results = import_paths(target, [SHARED / name for name in INPUTS], fresh=True)
        seconds = time.perf_counter() - start
        size = target.stat().st_size
    records = sum(r.records for r in results)
    errors = sum(r.errors for r in results)
    figures = {
        "records": records,
        "errors": errors,
        "seconds": round(seconds, 2),
        "records_per_second": round(records / seconds),
        "db_bytes": size,
        "per_source": {r.source: r.records for r in results},
    }
    if args.json:
        print(orjson.dumps(figures).decode())
    else:
        print(f"imported {records} records ({errors} unusable) in {seconds:.2f} s")
        print(f"{records / seconds:,.0f} records/s; database {size / 1e6:.1f} MB")
        for source, count in figures["per_source"].items():  # type: ignore[attr-defined]
            print(f"  {source}: {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
