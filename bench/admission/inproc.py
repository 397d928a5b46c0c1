"""In-process cost of one admission request, without HTTP/TLS (profiling aid).

Loads the same configuration as ``run.py`` (PSS restricted + allowed registries (warn)
+ digest required (audit) built-ins, plus ``--policies``), builds the same 500
AdmissionReview bodies and times, per request: parsing, ``engine.decide``, the audit
line and the response body, then each policy's ``evaluate`` on its own. Prints
microseconds per request (best of ``--repeat`` passes over the 500 bodies).

    .venv/bin/python bench/admission/inproc.py --policies bench/admission/policies
    .venv/bin/python bench/admission/inproc.py --policies ... --profile cprofile
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import _bodies, _config  # noqa: E402

from hardhull.admission.audit import AuditLog  # noqa: E402
from hardhull.admission.config import load_config  # noqa: E402
from hardhull.admission.engine import AdmissionEngine  # noqa: E402
from hardhull.admission.policies import load_admission_policies  # noqa: E402
from hardhull.admission.review import parse_review  # noqa: E402


def main() -> None:
    """Time the in-process request path and each policy; optionally profile it."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--policies", action="append", default=[])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-audit", action="store_true")
    parser.add_argument("--profile", choices=["cprofile"], default=None)
    args = parser.parse_args()
    import yaml

    with tempfile.TemporaryDirectory(prefix="hh-adm-inproc-") as tmp_s:
        tmp = Path(tmp_s)
        (tmp / "config.yaml").write_text(yaml.safe_dump(_config(args.policies, port=1)))
        cfg = load_config(tmp / "config.yaml")
        policies, _ = load_admission_policies(cfg)
        audit = None
        if not args.no_audit and cfg.audit_log is not None:
            audit = AuditLog(cfg.audit_log, max_bytes=cfg.audit_max_bytes)
        engine = AdmissionEngine(policies, cfg, audit)
        _bodies(tmp / "bodies.jsonl")
        bodies = [ln.encode() for ln in (tmp / "bodies.jsonl").read_text().splitlines() if ln]

        def one(body: bytes) -> bytes:
            t0 = time.perf_counter()
            review = parse_review(body)
            decision = engine.decide(review)
            engine.record(review, decision, "validate", time.perf_counter() - t0)
            return decision.response(review.uid)

        def best(fn: object, items: list[object]) -> float:
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                for item in items:
                    fn(item)  # type: ignore[operator]
                times.append(time.perf_counter() - t0)
            return min(times) * 1e6 / len(items)

        for b in bodies:  # warm up every cache the server would have warm
            one(b)
        if args.profile == "cprofile":
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
            for _ in range(args.repeat):
                for b in bodies:
                    one(b)
            prof.disable()
            stats = pstats.Stats(prof).sort_stats("tottime")
            stats.print_stats(40)
            return
        out: dict[str, object] = {"policies": len(policies)}
        out["request_us"] = round(best(one, bodies), 1)  # type: ignore[arg-type]
        reviews = [parse_review(b) for b in bodies]
        out["parse_us"] = round(best(parse_review, bodies), 1)  # type: ignore[arg-type]
        out["decide_us"] = round(best(engine.decide, reviews), 1)  # type: ignore[arg-type]
        # Each policy's share of a request, timed inside a decide-like loop over the
        # policies (so per-request shared work, e.g. the CEL activation, falls on the
        # first policy that needs it, as in the server); best pass per policy.
        inputs = [r.input for r in reviews]
        per = dict.fromkeys((p.name for p in policies), float("inf"))
        clock = time.perf_counter
        for _ in range(args.repeat):
            spent = dict.fromkeys(per, 0.0)
            for inp in inputs:
                for p in policies:
                    t0 = clock()
                    if p.applies_to(inp):
                        p.evaluate(inp)
                    spent[p.name] += clock() - t0
            for name, s in spent.items():
                per[name] = min(per[name], s * 1e6 / len(inputs))
        per = {k: round(v, 1) for k, v in per.items()}
        out["policy_us_sum"] = round(sum(per.values()), 1)
        out["policy_us"] = dict(sorted(per.items(), key=lambda kv: -kv[1]))
        print(json.dumps(out, indent=2))
        if audit is not None:
            audit.close()


if __name__ == "__main__":
    main()
