"""``hardhull runtime replay`` end to end: real Falco rules over recorded events."""

from __future__ import annotations

import copy
from pathlib import Path

import orjson
from click.testing import CliRunner
from tests.support.shared import SHARED

from hardhull.cli.main import cli
from hardhull.model.event import ContainerInfo, Event, ProcInfo
from hardhull.runtime.sensor.replay import event_to_json

from .samples import FALCO_SHADOW, event_list, pod_create_privileged, pod_exec

RULES = SHARED / "data" / "falco-rules" / "rules"
FALCO = RULES / "falco_rules.yaml"
WEB = ContainerInfo(
    id="3f2a9c1b7d0e",
    name="web",
    image="docker.io/library/nginx:1.27",
    image_digest="sha256:" + "a1" * 32,
    pod_name="web-7d9f8c6b5-x2x7q",
    pod_namespace="shop",
)
SHIM = ProcInfo(1, "containerd-shim", "containerd-shim", "/usr/bin/containerd-shim-runc-v2")
BASH = ProcInfo(7000, "bash", "bash", "/usr/bin/bash")


def _common(name: str, exepath: str, args: tuple[str, ...], anc: tuple[ProcInfo, ...]) -> dict:
    return {
        "proc.pid": 7001,
        "proc.name": name,
        "proc.exe": name,
        "proc.exepath": exepath,
        "proc.args": args,
        "proc.ancestors": anc,
        "proc.tty": 0,
        "user.uid": 0,
        "user.name": "root",
        "evt.res": "SUCCESS",
        "container.id": WEB.id,
    }


def _events() -> list[Event]:
    shadow = _common("cat", "/usr/bin/cat", ("/etc/shadow",), (BASH, SHIM))
    shadow.update({"fd.num": 3, "fd.name": "/etc/shadow", "fd.typechar": "f"})
    shadow["evt.arg.flags"] = "O_RDONLY"
    lib = _common("nginx", "/usr/sbin/nginx", ("-g", "daemon off;"), (SHIM,))
    lib.update({"fd.num": 5, "fd.name": "/usr/lib/x86_64-linux-gnu/libc.so.6", "fd.typechar": "f"})
    lib["evt.arg.flags"] = "O_RDONLY|O_CLOEXEC"
    shell = _common("bash", "/usr/bin/bash", (), (SHIM,))
    shell.update({"proc.tty": 34816, "evt.arg.flags": ""})
    return [
        Event("syscall", "openat", 1718010764000000000, lib, WEB),
        Event("syscall", "openat", 1718010764123456789, shadow, WEB),
        Event("syscall", "execve", 1718010765000000000, shell, WEB),
    ]


def _write(tmp: Path) -> Path:
    path = tmp / "events.jsonl"
    path.write_bytes(b"".join(event_to_json(e) + b"\n" for e in _events()) + b"junk line\n")
    return path


def test_json_alerts_from_falco_rules(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["runtime", "replay", "--rules", str(FALCO), str(_write(tmp_path)), "--stats"]
    )
    assert result.exit_code == 0, result.stderr
    alerts = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert [a["rule"] for a in alerts] == [
        "Read sensitive file untrusted",
        "Terminal shell in container",
    ]
    first = alerts[0]
    assert first["priority"] == "Warning" and first["source"] == "syscall"
    assert first["time"] == "2024-06-10T09:12:44.123456789Z"
    assert "/etc/shadow" in first["output"]
    assert first["container"]["id"] == "3f2a9c1b7d0e"
    assert first["workload"] == "shop/web-7d9f8c6b5-x2x7q"
    assert "replayed 3 events (1 malformed, 0 lost), 2 alerts" in result.stderr
    assert "1  Terminal shell in container" in result.stderr


def test_table_output_file_and_fail_on(tmp_path: Path) -> None:
    out = tmp_path / "alerts.txt"
    events = _write(tmp_path)
    args = ["runtime", "replay", "-r", str(FALCO), str(events), "--format", "table", "-o", str(out)]
    ok = CliRunner().invoke(cli, [*args, "--fail-on", "error"])
    assert ok.exit_code == 0, ok.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == 2
    assert "Warning" in lines[0] and "Read sensitive file untrusted" in lines[0]
    assert "[shop/web-7d9f8c6b5-x2x7q]" in lines[0]
    failed = CliRunner().invoke(cli, [*args, "--fail-on", "warning"])
    assert failed.exit_code == 1


def test_falco_json_source(tmp_path: Path) -> None:
    # A Falco alert carries only the fields its output printed (no fd.typechar, no
    # evt.arg.flags), so rules over Falco input are written against those fields.
    rules = tmp_path / "on_falco.yaml"
    rules.write_text(
        "- rule: Shadow read reported by Falco\n"
        "  desc: a Falco alert about /etc/shadow in a container\n"
        "  condition: evt.type in (open, openat) and fd.name = /etc/shadow"
        " and container.id != host\n"
        "  output: shadow read by %proc.name in %container.name (%container.image.repository)\n"
        "  priority: CRITICAL\n"
    )
    path = tmp_path / "falco.json"
    path.write_bytes(orjson.dumps(copy.deepcopy(FALCO_SHADOW)) + b"\n" + b"not json\n")
    result = CliRunner().invoke(
        cli, ["runtime", "replay", "-r", str(rules), "--source", "falco", str(path)]
    )
    assert result.exit_code == 0, result.stderr
    (alert,) = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert alert["rule"] == "Shadow read reported by Falco"
    assert alert["output"] == "shadow read by cat in web (docker.io/library/nginx)"
    assert alert["time"] == "2024-06-10T09:12:44.123456789Z"
    assert alert["workload"] == "shop/web-7d9f8c6b5-x2x7q"
    assert "replayed 1 events (1 malformed, 0 lost), 1 alerts" in result.stderr


K8S_RULES = """
- rule: Exec into pod
  desc: kubectl exec / attach
  condition: ka.verb = create and ka.target.resource = pods and ka.target.subresource = exec
  output: exec into %ka.target.namespace/%ka.target.name by %ka.user.name (%ka.uri.param[command])
  priority: NOTICE
  source: k8s_audit
- rule: Privileged pod created
  desc: a pod with a privileged container
  condition: >
    ka.verb = create and ka.target.resource = pods and not ka.target.subresource exists
    and ka.req.pod.containers.privileged intersects (true)
  output: privileged pod %ka.target.namespace/%ka.target.name images=%ka.req.pod.containers.image
  priority: WARNING
  source: k8s_audit
"""


def test_k8s_audit_source_reads_event_lists(tmp_path: Path) -> None:
    rules = tmp_path / "k8s.yaml"
    rules.write_text(K8S_RULES)
    path = tmp_path / "audit.json"
    doc = event_list(pod_create_privileged("RequestReceived"), pod_create_privileged(), pod_exec())
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    result = CliRunner().invoke(
        cli, ["runtime", "replay", "-r", str(rules), "--source", "k8s_audit", str(path)]
    )
    assert result.exit_code == 0, result.stderr
    alerts = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert [(a["rule"], a["source"]) for a in alerts] == [
        ("Privileged pod created", "k8s_audit"),
        ("Exec into pod", "k8s_audit"),
    ]
    assert alerts[0]["output"] == "privileged pod default/priv images=(busybox:1.36)"
    assert alerts[1]["output"] == ("exec into shop/web-7d9f8c6b5-x2x7q by kubernetes-admin (sh)")
    assert "replayed 2 events (0 malformed, 0 lost), 2 alerts" in result.stderr
    assert "1 records of other stages skipped" in result.stderr


def test_bad_paths_and_rule_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(cli, ["runtime", "replay", "-r", str(FALCO), str(tmp_path / "x")])
    assert missing.exit_code == 2
    assert missing.stderr.strip().endswith("no such events file")
    assert "Traceback" not in missing.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "- rule: broken\n  desc: x\n  condition: evt.type = open and nosuch.field = 1\n"
        "  output: x\n  priority: WARNING\n"
    )
    events = _write(tmp_path)
    failed = runner.invoke(cli, ["runtime", "replay", "-r", str(FALCO), str(bad), str(events)])
    assert failed.exit_code == 2
    assert "bad.yaml:" in failed.stderr and "rule load error" in failed.stderr
    assert failed.stdout == ""
    kept = runner.invoke(
        cli, ["runtime", "replay", "-r", str(FALCO), str(bad), str(events), "--keep-going"]
    )
    assert kept.exit_code == 0
    assert len(kept.stdout.splitlines()) == 2
