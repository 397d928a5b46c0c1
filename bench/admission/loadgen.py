"""Load generator for the admission bench (runs in its own process).

Plain ``asyncio`` streams over ``ssl`` (no HTTP client library): ``--connections``
persistent HTTPS keep-alive connections, HTTP/1.1 ``POST /validate`` requests built once
up front from the AdmissionReview bodies file, responses parsed minimally (status line,
``Content-Length``, body read fully, HTTP 200 and the request's ``uid`` echoed).

Two modes, one JSON line of results on stdout:

* open loop (default): request ``i`` is due at ``t0 + i / rate`` and goes on connection
  ``i % connections``; its latency is measured from that *scheduled* time, so a late send
  (the generator or the connection falling behind) counts against the server figures
  instead of being hidden (no coordinated omission). ``send_lag`` reports how late the
  sends themselves were.
* closed loop (``--workers N``): N connections each send their next request as soon as the
  previous answer arrives (saturation throughput); latency from the actual send.

``--procs P`` splits the open-loop rate over P child processes (each ``rate / P`` on its
own connections, one shared start time) and merges their latency samples.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

WARMUP_PER_CONNECTION = 5
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Request:
    """One precomputed HTTP/1.1 request and the uid its answer must echo."""

    raw: bytes
    uid: bytes


@dataclass
class Stats:
    """Counters and latency samples (ms) gathered by the connection tasks."""

    lat: list[float] = field(default_factory=list)
    lag: list[float] = field(default_factory=list)
    sent: int = 0
    errors: int = 0
    denied: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        """Count one failed request under ``kind``."""
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


class ResponseError(Exception):
    """An answer that is not HTTP 200 with the request's uid echoed."""


def build_requests(bodies_path: Path, host: str) -> list[Request]:
    """HTTP/1.1 ``POST /validate`` requests, one per AdmissionReview line of the file."""
    out: list[Request] = []
    for line in bodies_path.read_text().splitlines():
        if not line.strip():
            continue
        body = line.encode()
        uid = json.loads(body)["request"]["uid"]
        head = (
            f"POST /validate HTTP/1.1\r\nHost: {host}\r\n"
            "Content-Type: application/json\r\nAccept: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode("ascii")
        out.append(Request(head + body, uid.encode()))
    return out


async def read_response(reader: asyncio.StreamReader, uid: bytes) -> bool:
    """Read one response fully; return ``allowed``. Raise :class:`ResponseError`."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = lines[0].split(b" ", 2)
    length = -1
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length < 0:
        raise ResponseError("no-content-length")
    body = await reader.readexactly(length)
    if len(status) < 2 or status[1] != b"200":
        raise ResponseError(
            f"http-{status[1].decode(errors='replace') if len(status) > 1 else '?'}"
        )
    answer = json.loads(body)["response"]
    if answer.get("uid", "").encode() != uid:
        raise ResponseError("uid-mismatch")
    return bool(answer.get("allowed"))


class Connection:
    """One keep-alive HTTPS connection (reconnects after an error)."""

    def __init__(self, host: str, port: int, ctx: ssl.SSLContext) -> None:
        self.host, self.port, self.ctx = host, port, ctx
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        """Open the TCP + TLS connection."""
        self.reader, self.writer = await asyncio.open_connection(
            self.host, self.port, ssl=self.ctx, server_hostname=self.host
        )

    async def close(self) -> None:
        """Close the connection, ignoring errors."""
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError, ssl.SSLError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def exchange(self, req: Request, stats: Stats) -> bool | None:
        """Send ``req`` and read its answer; ``allowed`` or None after counting an error."""
        try:
            if self.writer is None:
                await self.connect()
            assert self.reader is not None and self.writer is not None
            self.writer.write(req.raw)
            async with asyncio.timeout(TIMEOUT_S):
                return await read_response(self.reader, req.uid)
        except ResponseError as exc:
            stats.error(str(exc))
        except TimeoutError:
            stats.error("timeout")
            await self.close()
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError, ValueError) as exc:
            stats.error(type(exc).__name__)
            await self.close()
        return None


def _pct(ordered: Sequence[float], q: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(lat: list[float]) -> dict[str, float]:
    """p50/p90/p99/p99.9/max of latency samples (ms), rounded to µs."""
    ordered = sorted(lat)
    return {
        "p50_ms": round(_pct(ordered, 0.50), 3),
        "p90_ms": round(_pct(ordered, 0.90), 3),
        "p99_ms": round(_pct(ordered, 0.99), 3),
        "p999_ms": round(_pct(ordered, 0.999), 3),
        "max_ms": round(ordered[-1] if ordered else 0.0, 3),
    }


async def _open_conns(args: argparse.Namespace, n: int) -> list[Connection]:
    url = urlsplit(args.url)
    ctx = ssl.create_default_context(cafile=args.ca)
    conns = [Connection(url.hostname or "127.0.0.1", url.port or 443, ctx) for _ in range(n)]
    await asyncio.gather(*(c.connect() for c in conns))
    return conns


async def _warmup(conns: list[Connection], reqs: list[Request]) -> int:
    scratch = Stats()
    for k in range(WARMUP_PER_CONNECTION):
        await asyncio.gather(*(c.exchange(reqs[k % len(reqs)], scratch) for c in conns))
    if scratch.errors:
        raise SystemExit(f"warm-up failed: {scratch.error_kinds}")
    return WARMUP_PER_CONNECTION * len(conns)


async def open_loop(
    conns: list[Connection],
    reqs: list[Request],
    rate: float,
    total: int,
    t0: float,
    offset: int = 0,
) -> Stats:
    """Fixed-rate schedule: request ``i`` due at ``t0 + i / rate`` on connection ``i % n``.

    ``offset`` shifts which requests (bodies) this process sends when several split the
    load. Latency is measured from the scheduled time."""
    stats = Stats()
    n = len(conns)
    clock = time.perf_counter

    async def drive(c: int) -> None:
        conn = conns[c]
        for i in range(c, total, n):
            due = t0 + i / rate
            delay = due - clock()
            if delay > 0:
                # the loop's timers have ~1 ms granularity: sleep to just before, then spin
                # through zero-length yields so the send lands on time
                if delay > 0.0015:
                    await asyncio.sleep(delay - 0.0012)
                while clock() < due:
                    await asyncio.sleep(0)
            sent_at = clock()
            stats.lag.append((sent_at - due) * 1000.0)
            stats.sent += 1
            allowed = await conn.exchange(reqs[(i + offset) % len(reqs)], stats)
            if allowed is None:
                continue
            stats.lat.append((clock() - due) * 1000.0)
            if not allowed:
                stats.denied += 1

    await asyncio.gather(*(drive(c) for c in range(n)))
    return stats


async def closed_loop(conns: list[Connection], reqs: list[Request], duration: float) -> Stats:
    """Every connection sends its next request as soon as the previous answer arrives."""
    stats = Stats()
    clock = time.perf_counter
    stop = clock() + duration
    n = len(conns)

    async def drive(c: int) -> None:
        conn = conns[c]
        i = c
        while clock() < stop:
            start = clock()
            stats.sent += 1
            allowed = await conn.exchange(reqs[i % len(reqs)], stats)
            i += n
            if allowed is None:
                continue
            stats.lat.append((clock() - start) * 1000.0)
            if not allowed:
                stats.denied += 1

    await asyncio.gather(*(drive(c) for c in range(n)))
    return stats


def _cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


async def _run(args: argparse.Namespace) -> dict[str, object]:
    url = urlsplit(args.url)
    reqs = build_requests(Path(args.bodies), url.netloc)
    n = args.workers or args.connections
    conns = await _open_conns(args, n)
    warm = await _warmup(conns, reqs)
    cpu0 = _cpu_s()
    start = time.perf_counter()
    if args.workers:
        stats = await closed_loop(conns, reqs, args.duration)
    else:
        total = int(args.rate * args.duration)
        # --start is a shared wall-clock start (several processes); map it to perf_counter
        t0 = start + max(0.0, args.start - time.time()) if args.start else start + 0.05
        stats = await open_loop(conns, reqs, args.rate, total, t0, args.offset)
        start = t0  # the schedule's start, not the wait for a shared start
    wall = time.perf_counter() - start
    cpu = _cpu_s() - cpu0
    await asyncio.gather(*(c.close() for c in conns))
    result: dict[str, object] = {
        "mode": "closed" if args.workers else "open",
        "connections": n,
        "loop": type(asyncio.get_running_loop()).__module__.split(".")[0],
        "duration_s": round(wall, 3),
        "warmup": warm,
        "sent": stats.sent,
        "answered": len(stats.lat),
        "errors": stats.errors,
        "error_kinds": stats.error_kinds,
        "denied": stats.denied,
        "achieved_rps": round(len(stats.lat) / wall, 1),
        "loadgen_cpu_s": round(cpu, 3),
    }
    if not args.workers:
        result["rate"] = args.rate
        result["send_lag_p99_ms"] = round(_pct(sorted(stats.lag), 0.99), 3)
        result["send_lag_max_ms"] = round(max(stats.lag, default=0.0), 3)
    result.update(summary(stats.lat))
    if args.samples:
        Path(args.samples).write_text(json.dumps({"lat": stats.lat, "lag": stats.lag}))
    return result


def _run_split(args: argparse.Namespace) -> dict[str, object]:
    """Open loop over ``--procs`` child processes; merge their counters and samples."""
    procs = args.procs
    start = time.time() + 2.0  # room for the children to start, connect and warm up
    with tempfile.TemporaryDirectory(prefix="hh-loadgen-") as tmp:
        children = []
        for k in range(procs):
            cmd = [sys.executable, __file__, "--url", args.url, "--ca", args.ca,
                   "--bodies", args.bodies, "--rate", str(args.rate / procs),
                   "--duration", str(args.duration), "--connections", str(args.connections),
                   "--start", repr(start), "--offset", str(k * 7919),
                   "--samples", str(Path(tmp) / f"{k}.json")]  # fmt: skip
            children.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True))
        parts = []
        lat: list[float] = []
        lag: list[float] = []
        for k, child in enumerate(children):
            out, _ = child.communicate()
            if child.returncode != 0:
                raise SystemExit(f"load generator {k} failed ({child.returncode})")
            parts.append(json.loads(out.strip().splitlines()[-1]))
            samples = json.loads((Path(tmp) / f"{k}.json").read_text())
            lat.extend(samples["lat"])
            lag.extend(samples["lag"])
    wall = max(float(p["duration_s"]) for p in parts)
    kinds: dict[str, int] = {}
    for p in parts:
        for kind, count in dict(p["error_kinds"]).items():  # type: ignore[call-overload]
            kinds[kind] = kinds.get(kind, 0) + int(count)
    result: dict[str, object] = {
        "mode": "open",
        "procs": procs,
        "connections": sum(int(p["connections"]) for p in parts),
        "loop": parts[0]["loop"],
        "duration_s": round(wall, 3),
        "warmup": sum(int(p["warmup"]) for p in parts),
        "sent": sum(int(p["sent"]) for p in parts),
        "answered": len(lat),
        "errors": sum(int(p["errors"]) for p in parts),
        "error_kinds": kinds,
        "denied": sum(int(p["denied"]) for p in parts),
        "achieved_rps": round(len(lat) / wall, 1),
        "loadgen_cpu_s": round(sum(float(p["loadgen_cpu_s"]) for p in parts), 3),
        "rate": args.rate,
        "send_lag_p99_ms": round(_pct(sorted(lag), 0.99), 3),
        "send_lag_max_ms": round(max(lag, default=0.0), 3),
    }
    result.update(summary(lat))
    return result


def main() -> None:
    """Parse arguments, run one load phase, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="https://host:port of the webhook")
    parser.add_argument("--ca", required=True, help="CA bundle that signed the server cert")
    parser.add_argument("--bodies", required=True, help="AdmissionReview JSON, one a line")
    parser.add_argument("--rate", type=float, default=500.0, help="open loop: requests/s")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--connections", type=int, default=8, help="open loop: connections")
    parser.add_argument("--workers", type=int, default=0, help="closed loop: connections")
    parser.add_argument("--procs", type=int, default=1, help="open loop: split over procs")
    parser.add_argument("--start", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--offset", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--samples", default="", help=argparse.SUPPRESS)
    parser.add_argument("--no-uvloop", action="store_true", help="use the stdlib loop")
    args = parser.parse_args()
    if args.procs > 1 and not args.workers:
        print(json.dumps(_run_split(args)))
        return
    factory = None
    if not args.no_uvloop:
        try:
            import uvloop

            factory = uvloop.new_event_loop
        except ImportError:
            pass
    with asyncio.Runner(loop_factory=factory) as runner:
        print(json.dumps(runner.run(_run(args))))


if __name__ == "__main__":
    main()
