"""Memory growth per admission request, in-process (no HTTP), per policy file.

Builds the same 500 AdmissionReviews as ``run.py`` (each sent with a fresh uid), warms
up with ``--warmup`` requests, then measures the resident memory after ``--requests``
more and prints the growth per request for the whole set and for each policy file on its
own (the built-ins alone first). Growth that stays after warm-up is a leak: hardhull
keeps no per-request state, so it shows what the CEL binding does not release.

    .venv/bin/python bench/admission/leak.py --policies bench/admission/policies
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import uuid
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import _bodies, _config  # noqa: E402

from hardhull.admission.config import load_config  # noqa: E402
from hardhull.admission.engine import AdmissionEngine  # noqa: E402
from hardhull.admission.policies import load_admission_policies  # noqa: E402
from hardhull.admission.recycle import rss_bytes  # noqa: E402
from hardhull.admission.review import parse_review  # noqa: E402


def growth(files: list[str], bodies: list[dict[str, object]], warmup: int, n: int) -> float:
    """Bytes of resident memory gained per request with ``files`` loaded (no audit)."""
    with tempfile.TemporaryDirectory(prefix="hh-adm-leak-") as tmp_s:
        tmp = Path(tmp_s)
        config = _config(files, port=1)
        config.pop("audit_log")
        (tmp / "config.yaml").write_text(yaml.safe_dump(config))
        cfg = load_config(tmp / "config.yaml")
        policies, _ = load_admission_policies(cfg)
        engine = AdmissionEngine(policies, cfg, None)

        def run(count: int) -> None:
            for i in range(count):
                doc = bodies[i % len(bodies)]
                request = doc["request"]
                assert isinstance(request, dict)
                request["uid"] = str(uuid.uuid4())
                review = parse_review(json.dumps(doc).encode())
                engine.decide(review).response(review.uid)

        run(warmup)
        gc.collect()
        before = rss_bytes()
        run(n)
        gc.collect()
        return (rss_bytes() - before) / n


def main() -> None:
    """Print the growth per request, overall and per policy file (JSON)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--policies", default="bench/admission/policies")
    parser.add_argument("--warmup", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=10000)
    args = parser.parse_args()
    files = sorted(str(p) for p in Path(args.policies).glob("*.yaml"))
    with tempfile.TemporaryDirectory() as tmp_s:
        path = Path(tmp_s) / "bodies.jsonl"
        _bodies(path)
        bodies = [json.loads(line) for line in path.read_text().splitlines() if line]
    out: dict[str, float] = {}
    for label, subset in [
        ("all", files),
        ("builtins only", []),
        *((Path(f).name, [f]) for f in files),
    ]:
        out[label] = round(growth(subset, bodies, args.warmup, args.requests), 1)
        print(f"{label:45s} {out[label]:8.1f} bytes/request", file=sys.stderr)
    print(json.dumps({"bytes_per_request": out, "requests": args.requests}, indent=2))


if __name__ == "__main__":
    main()
