"""Test helpers: real advisory subsets, OSV-bucket-shaped mirrors, a loopback HTTP server.

The mirror lays files out like the real sources: ``osv/<Ecosystem>/all.zip``,
``osv/<Ecosystem>/modified_id.csv``, ``osv/<Ecosystem>/<ID>.json``,
``kev/known_exploited_vulnerabilities.json`` and ``epss/epss_scores-current.csv.gz``.
"""

from __future__ import annotations

import gzip
import http.server
import shutil
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import yaml
from tests.support.shared import ADVISORIES

ROOT = Path(__file__).resolve().parents[3]
SHARED = ADVISORIES
FIXTURES = ROOT / "tests" / "fixtures" / "vulndb"
PYPA = SHARED / "pypa-advisory-database" / "vulns"
GO = SHARED / "golang-vulndb" / "data" / "osv"
DEBIAN = SHARED / "debian-osv-bookworm"
NODEJS = SHARED / "nodejs-security-wg"

#: A few real PyPI packages (withdrawn PYSEC-2023-73 is in ``redis``).
PYPI_PACKAGES = ("accesscontrol", "redis", "zope", "jinja2", "django")
#: Real Go records: a normal one, a withdrawn one, and stdlib ones.
GO_IDS = ("GO-2020-0001", "GO-2024-2730", "GO-2021-0067", "GO-2021-0069", "GO-2021-0113")


def pypi_records(packages: tuple[str, ...] = PYPI_PACKAGES) -> list[dict[str, Any]]:
    """Real PyPA records (YAML parsed) of ``packages``."""
    as_json = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z  # unquoted YAML timestamps -> RFC 3339
    return [
        orjson.loads(
            orjson.dumps(yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader), option=as_json)
        )
        for pkg in packages
        for path in sorted((PYPA / pkg).glob("*.yaml"))
    ]


def go_records(ids: tuple[str, ...] = GO_IDS) -> list[dict[str, Any]]:
    """Real Go vulndb records."""
    return [orjson.loads((GO / f"{i}.json").read_bytes()) for i in ids]


def debian_records(limit: int = 300, name: str = "DSA.jsonl.gz") -> list[dict[str, Any]]:
    """The first ``limit`` real Debian 12 records of one of the shared files."""
    out = []
    with gzip.open(DEBIAN / name) as stream:
        for line in stream:
            out.append(orjson.loads(line))
            if len(out) >= limit:
                break
    return out


def write_export(folder: Path, records: list[dict[str, Any]]) -> None:
    """An OSV bucket folder: ``all.zip``, ``modified_id.csv`` (newest first), ``<ID>.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / "all.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for rec in records:
            archive.writestr(f"{rec['id']}.json", orjson.dumps(rec))
    for rec in records:
        (folder / f"{rec['id']}.json").write_bytes(orjson.dumps(rec))
    rows = sorted(((r["modified"], r["id"]) for r in records), reverse=True)
    (folder / "modified_id.csv").write_text("".join(f"{t},{i}\n" for t, i in rows))


def build_mirror(root: Path, *, debian_limit: int = 300) -> dict[str, list[dict[str, Any]]]:
    """A mirror with PyPI, Go and Debian subsets plus the KEV and EPSS samples."""
    exports = {
        "PyPI": pypi_records(),
        "Go": go_records(),
        "Debian": debian_records(debian_limit),
    }
    for eco, records in exports.items():
        write_export(root / "osv" / eco, records)
    (root / "kev").mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "kev-sample.json", root / "kev" / "known_exploited_vulnerabilities.json")
    (root / "epss").mkdir(parents=True, exist_ok=True)
    (root / "epss" / "epss_scores-current.csv.gz").write_bytes(
        gzip.compress((FIXTURES / "epss-sample.csv").read_bytes())
    )
    return exports


Override = Callable[[http.server.BaseHTTPRequestHandler], None]


class _Handler(http.server.SimpleHTTPRequestHandler):
    overrides: dict[str, Override]
    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        override = self.overrides.get(self.path)
        if override is not None:
            override(self)
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        return None


@contextmanager
def serve(root: Path) -> Iterator[tuple[str, dict[str, Override], list[str]]]:
    """Serve ``root`` on 127.0.0.1; yields (base URL, path overrides, request log)."""
    overrides: dict[str, Override] = {}
    requests: list[str] = []
    handler = type("Handler", (_Handler,), {"overrides": overrides, "requests": requests})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(handler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", overrides, requests
    finally:
        server.shutdown()
        server.server_close()


def truncated(body: bytes) -> Override:
    """An override that promises ``len(body)`` bytes and sends half, then hangs up."""

    def send(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body[: len(body) // 2])
        handler.wfile.flush()
        handler.close_connection = True

    return send


def garbage(body: bytes, status: int = 200) -> Override:
    """An override that serves ``body`` with ``status``."""

    def send(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return send
