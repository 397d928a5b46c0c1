"""End to end, for real: ``hardhull runtime watch`` with the eBPF sensor watches a podman
container (runc) started from an image these tests build, while the test makes the
container spawn a shell, read ``/etc/shadow``, write below ``/usr/bin``, download and run
a binary that is not in the image, connect to an unusual port and run a package manager.

Each action must raise its rule (Falco's own rule names where Falco's rules cover it,
hardhull's drift, sequence and unusual-port rules for the rest) within 2 s of the action,
attributed to the container's id and its image digest, and the configured response
(``kill_process`` on drift, not a dry run) must kill the downloaded binary.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.support.debian import DebianImage, debian_image
from tests.support.imagekit import require
from tests.support.shared import SHARED

from hardhull.runtime.engine import DEFAULT_RULES
from hardhull.runtime.engines_base import parse_time_ns

pytestmark = pytest.mark.integration

FALCO_RULES = SHARED / "data" / "falco-rules" / "rules"
RULE_FILES = (
    FALCO_RULES / "falco_rules.yaml",
    FALCO_RULES / "falco-incubating_rules.yaml",
    FALCO_RULES / "falco-sandbox_rules.yaml",
    Path(DEFAULT_RULES),
)
DEADLINE = 2.0  # the bound from action to alert
UNUSUAL_PORT = 4444


def _hardhull() -> list[str]:
    return [sys.executable, "-m", "hardhull"]


@pytest.fixture(scope="module")
def image() -> DebianImage:
    require("mmdebstrap", "podman", "bpftrace")
    if os.geteuid() != 0:
        pytest.fail("the runtime end-to-end test needs root (eBPF)")
    busybox = Path("/bin/busybox")
    if not busybox.is_file():
        pytest.fail("needs busybox-static (/bin/busybox); run `make setup`")
    img = debian_image(
        "runtime-e2e",
        "COPY --chmod=755 busybox /usr/local/bin/busybox\n",
        files={"busybox": busybox},
    )
    exists = subprocess.run(["podman", "image", "exists", img.tag], check=False)
    if exists.returncode != 0:
        subprocess.run(
            ["podman", "load", "-q", "-i", str(img.archive)], check=True, capture_output=True
        )
    return img


@dataclass
class Container:
    name: str
    full_id: str
    image_digest: str

    @property
    def short_id(self) -> str:
        return self.full_id[:12]

    def exec(self, *argv: str, tty: bool = False, timeout: float = 60) -> int:
        cmd = ["podman", "exec", *(["-t"] if tty else []), self.name, *argv]
        done = subprocess.run(cmd, check=False, capture_output=True, timeout=timeout)
        return done.returncode


@pytest.fixture(scope="module")
def container(image: DebianImage) -> Iterator[Container]:
    name = f"hh-e2e-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        ["podman", "run", "-d", "--network", "host", "--name", name, image.tag, "sleep", "600"],
        check=True,
        capture_output=True,
    )
    try:
        info = json.loads(
            subprocess.run(
                ["podman", "inspect", name], check=True, capture_output=True, text=True
            ).stdout
        )[0]
        img = json.loads(
            subprocess.run(
                ["podman", "image", "inspect", info["Image"]],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )[0]
        yield Container(name=name, full_id=info["Id"], image_digest=img["Digest"])
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], check=False, capture_output=True)


class _Payload(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture(scope="module")
def payload_url() -> Iterator[str]:
    """A host HTTP server handing out a binary the image does not contain (a copy of
    ``sleep``, statically meaningful enough: it only has to run for a while)."""
    _Payload.body = Path(shutil.which("sleep") or "/bin/sleep").read_bytes()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Payload)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/payload"
    server.shutdown()


def _host_address() -> str:
    """This host's first non-loopback IPv4 address (loopback is not "outbound")."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.123", 9))  # no packet is sent for a UDP connect
        address = str(probe.getsockname()[0])
    except OSError:
        address = ""
    finally:
        probe.close()
    if not address or address.startswith("127."):
        pytest.fail("the end-to-end test needs a non-loopback IPv4 address on this host")
    return address


@pytest.fixture(scope="module")
def listener() -> Iterator[tuple[str, int]]:
    """Something listening on the unusual port of a non-loopback address."""
    address = _host_address()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, UNUSUAL_PORT))
    sock.listen(16)
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
                conn.close()
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield address, UNUSUAL_PORT
    stop.set()
    thread.join(timeout=2)
    sock.close()


class Watcher:
    """``hardhull runtime watch`` as a child process writing alerts as JSON lines."""

    def __init__(self, tmp: Path, container: Container) -> None:
        self.alerts_path = tmp / "alerts.jsonl"
        self.audit_path = tmp / "response-audit.jsonl"
        response = tmp / "response.yaml"
        response.write_text(
            "dry_run: false\n"
            f"audit_log: {self.audit_path}\n"
            "actions:\n"
            "  - {rule: Binary Drift Detected, action: kill_process}\n"
        )
        cmd = [
            *_hardhull(),
            "runtime",
            "watch",
            "--sensor",
            os.environ.get("HARDHULL_E2E_SENSOR", "ebpf"),
        ]
        for rules in RULE_FILES:
            cmd += ["--rules", str(rules)]
        cmd += ["--response", str(response), "--output", str(self.alerts_path)]
        cmd += ["--start-podman-service", "--stats-interval", "5"]
        self.stderr_path = tmp / "watch.stderr"
        self._stderr = self.stderr_path.open("wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self._stderr)
        self._seen = 0

    def wait_ready(self, timeout: float = 180) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                pytest.fail(f"watch exited early: {self.stderr_path.read_text()[-2000:]}")
            text = self.stderr_path.read_text()
            # ready: the sensor is attached and the running containers' images are indexed
            if "hardhull: sensor " in text and "drift: image index ready" in text:
                return
            time.sleep(0.1)
        pytest.fail(f"watch not ready after {timeout} s: {self.stderr_path.read_text()[-2000:]}")

    def alerts(self) -> list[dict[str, Any]]:
        if not self.alerts_path.exists():
            return []
        lines = self.alerts_path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def wait_for(self, rule: str, container: Container, since: float) -> dict[str, Any]:
        """The first alert of ``rule`` for ``container`` whose event happened at or after
        ``since`` (wall clock, 1 s of slack), waiting at most DEADLINE seconds from now."""
        end = time.monotonic() + DEADLINE
        while True:
            for alert in self.alerts():
                if alert.get("rule") != rule:
                    continue
                if (alert.get("container") or {}).get("id") != container.short_id:
                    continue
                if parse_time_ns(alert.get("time")) < (since - 1.0) * 1e9:
                    continue
                return alert
            if time.monotonic() >= end:
                names = sorted({a.get("rule", "") for a in self.alerts()})
                recent = [str(a.get("output", ""))[:300] for a in self.alerts()[-6:]]
                pytest.fail(
                    f"no {rule!r} alert for {container.short_id} within {DEADLINE} s; "
                    f"alerts so far: {names}; the last ones: {recent}"
                )
            time.sleep(0.05)

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._stderr.close()
        return self.stderr_path.read_text()


@pytest.fixture(scope="module")
def watcher(tmp_path_factory: pytest.TempPathFactory, container: Container) -> Iterator[Watcher]:
    w = Watcher(tmp_path_factory.mktemp("watch"), container)
    try:
        w.wait_ready()
        yield w
    finally:
        w.stop()


def _check(alert: dict[str, Any], container: Container) -> None:
    ctr = alert["container"]
    assert ctr["id"] == container.short_id
    assert ctr["image_digest"] == container.image_digest
    assert alert["source"] == "syscall"
    assert alert["priority"] and alert["output"]


def test_terminal_shell(watcher: Watcher, container: Container) -> None:
    start = time.time()
    assert container.exec("bash", "-c", "true", tty=True) == 0
    _check(watcher.wait_for("Terminal shell in container", container, start), container)


def test_read_shadow(watcher: Watcher, container: Container) -> None:
    start = time.time()
    assert container.exec("cat", "/etc/shadow") == 0
    alert = watcher.wait_for("Read sensitive file untrusted", container, start)
    _check(alert, container)
    assert "/etc/shadow" in alert["output"]


def test_write_below_usr_bin(watcher: Watcher, container: Container) -> None:
    start = time.time()
    assert container.exec("touch", "/usr/bin/hardhull-e2e-marker") == 0
    alert = watcher.wait_for("Write below binary dir", container, start)
    _check(alert, container)
    _check(
        watcher.wait_for("Write Below Binary Directory in Container", container, start), container
    )


def test_download_and_run(watcher: Watcher, container: Container, payload_url: str) -> None:
    assert (
        container.exec("/usr/local/bin/busybox", "wget", "-q", "-O", "/tmp/payload", payload_url)
        == 0
    )
    assert container.exec("chmod", "+x", "/tmp/payload") == 0
    start = time.time()
    # The response kills it: without it, it would sleep for a minute.
    code = container.exec("/tmp/payload", "60", timeout=30)
    assert time.time() - start < 30
    assert code in (137, -9), f"payload was not killed (exit {code})"
    drift = watcher.wait_for("Binary Drift Detected", container, start)
    _check(drift, container)
    assert "/tmp/payload" in drift["output"]
    _check(watcher.wait_for("Dropped Binary Executed", container, start), container)
    _check(
        watcher.wait_for("Drop and execute new binary in container", container, start), container
    )
    audit = [json.loads(line) for line in watcher.audit_path.read_text().splitlines() if line]
    kills = [a for a in audit if a.get("action") == "kill_process"]
    assert kills and kills[-1]["status"] == "taken" and kills[-1]["dry_run"] is False
    assert kills[-1]["container"]["id"] == container.short_id
    assert kills[-1]["alert"]["rule"] == "Binary Drift Detected"


def test_unusual_port(watcher: Watcher, container: Container, listener: tuple[str, int]) -> None:
    address, port = listener
    start = time.time()
    script = f"exec 3<>/dev/tcp/{address}/{port}; exec 3>&-"
    assert container.exec("bash", "-c", script) == 0
    alert = watcher.wait_for("Outbound Connection to Unusual Port from Container", container, start)
    _check(alert, container)
    assert f"dest_port={port}" in alert["output"] and address in alert["output"]


def test_package_manager(watcher: Watcher, container: Container) -> None:
    start = time.time()
    assert container.exec("dpkg", "-l", "bash") == 0
    _check(
        watcher.wait_for("Launch Package Management Process in Container", container, start),
        container,
    )
