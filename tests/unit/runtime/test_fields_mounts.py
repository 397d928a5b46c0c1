"""container.mount* fields read ContainerInfo.mounts (Falco's container plugin forms)."""

from __future__ import annotations

import pytest
from tests.unit.runtime.rules.support import CONTAINER, T0

from hardhull.model.event import ContainerInfo, Event, Mount
from hardhull.runtime.fields import compile_field
from hardhull.runtime.rules.loader import compile_condition

BOX = ContainerInfo(
    id=CONTAINER.id,
    mounts=(
        Mount("/var/run/docker.sock", "/var/run/docker.sock", "", True, "rprivate"),
        Mount("/proc", "/host/proc", "ro", False, "rslave"),
    ),
)


def _ev(container: ContainerInfo | None, fields: dict[str, object] | None = None) -> Event:
    return Event("syscall", "execve", T0, fields or {}, container)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (
            "container.mounts",
            "/var/run/docker.sock:/var/run/docker.sock::true:rprivate,"
            "/proc:/host/proc:ro:false:rslave",
        ),
        ("container.mount[1]", "/proc:/host/proc:ro:false:rslave"),
        ("container.mount[/proc]", "/proc:/host/proc:ro:false:rslave"),
        ("container.mount[/pr*]", "/proc:/host/proc:ro:false:rslave"),
        ("container.mount[2]", None),
        ("container.mount[/etc]", None),
        # by index, or by the other end: source[dest], the others [source]
        ("container.mount.source[0]", "/var/run/docker.sock"),
        ("container.mount.source[/host/proc]", "/proc"),
        ("container.mount.source[/host/*]", "/proc"),
        ("container.mount.dest[/proc]", "/host/proc"),
        ("container.mount.dest[/proc*]", "/host/proc"),
        ("container.mount.dest[/var/run/docker.sock]", "/var/run/docker.sock"),
        ("container.mount.mode[/proc]", "ro"),
        ("container.mount.rdwr[/proc]", "false"),
        ("container.mount.rdwr[0]", "true"),
        ("container.mount.propagation[1]", "rslave"),
        # not found: "<NA>", which Falco's sensitive_mount macro tests for
        ("container.mount.dest[/etc]", "<NA>"),
        ("container.mount.source[7]", "<NA>"),
    ],
)
def test_mount_fields(field: str, expected: str | None) -> None:
    assert compile_field(field)(_ev(BOX)) == expected


def test_mount_text_and_raw_fallback() -> None:
    assert str(BOX.mounts[1]) == "/proc:/host/proc:ro:false:rslave"
    raw = {"container.mounts": "/a:/b::true:,/c:/d:z:false:shared"}
    assert compile_field("container.mount.dest[/c]")(_ev(None, raw)) == "/d"
    assert compile_field("container.mounts")(_ev(None, raw)) == "/a:/b::true:,/c:/d:z:false:shared"
    assert compile_field("container.mounts")(_ev(ContainerInfo(id="x"))) is None
    assert compile_field("container.mount.dest[/proc]")(_ev(ContainerInfo(id="x"))) == "<NA>"


def test_sensitive_mount_macro_semantics() -> None:
    cond = 'not container.mount.dest[/proc*] in ("<NA>", "N/A")'
    m = compile_condition(cond)
    assert m(_ev(BOX)) is True
    assert m(_ev(ContainerInfo(id="x", mounts=(Mount("/data", "/data"),)))) is False
    assert m(_ev(ContainerInfo(id="x"))) is False
