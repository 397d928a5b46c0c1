"""Falco JSON output lines become events with Falco's field names."""

from __future__ import annotations

import copy
from pathlib import Path

import orjson

from hardhull.runtime.sensor.falco_json import FalcoJsonSensor, falco_event_from_json

from .samples import FALCO_K8S, FALCO_SHADOW, FALCO_SHELL


def test_sensitive_file_alert() -> None:
    event = falco_event_from_json(copy.deepcopy(FALCO_SHADOW))
    assert (event.source, event.type) == ("syscall", "openat")
    assert event.time == 1718010764123456789
    f = event.fields
    assert f["fd.name"] == "/etc/shadow"
    assert f["proc.name"] == "cat" and f["proc.pname"] == "bash"
    assert f["proc.args"] == ("/etc/shadow",)  # derived from proc.cmdline
    assert f["proc.aname[2]"] == "containerd-shim"
    assert f["user.uid"] == 0 and f["proc.tty"] == 34816
    assert f["falco.rule"] == "Read sensitive file untrusted"
    assert f["falco.priority"] == "Warning"
    assert f["falco.hostname"] == "node-1"
    assert "mitre_credential_access" in f["falco.tags"]
    c = event.container
    assert c is not None
    assert (c.id, c.name, c.image_repository, c.image_tag) == (
        "3f2a9c1b7d0e",
        "web",
        "docker.io/library/nginx",
        "1.27",
    )
    assert c.image == "docker.io/library/nginx:1.27"
    assert c.workload == "shop/web-7d9f8c6b5-x2x7q"


def test_missing_source_na_values_and_numeric_strings() -> None:
    event = falco_event_from_json(copy.deepcopy(FALCO_SHELL))
    assert event.source == "syscall"
    assert event.type == "execve"
    assert event.time == 1718010781000000001
    assert "user.name" not in event.fields  # <NA> means absent
    assert "k8s.pod.name" not in event.fields  # null means absent
    assert event.fields["proc.args"] == ("-il",)
    assert event.container is not None and event.container.workload == "api"


def test_numeric_strings_follow_the_field_table() -> None:
    event = falco_event_from_json(copy.deepcopy(FALCO_SHELL))
    assert event.fields["proc.pid"] == 4242
    assert event.fields["proc.tty"] == 34817


def test_k8s_audit_alert_without_evt_type() -> None:
    event = falco_event_from_json(copy.deepcopy(FALCO_K8S))
    assert (event.source, event.type) == ("k8s_audit", "falco")
    assert event.container is None
    assert event.fields["ka.user.name"] == "admin"


def test_file_with_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "falco.json"
    lines = [
        orjson.dumps(FALCO_SHADOW),
        b"Tue Jun 11 09:12:44 2024: Falco initialized with configuration file /etc/falco.yaml",
        b'{"output": "no rule"}',
        orjson.dumps({**FALCO_SHELL, "time": "not a time"}),
        b"",
        orjson.dumps(FALCO_SHELL),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    sensor = FalcoJsonSensor(path)
    events = list(sensor.events())
    sensor.close()
    assert [e.fields["falco.rule"] for e in events] == [
        "Read sensitive file untrusted",
        "Terminal shell in container",
    ]
    assert (sensor.stats().received, sensor.stats().malformed) == (2, 3)


def test_rules_can_match_the_feeding_falcos_rule(tmp_path: Path) -> None:
    from hardhull.runtime.engine import Engine
    from hardhull.runtime.rules.loader import load_rules

    rules = tmp_path / "r.yaml"
    rules.write_text(
        "- rule: Escalate Falco credential reads\n"
        "  desc: re-raise a Falco alert with hardhull's response\n"
        "  condition: falco.rule = 'Read sensitive file untrusted' and falco.priority = Warning\n"
        "  output: from %falco.hostname (%falco.rule)\n"
        "  priority: CRITICAL\n"
    )
    ruleset = load_rules([rules])
    assert not ruleset.errors
    alerts = Engine(ruleset).process(falco_event_from_json(copy.deepcopy(FALCO_SHADOW)))
    assert [a.output for a in alerts] == ["from node-1 (Read sensitive file untrusted)"]
    assert not Engine(ruleset).process(falco_event_from_json(copy.deepcopy(FALCO_SHELL)))
