"""Load generator for the admission bench (runs in its own process).

Open loop at ``--rate`` requests/s for ``--duration`` s (latency measured from each
request's scheduled start, so queueing is counted), or closed loop with ``--workers``
concurrent keep-alive connections (saturation). Prints one JSON line of results.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import time
from pathlib import Path

import httpx


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _open_loop(
    client: httpx.AsyncClient, bodies: list[bytes], rate: float, duration: float
) -> dict[str, object]:
    lat: list[float] = []
    errors = 0
    denied = 0
    tasks: set[asyncio.Task[None]] = set()

    async def one(body: bytes, scheduled: float) -> None:
        nonlocal errors, denied
        try:
            resp = await client.post(
                "/validate", content=body, headers={"content-type": "application/json"}
            )
            if resp.status_code != 200:
                errors += 1
                return
            if not resp.json()["response"]["allowed"]:
                denied += 1
        except Exception:
            errors += 1
            return
        lat.append((time.perf_counter() - scheduled) * 1000.0)

    start = time.perf_counter()
    total = int(rate * duration)
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(bodies[i % len(bodies)], scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - start
    return {
        "mode": "open", "rate": rate, "duration_s": round(wall, 2), "sent": total,
        "ok": len(lat), "errors": errors, "denied": denied,
        "achieved_rps": round(len(lat) / wall, 1),
        "p50_ms": round(_pct(lat, 0.50), 3), "p90_ms": round(_pct(lat, 0.90), 3),
        "p99_ms": round(_pct(lat, 0.99), 3), "max_ms": round(max(lat, default=0.0), 3),
    }  # fmt: skip


async def _closed_loop(
    client: httpx.AsyncClient, bodies: list[bytes], workers: int, duration: float
) -> dict[str, object]:
    lat: list[float] = []
    errors = 0
    stop = time.perf_counter() + duration

    async def worker(k: int) -> None:
        nonlocal errors
        i = k
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            try:
                resp = await client.post(
                    "/validate",
                    content=bodies[i % len(bodies)],
                    headers={"content-type": "application/json"},
                )
                if resp.status_code != 200:
                    errors += 1
            except Exception:
                errors += 1
            lat.append((time.perf_counter() - t0) * 1000.0)
            i += workers

    start = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(workers)))
    wall = time.perf_counter() - start
    return {
        "mode": "closed", "workers": workers, "duration_s": round(wall, 2), "requests": len(lat),
        "errors": errors, "rps": round(len(lat) / wall, 1),
        "p50_ms": round(_pct(lat, 0.50), 3), "p99_ms": round(_pct(lat, 0.99), 3),
    }  # fmt: skip


async def _main(args: argparse.Namespace) -> None:
    bodies = [line.encode() for line in Path(args.bodies).read_text().splitlines() if line]
    ctx = ssl.create_default_context(cafile=args.ca)
    limits = httpx.Limits(
        max_connections=args.connections, max_keepalive_connections=args.connections
    )
    async with httpx.AsyncClient(
        base_url=args.url, verify=ctx, limits=limits, timeout=10.0
    ) as client:
        for body in bodies[:50]:  # warm-up: TLS handshakes, keep-alive pool
            await client.post("/validate", content=body)
        if args.workers:
            result = await _closed_loop(client, bodies, args.workers, args.duration)
        else:
            result = await _open_loop(client, bodies, args.rate, args.duration)
    print(json.dumps(result))


def main() -> None:
    """Parse arguments and run one load phase."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--bodies", required=True)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_main(args))


if __name__ == "__main__":
    main()
