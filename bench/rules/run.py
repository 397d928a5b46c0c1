"""bench/rules: replay a recorded stream of realistic syscall events through all stable
Falco rules plus hardhull's own, and compare with only decoding the same stream.

    .venv/bin/python bench/rules/run.py                 # 1,000,000 events, 3 repeats
    .venv/bin/python bench/rules/run.py --events 200000 --repeat 1 --json

The stream is generated once, deterministically (bench/rules/gen.py), into
``~/.cache/hardhull/bench/rules/events-<N>.jsonl`` and reused. In one process:

* (a) decode: read the JSONL lines and decode them into ``Event`` objects (the replay
  reader: bounded line reader + orjson + ``EventDecoder``);
* (b) decode + engine: the same, then ``Engine.process`` for every event (no enrichment:
  the container context is in the recording);
* (c) latency: (b) again with a clock read around each event: the per-event
  decode+evaluate time distribution, for all events and for events that raised an alert.

Throughput is events per CPU second of this (single-threaded) process, i.e. per core;
each of (a) and (b) is repeated and the best and median runs reported. The machine is
shared, so wall-clock figures would be noise: only CPU time is reported.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from array import array
from pathlib import Path
from typing import Any

import orjson
import platformdirs

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen import write_stream  # noqa: E402
from tests.support.shared import SHARED  # noqa: E402

from hardhull.runtime.engine import Engine  # noqa: E402
from hardhull.runtime.jsonio import LineReader  # noqa: E402
from hardhull.runtime.rules.loader import load_rules  # noqa: E402
from hardhull.runtime.sensor.replay import EventDecoder  # noqa: E402

FALCO_RULES = Path(
    os.environ.get("HARDHULL_FALCO_RULES", SHARED / "data" / "falco-rules" / "rules")
)
HARDHULL_RULES = ROOT / "src/hardhull/runtime/data/hardhull_rules.yaml"
LOCAL_RULES = Path(__file__).resolve().parent / "local_rules.yaml"
CACHE = Path(platformdirs.user_cache_dir("hardhull", appauthor=False)) / "bench" / "rules"


def _decode_only(path: Path) -> tuple[int, float]:
    decode = EventDecoder().decode
    loads = orjson.loads
    n = 0
    with path.open("rb") as f:
        start = time.process_time()
        for line in LineReader(f):
            if line is not None:
                decode(loads(line))
                n += 1
        return n, time.process_time() - start


def _decode_engine(path: Path, ruleset: Any) -> tuple[int, float, Engine]:
    decode = EventDecoder().decode
    loads = orjson.loads
    engine = Engine(ruleset)
    process = engine.process
    n = 0
    with path.open("rb") as f:
        start = time.process_time()
        for line in LineReader(f):
            if line is not None:
                process(decode(loads(line)))
                n += 1
        return n, time.process_time() - start, engine


def _latency(path: Path, ruleset: Any) -> dict[str, float]:
    decode = EventDecoder().decode
    loads = orjson.loads
    process = Engine(ruleset).process
    clock = time.perf_counter_ns
    every = array("q")
    alerting = array("q")
    with path.open("rb") as f:
        for line in LineReader(f):
            if line is None:
                continue
            t0 = clock()
            alerts = process(decode(loads(line)))
            dt = clock() - t0
            every.append(dt)
            if alerts:
                alerting.append(dt)

    def q(values: array[int], p: float) -> float:
        if not values:
            return 0.0
        s = sorted(values)
        return s[min(len(s) - 1, int(p * len(s)))] / 1000.0

    return {
        "all_p50_us": q(every, 0.50),
        "all_p99_us": q(every, 0.99),
        "alert_events": float(len(alerting)),
        "alert_p50_us": q(alerting, 0.50),
        "alert_p99_us": q(alerting, 0.99),
        "alert_max_us": max(alerting, default=0) / 1000.0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--rules", nargs="*", type=Path, help="rule files (default: stable Falco + hardhull)"
    )
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args()

    path = args.cache / f"events-{args.events}.jsonl"
    if not path.exists():
        t = time.process_time()
        write_stream(path, args.events)
        print(
            f"generated {path} ({path.stat().st_size / 1e6:.0f} MB) in "
            f"{time.process_time() - t:.1f} s CPU",
            file=sys.stderr,
        )
    rule_files = args.rules or [FALCO_RULES / "falco_rules.yaml"] + (
        [HARDHULL_RULES, LOCAL_RULES] if HARDHULL_RULES.exists() else []
    )
    t = time.process_time()
    ruleset = load_rules(rule_files)
    load_s = time.process_time() - t
    if ruleset.errors:
        for d in ruleset.errors:
            print(f"rule load error: {d}", file=sys.stderr)
        sys.exit(2)

    gc.collect()
    decode_runs: list[float] = []
    engine_runs: list[float] = []
    engine: Engine | None = None
    n = 0
    for _ in range(args.repeat):  # interleaved so both see the same machine load
        n, cpu = _decode_only(path)
        decode_runs.append(cpu)
        n2, cpu2, engine = _decode_engine(path, ruleset)
        engine_runs.append(cpu2)
        assert n2 == n
    assert engine is not None
    lat = _latency(path, ruleset)
    stats = engine.stats()
    best_d, best_e = min(decode_runs), min(engine_runs)
    med_d, med_e = statistics.median(decode_runs), statistics.median(engine_runs)
    result = {
        "events": n,
        "rule_files": [str(p) for p in rule_files],
        "rules": len(ruleset.rules),
        "sequences": len(ruleset.sequences),
        "thresholds": len(ruleset.thresholds),
        "rule_load_cpu_s": round(load_s, 2),
        "decode_cpu_s": [round(x, 2) for x in decode_runs],
        "engine_cpu_s": [round(x, 2) for x in engine_runs],
        "decode_events_per_cpu_s_best": round(n / best_d),
        "decode_events_per_cpu_s_median": round(n / med_d),
        "engine_events_per_cpu_s_best": round(n / best_e),
        "engine_events_per_cpu_s_median": round(n / med_e),
        "ratio_engine_vs_decode_cpu_median": round(med_e / med_d, 2),
        "rules_only_us_per_event_median": round((med_e - med_d) / n * 1e6, 2),
        "alerts": stats.total_alerts,
        "alerts_per_rule": dict(sorted(stats.alerts.items(), key=lambda kv: (-kv[1], kv[0]))),
        "eval_errors": dict(stats.eval_errors),
        "latency": {k: round(v, 1) for k, v in lat.items()},
    }
    if args.json:
        print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
        return
    print(
        f"events: {n:,}  rules: {len(ruleset.rules)} (+{len(ruleset.sequences)} sequence, "
        f"+{len(ruleset.thresholds)} threshold), loaded in {load_s:.2f} s CPU"
    )
    print(
        f"(a) decode only     : {n / med_d:>10,.0f} events/s per core (median of "
        f"{args.repeat}; best {n / best_d:,.0f})"
    )
    print(
        f"(b) decode + engine : {n / med_e:>10,.0f} events/s per core (median; best "
        f"{n / best_e:,.0f})"
    )
    print(
        f"ratio (b)/(a) CPU   : {med_e / med_d:.2f}x   rules alone: "
        f"{(med_e - med_d) / n * 1e6:.2f} us/event"
    )
    print(
        f"latency event->alert (decode+evaluate, {int(lat['alert_events'])} alerting "
        f"events): p50 {lat['alert_p50_us']:.1f} us, p99 {lat['alert_p99_us']:.1f} us; "
        f"all events p50 {lat['all_p50_us']:.1f} us, p99 {lat['all_p99_us']:.1f} us"
    )
    print(f"alerts: {stats.total_alerts}")
    for rule, count in result["alerts_per_rule"].items():
        print(f"  {count:8d}  {rule}")
    if stats.eval_errors:
        print(f"evaluation errors: {dict(stats.eval_errors)}")


if __name__ == "__main__":
    main()
