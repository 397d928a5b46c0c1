"""Posture benchmark: 10,000 generated workloads through loader, checks and JSON report.

Workloads of realistic shape (seeded, deterministic): Deployments, StatefulSets and Pods
with 1-3 containers (sometimes an init container), probes, resources, pod and container
securityContexts in varied states (absent, partial, restricted-compliant, privileged),
hostPath volumes now and then, images by tag, by digest or ``:latest``. They are written
as one multi-document YAML stream, then timed in one process:

* load (PyYAML C loader, line tracking) of the stream,
* every registered check (PSS restricted + the others) over every object,
* the JSON report.

Figures: objects/s and CPU seconds per phase and in total, peak RSS. Goal: 10,000 objects
in under 2 s of CPU (checks, i.e. excluding YAML parsing, and the total reported).

Run: ``.venv/bin/python bench/posture/run.py [--count 10000]`` (writes
``bench/out/posture.json``).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
for extra in (ROOT / "src", ROOT):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from hardhull.posture.loader import load_bytes  # noqa: E402
from hardhull.posture.registry import default_checks, default_cluster_checks  # noqa: E402
from hardhull.posture.report import to_posture_json  # noqa: E402
from hardhull.posture.run import PostureOptions, build_report  # noqa: E402

IMAGES = ("nginx", "ghcr.io/acme/api", "quay.io/prometheus/node-exporter", "redis", "app")


def _container(rng: random.Random, i: int) -> dict[str, Any]:
    image = rng.choice(IMAGES)
    tag = rng.choice((":1.25", ":latest", "", "@sha256:" + "a" * 64, ":v2.3.1"))
    c: dict[str, Any] = {"name": f"c{i}", "image": image + tag, "ports": [{"containerPort": 8080}]}
    if rng.random() < 0.7:
        c["resources"] = {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"memory": "256Mi"} if rng.random() < 0.6 else {},
        }
    if rng.random() < 0.6:
        probe = {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10}
        c["livenessProbe"] = probe
        c["readinessProbe"] = probe
    state = rng.random()
    if state < 0.3:
        c["securityContext"] = {
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        }
    elif state < 0.5:
        c["securityContext"] = {"runAsUser": rng.choice((0, 1000)), "readOnlyRootFilesystem": False}
    elif state < 0.55:
        c["securityContext"] = {"privileged": True, "capabilities": {"add": ["NET_ADMIN"]}}
    if rng.random() < 0.2:
        c["env"] = [{"name": "DB_PASSWORD", "value": "hunter2"}, {"name": "MODE", "value": "x"}]
    return c


def _pod_spec(rng: random.Random) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [_container(rng, i) for i in range(rng.randint(1, 3))]}
    if rng.random() < 0.2:
        spec["initContainers"] = [_container(rng, 9)]
    if rng.random() < 0.4:
        spec["securityContext"] = {
            "runAsNonRoot": True,
            "seccompProfile": {"type": "RuntimeDefault"},
        }
    if rng.random() < 0.1:
        spec["hostNetwork"] = True
    if rng.random() < 0.1:
        spec["volumes"] = [{"name": "sock", "hostPath": {"path": "/var/run/docker.sock"}}]
    if rng.random() < 0.3:
        spec["serviceAccountName"] = "app"
        spec["automountServiceAccountToken"] = False
    return spec


def generate(count: int, seed: int = 4) -> bytes:
    """``count`` workloads as one multi-document YAML stream."""
    rng = random.Random(seed)
    docs: list[dict[str, Any]] = []
    for i in range(count):
        kind = rng.choice(("Deployment", "Deployment", "StatefulSet", "Pod"))
        meta = {"name": f"w{i}", "namespace": f"ns{i % 40}", "labels": {"app": f"w{i}"}}
        spec = _pod_spec(rng)
        if kind == "Pod":
            docs.append({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec})
            continue
        template = {"metadata": {"labels": {"app": f"w{i}"}}, "spec": spec}
        body = {"replicas": 2, "selector": {"matchLabels": {"app": f"w{i}"}}, "template": template}
        docs.append({"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": body})
    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump_all(docs, Dumper=dumper, sort_keys=False).encode()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    data = generate(args.count)
    checks, cluster_checks = default_checks(), default_cluster_checks()
    t0, c0 = time.perf_counter(), _cpu()
    loaded = load_bytes(data, "bench.yaml")
    t1, c1 = time.perf_counter(), _cpu()
    report = build_report(
        loaded.resources, loaded.gaps, ["bench.yaml"], PostureOptions(), checks, cluster_checks
    )
    t2, c2 = time.perf_counter(), _cpu()
    out = to_posture_json(report)
    t3, c3 = time.perf_counter(), _cpu()
    n = len(loaded.resources)
    assert n == args.count and not loaded.gaps, (n, loaded.gaps[:3])
    figures = {
        "objects": n,
        "yaml_mib": round(len(data) / 2**20, 2),
        "checks": [type(c).__name__ for c in (*checks, *cluster_checks)],
        "findings": len(report.findings),
        "load_cpu_s": round(c1 - c0, 3),
        "checks_cpu_s": round(c2 - c1, 3),
        "report_cpu_s": round(c3 - c2, 3),
        "total_cpu_s": round(c3 - c0, 3),
        "checks_objects_per_s": round(n / max(t2 - t1, 1e-9)),
        "total_objects_per_s": round(n / max(t3 - t0, 1e-9)),
        "report_mib": round(len(out) / 2**20, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "command": f".venv/bin/python bench/posture/run.py --count {args.count}",
    }
    print(json.dumps(figures, indent=2))
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "posture.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
