"""The response configuration: parsing, positioned errors, matching and protection."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from hardhull.errors import ResponseError
from hardhull.model.event import Alert, ContainerInfo, Event, Priority
from hardhull.runtime.response import REFUSED_HOST, Responder, load_response_config
from hardhull.runtime.response_config import parse_priority_test, parse_response_config

EXAMPLE = """\
dry_run: true            # default true: actions are only logged
audit_log: /var/log/hardhull/response.jsonl
protected:               # never touched, whatever the rule
  - {name: "hardhull-*"}
  - {label: "io.hardhull/protected=true"}
  - {namespace: kube-system}
actions:
  - {rule: "Terminal shell in container", action: kill_process}
  - {priority: ">=critical", action: stop_container}
  - {tag: "network", action: disconnect_network}
  - {rule: "Dropped Binary Executed", action: pause_container}
"""


def alert(rule: str, priority: Priority = Priority.NOTICE, tags: tuple[str, ...] = ()) -> Alert:
    event = Event("syscall", "execve", 1, {"container.id": "host"}, None)
    return Alert(rule=rule, priority=priority, output="o", event=event, tags=tags)


def test_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "response.yaml"
    path.write_text(EXAMPLE)
    config = load_response_config(path)
    assert config.dry_run is True
    assert config.audit_log == "/var/log/hardhull/response.jsonl"
    assert [p.kind for p in config.protected] == ["name", "label", "namespace"]
    assert [a.action for a in config.actions] == [
        "kill_process",
        "stop_container",
        "disconnect_network",
        "pause_container",
    ]
    assert config.actions[1].where == f"{path}:9"
    shell = config.actions_for(alert("Terminal shell in container", Priority.CRITICAL))
    assert [a.action for a in shell] == ["kill_process", "stop_container"]
    assert [a.action for a in config.actions_for(alert("x", tags=("network",)))] == [
        "disconnect_network"
    ]
    assert config.actions_for(alert("x", Priority.ERROR)) == ()


def test_first_match_mode_and_globs() -> None:
    config = parse_response_config(
        "match: first\nactions:\n  - {rule: 'Terminal*', action: pause_container}\n"
        "  - {priority: '>warning', action: stop_container}\n"
    )
    assert [a.action for a in config.actions_for(alert("Terminal shell", Priority.ERROR))] == [
        "pause_container"
    ]
    assert [a.action for a in config.actions_for(alert("Other", Priority.ERROR))] == [
        "stop_container"
    ]
    assert config.actions_for(alert("Other", Priority.WARNING)) == ()


@pytest.mark.parametrize(
    ("text", "yes", "no"),
    [
        (">=critical", [Priority.EMERGENCY, Priority.CRITICAL], [Priority.ERROR]),
        ("> warning", [Priority.ERROR], [Priority.WARNING, Priority.DEBUG]),
        ("<=notice", [Priority.NOTICE, Priority.DEBUG], [Priority.WARNING]),
        ("info", [Priority.INFORMATIONAL], [Priority.NOTICE]),
        ("!=debug", [Priority.ALERT], [Priority.DEBUG]),
    ],
)
def test_priority_tests(text: str, yes: list[Priority], no: list[Priority]) -> None:
    test = parse_priority_test(text)
    assert all(test(p) for p in yes)
    assert not any(test(p) for p in no)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dry_run: maybe\n", "<cfg>:1:10: dry_run must be true or false, not 'maybe'"),
        ("dryrun: true\n", "<cfg>:1:1: unknown key 'dryrun' in the response configuration"),
        (
            "actions:\n  - {rule: x, action: nuke}\n",
            "<cfg>:2:23: unknown action 'nuke' (expected one of: kill_process,",
        ),
        (
            "actions:\n  - {priority: '>=severe', action: stop_container}\n",
            "<cfg>:2:16: bad priority '>=severe'",
        ),
        ("actions:\n  - {action: stop_container}\n", "<cfg>:2:5: actions[0] needs at least one"),
        ("actions:\n  - {rule: x}\n", "<cfg>:2:5: actions[0] has no 'action'"),
        (
            "actions:\n  - {rule: x, action: stop_container, when: now}\n",
            "<cfg>:2:39: unknown key 'when' in actions[0]",
        ),
        ("protected:\n  - {name: a, label: b}\n", "<cfg>:2:5: protected[0] must have exactly"),
        ("match: some\n", "<cfg>:1:8: match must be 'all' or 'first'"),
        ("actions: [\n", "<cfg>:2:1: invalid YAML"),
        ("- 1\n", "<cfg>:1:1: the response configuration must be a mapping"),
    ],
)
def test_positioned_errors(text: str, message: str) -> None:
    with pytest.raises(ResponseError) as info:
        parse_response_config(text, "<cfg>")
    assert str(info.value).startswith(message), str(info.value)


def test_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ResponseError, match=r"cannot read response configuration .*nope.yaml"):
        load_response_config(tmp_path / "nope.yaml")


def test_empty_file_is_dry_run_with_no_actions() -> None:
    config = parse_response_config("")
    assert config.dry_run is True and config.actions == ()


def test_protection_matching() -> None:
    config = parse_response_config(
        "protected:\n  - {name: 'hardhull-*'}\n  - {label: 'tier=db*'}\n  - {label: keep}\n"
        "  - {namespace: kube-system}\n  - {image: 'registry.local/infra/*'}\n  - {id: abc}\n"
    )
    hit = config.protection_for
    assert hit(ContainerInfo(id="1", name="hardhull-agent")) is not None
    assert hit(ContainerInfo(id="1", labels={"tier": "db-main"})) is not None
    assert hit(ContainerInfo(id="1", labels={"keep": ""})) is not None
    assert hit(ContainerInfo(id="1", pod_name="p", pod_namespace="kube-system")) is not None
    assert hit(ContainerInfo(id="1", image="registry.local/infra/dns:1")) is not None
    assert hit(ContainerInfo(id="abc123")) is not None
    # each container is protected by the entry that names it, not merely by some entry
    assert str(hit(ContainerInfo(id="1", name="hardhull-agent"))) == "name: hardhull-*"
    assert str(hit(ContainerInfo(id="1", labels={"tier": "db-main"}))) == "label: tier=db*"
    assert str(hit(ContainerInfo(id="1", labels={"keep": ""}))) == "label: keep"
    ns = ContainerInfo(id="1", pod_name="p", pod_namespace="kube-system")
    assert str(hit(ns)) == "namespace: kube-system"
    image = ContainerInfo(id="1", image="registry.local/infra/dns:1")
    assert str(hit(image)) == "image: registry.local/infra/*"
    assert str(hit(ContainerInfo(id="abc123"))) == "id: abc"
    assert hit(ContainerInfo(id="1", name="web", labels={"tier": "web"})) is None


def test_host_is_never_a_target() -> None:
    audit = io.StringIO()
    config = parse_response_config(
        "dry_run: false\nactions:\n  - {rule: '*', action: stop_container}\n"
    )
    records = Responder(config, [], audit=audit).handle(alert("Any"))
    assert [r.status for r in records] == [REFUSED_HOST]
    assert json.loads(audit.getvalue())["alert"]["rule"] == "Any"
