"""hardhull_rules.yaml loaded by the real loader, alone and after Falco's rules, run by
the engine over events shaped as the sensors fill them."""

from __future__ import annotations

from typing import Any

import pytest
from tests.support.shared import SHARED

from hardhull.model.event import AlertKind, ContainerInfo, Event, ProcInfo
from hardhull.runtime.engine import DEFAULT_RULES, Engine
from hardhull.runtime.rules.loader import load_rules

FALCO = SHARED / "data" / "falco-rules" / "rules"
S = 1_000_000_000
BOX = ContainerInfo(
    id="0123456789ab",
    name="web",
    image="localhost/web:1",
    image_repository="localhost/web",
    image_digest="sha256:" + "ab" * 32,
)


def _ev(etype: str, t: float, **fields: Any) -> Event:
    base: dict[str, Any] = {
        "container.id": BOX.id,
        "proc.pid": 42,
        "proc.name": "sh",
        "evt.res": "SUCCESS",
        "evt.rawres": 0,
    }
    base.update(fields)
    return Event("syscall", etype, int(t * S), base, BOX)


def _names(engine: Engine, events: list[Event]) -> list[str]:
    return [a.rule for e in events for a in engine.process(e)]


@pytest.fixture
def alone() -> Engine:
    rs = load_rules([DEFAULT_RULES], strict=True)
    assert not rs.errors
    return Engine(rs)


def test_loads_alone_and_after_falco_stable() -> None:
    rs = load_rules([DEFAULT_RULES], strict=True)
    assert [r.name for r in rs.rules] == [
        "Package Manager Executed in Container",
        "Outbound Connection to Unusual Port from Container",
        "Write Below Binary Directory in Container",
    ]
    assert [s.name for s in rs.sequences] == ["Dropped Binary Executed"]
    assert [t.name for t in rs.thresholds] == ["Connections to Many Destinations from Container"]
    files = [FALCO / n for n in ("falco_rules.yaml", "falco-incubating_rules.yaml")]
    both = load_rules([*files, DEFAULT_RULES])
    assert not both.errors
    names = {r.name for r in both.rules}
    assert "Terminal shell in container" in names
    assert "Package Manager Executed in Container" in names


def test_package_manager(alone: Engine) -> None:
    apt = _ev(
        "execve",
        1,
        **{
            "proc.name": "apt-get",
            "proc.exepath": "/usr/bin/apt-get",
            "proc.args": ("install", "curl"),
            "proc.ancestors": (ProcInfo(7, name="sh"),),
        },
    )
    child = _ev(
        "execve",
        2,
        **{
            "proc.name": "dpkg",
            "proc.exepath": "/usr/bin/dpkg",
            "proc.ancestors": (ProcInfo(8, name="apt-get"),),
        },
    )
    failed = _ev("execve", 3, **{"proc.name": "apt", "evt.res": "ENOENT", "evt.rawres": -2})
    assert alone.process(failed) == []
    alerts = [a for e in (apt, child) for a in alone.process(e)]
    assert [a.rule for a in alerts] == ["Package Manager Executed in Container"]
    assert "process=apt-get" in alerts[0].output
    assert "container_id=0123456789ab" in alerts[0].output


def _connect(t: float, ip: str, port: int) -> Event:
    return _ev(
        "connect",
        t,
        **{
            "fd.typechar": "4",
            "fd.sip": ip,
            "fd.sport": port,
            "fd.l4proto": "tcp",
            "fd.cip": "10.88.0.5",
            "fd.cport": 40000,
            "fd.name": f"10.88.0.5:40000->{ip}:{port}",
        },
    )


def test_unusual_port(alone: Engine) -> None:
    assert _names(alone, [_connect(1, "93.184.216.34", 443)]) == []
    assert _names(alone, [_connect(2, "127.0.0.1", 4444)]) == []
    assert _names(alone, [_connect(3, "10.0.2.2", 4444)]) == [
        "Outbound Connection to Unusual Port from Container"
    ]


def test_many_destinations(alone: Engine) -> None:
    events = [_connect(10 + i * 0.1, f"198.51.100.{i}", 443) for i in range(25)]
    fired = [a for e in events for a in alone.process(e)]
    assert [(a.rule, a.kind) for a in fired] == [
        ("Connections to Many Destinations from Container", AlertKind.THRESHOLD)
    ]
    assert fired[0].event.fields["fd.sip"] == "198.51.100.19"


def test_dropped_binary_sequence(alone: Engine) -> None:
    events = [
        _ev(
            "openat",
            100,
            **{
                "fd.name": "/tmp/payload",
                "fd.typechar": "f",
                "evt.arg.flags": "O_WRONLY|O_CREAT|O_TRUNC",
                "fd.num": 3,
            },
        ),
        _ev("chmod", 101, **{"evt.arg.filename": "payload", "evt.arg.mode": 0o755}),
        _ev("execve", 102, **{"proc.name": "payload", "proc.exepath": "/tmp/payload"}),
    ]
    fired = [a for e in events for a in alone.process(e)]
    assert [(a.rule, a.kind) for a in fired] == [("Dropped Binary Executed", AlertKind.SEQUENCE)]
    assert "proc_exepath=/tmp/payload" in fired[0].output
    assert alone.stats().total_eval_errors == 0
