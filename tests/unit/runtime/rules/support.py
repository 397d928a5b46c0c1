"""Helpers for the rules tests: crafted events and the shared rule files."""

from __future__ import annotations

from typing import Any

from tests.support.shared import SHARED

from hardhull.model.event import ContainerInfo, Event, ProcInfo

RULES_DIR = SHARED / "data" / "falco-rules" / "rules"
ARCHIVE_DIR = SHARED / "data" / "falco-rules" / "archive"
SHARED_RULES = [
    RULES_DIR / "falco_rules.yaml",
    RULES_DIR / "falco-incubating_rules.yaml",
    RULES_DIR / "falco-sandbox_rules.yaml",
]
T0 = 1_700_000_000_123_456_789

CONTAINER = ContainerInfo(
    id="0123456789ab",
    name="web",
    image="docker.io/library/nginx:1.25",
    image_repository="docker.io/library/nginx",
    image_tag="1.25",
    image_digest="sha256:" + "ab" * 32,
    privileged=False,
    started_at=T0 - 10_000_000_000,
    pod_name="web-1",
    pod_namespace="shop",
    pod_labels={"app": "web"},
)


def ev(
    evt_type: str,
    fields: dict[str, Any] | None = None,
    *,
    container: ContainerInfo | None = CONTAINER,
    source: str = "syscall",
) -> Event:
    return Event(
        source=source, type=evt_type, time=T0, fields=dict(fields or {}), container=container
    )


def proc(
    name: str, *args: str, exepath: str = "", parents: tuple[str, ...] = ("bash",)
) -> dict[str, Any]:
    """The process fields of a crafted event (parents: parent first)."""
    return {
        "proc.pid": 4242,
        "proc.vpid": 42,
        "proc.name": name,
        "proc.exe": name,
        "proc.exepath": exepath or f"/usr/bin/{name}",
        "proc.args": tuple(args),
        "proc.tty": 0,
        "user.uid": 0,
        "user.name": "root",
        "user.loginuid": -1,
        "proc.ancestors": tuple(
            ProcInfo(pid=100 + i, name=p, exe=p, exepath=f"/usr/bin/{p}")
            for i, p in enumerate(parents)
        ),
    }
