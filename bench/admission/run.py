"""Admission webhook benchmark.

Starts ``hardhull admission serve`` (PSS restricted + allowed registries (warn) + digest
required (audit) built-ins, plus every policy under ``--policies`` when the policy loader
is available) over HTTPS on 127.0.0.1, then drives it from a separate load-generator
process (``loadgen.py``: plain asyncio streams + ssl, ``--connections`` HTTPS keep-alive
connections) with AdmissionReviews of realistic Deployments (about 1 in 5 violates PSS
restricted):

1. open loop at ``--rate`` requests/s for ``--duration`` s, latency from each request's
   scheduled send time: p50/p90/p99/max, errors (``--procs`` splits it over processes);
2. closed loop with ``--workers`` connections for ``--sat-duration`` s: saturation rps;
3. the server's memory (proportional set size of supervisor + workers, peak sampled
   every 0.2 s) and CPU per request.

On a machine with two or more cores the server is pinned to core 0 and the load
generator to core 1. Usage::

    .venv/bin/python bench/admission/run.py [--rate 500 --duration 60] [--policies DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.unit.admission.adm_support import (  # noqa: E402
    container,
    deployment,
    privileged,
    review,
    write_tls,
)


def _bodies(path: Path, n: int = 500) -> None:
    lines = []
    for i in range(n):
        images = [container("app", f"ghcr.io/acme/app-{i % 17}:1.{i % 9}.0")]
        if i % 3 == 0:
            images.append(container("sidecar", "ghcr.io/acme/proxy@sha256:" + "b" * 64))
        obj = deployment(f"svc-{i}", f"team-{i % 12}", containers=images)
        if i % 5 == 0:
            obj = privileged(obj)
        lines.append(json.dumps(review(obj)))
    path.write_text("\n".join(lines) + "\n")


def _config(policies: list[str], port: int) -> dict[str, object]:
    """The benchmark's admission config (no TLS): every builtin on, plus ``policies``."""
    return {
        "listen": {"address": "127.0.0.1", "port": port},
        "builtin": {
            "pss": "restricted",
            "allowed_registries": ["ghcr.io/acme"],
            "require_digest": True,
        },
        "modes": {"allowed-registries": "warn", "require-image-digest": "audit"},
        "policies": [str(Path(p).resolve()) for p in policies],
        "audit_log": {"path": "audit.jsonl", "max_bytes": 50 * 1024 * 1024},
        "budget_ms": 200,
    }


def _pin(cpu: int, enabled: bool = True) -> list[str]:
    if (
        enabled
        and (os.cpu_count() or 1) >= 2
        and subprocess.run(["which", "taskset"], capture_output=True).returncode == 0
    ):
        return ["taskset", "-c", str(cpu)]
    return []


def main() -> None:
    """Run the benchmark and print the figures (JSON) and the commands used."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--connections", type=int, default=8, help="open-loop connections")
    parser.add_argument("--procs", type=int, default=1, help="open-loop generator processes")
    parser.add_argument("--workers", type=int, default=8, help="saturation connections")
    parser.add_argument("--sat-duration", type=float, default=15.0)
    parser.add_argument("--policies", action="append", default=[])
    parser.add_argument("--no-pin", action="store_true", help="do not pin to cores 0/1")
    parser.add_argument(
        "--server-workers",
        type=int,
        default=1,
        help="admission serve --workers N; with N > 1 the server is not pinned (its workers "
        "may use every core) and the generator stays on core 1",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hh-adm-bench-") as tmp_s:
        tmp = Path(tmp_s)
        ca, _, _ = write_tls(tmp)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        config = _config(args.policies, port)
        config["tls"] = {"cert": "tls.crt", "key": "tls.key"}
        (tmp / "config.yaml").write_text(yaml.safe_dump(config))
        bodies = tmp / "bodies.jsonl"
        _bodies(bodies)
        pin = not args.no_pin
        server_pin = _pin(0, pin and args.server_workers == 1)
        server_cmd = [*server_pin, sys.executable, "-m", "hardhull", "admission", "serve",
                      "--config", str(tmp / "config.yaml"), "--log-level", "warning",
                      "--workers", str(args.server_workers)]  # fmt: skip
        print("server:", shlex.join(server_cmd), file=sys.stderr)
        server = subprocess.Popen(server_cmd, stderr=subprocess.PIPE, text=True)
        peak = [0]
        done = threading.Event()
        try:
            url = f"https://127.0.0.1:{port}"
            verify = ssl.create_default_context(cafile=str(ca))
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{url}/readyz", verify=verify).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(
                        f"server failed: {server.stderr.read() if server.stderr else ''}"
                    )
                time.sleep(0.1)
            proc = psutil.Process(server.pid)
            target = proc.children()[0] if proc.name() == "taskset" and proc.children() else proc

            def procs() -> list[psutil.Process]:
                return [target, *target.children(recursive=True)]

            def rss() -> int:
                # Proportional set size: the supervisor and its workers share the compiled policies
                # copy-on-write, so summing their RSS would count those pages twice.
                return sum(p.memory_full_info().pss for p in procs())

            def cpu_s() -> float:
                return sum(sum(p.cpu_times()[:2]) for p in procs())

            def sample() -> None:
                while not done.is_set():
                    peak[0] = max(peak[0], rss())
                    time.sleep(0.2)

            threading.Thread(target=sample, daemon=True).start()
            rss_idle = rss()
            base = [*_pin(1, pin), sys.executable, str(Path(__file__).with_name("loadgen.py")),
                    "--url", url, "--ca", str(ca), "--bodies", str(bodies)]  # fmt: skip
            results = {}
            for label, extra in (
                (
                    "sustained",
                    [
                        "--rate",
                        str(args.rate),
                        "--duration",
                        str(args.duration),
                        "--connections",
                        str(args.connections),
                        "--procs",
                        str(args.procs),
                    ],
                ),
                (
                    "saturation",
                    ["--workers", str(args.workers), "--duration", str(args.sat_duration)],
                ),
            ):
                cmd = [*base, *extra]
                print(f"{label}:", shlex.join(cmd), file=sys.stderr)
                cpu0 = cpu_s()
                out = subprocess.run(cmd, capture_output=True, text=True, check=True)
                cpu = cpu_s() - cpu0
                res = json.loads(out.stdout.strip().splitlines()[-1])
                n = int(res["sent"]) + int(res["warmup"])
                res["server_cpu_ms_per_request"] = round(cpu * 1000.0 / max(n, 1), 3)
                results[label] = res
            metrics = httpx.get(f"{url}/metrics", verify=verify).text
            done.set()
            results["server"] = {
                "policies_builtin": 3,
                "server_workers": args.server_workers,
                "policy_paths": args.policies,
                "pss_idle_mb": round(rss_idle / 2**20, 1),
                "pss_peak_mb": round(peak[0] / 2**20, 1),
                "failures": [x for x in metrics.splitlines() if "failures_total" in x],
                "cpus": os.cpu_count(),
                "load_average_at_end": os.getloadavg(),
            }
            print(json.dumps(results, indent=2))
        finally:
            done.set()
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
