"""Container ids from cgroup paths; the process table's parent chains."""

from __future__ import annotations

import os

import pytest

from hardhull.model.event import ProcInfo
from hardhull.runtime.enrich import container_id_from_cgroup as enrich_container_id
from hardhull.runtime.proctable import (
    ProcTable,
    container_id_from_cgroup,
    parse_cgroup,
    read_proc_entry,
)

ID = "0123456789abcdef" * 4


@pytest.mark.parametrize(
    "path",
    [
        f"/machine.slice/libpod-{ID}.scope/container",
        f"/libpod_parent/libpod-{ID}",
        f"/system.slice/docker-{ID}.scope",
        f"/docker/{ID}",
        f"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-{ID}.scope",
        f"/kubepods.slice/kubepods-pod2.slice/crio-{ID}.scope",
        f"/kubepods/besteffort/pod1234/{ID}",
        f"/kubepods.slice/kubepods-burstable.slice/other-runtime-{ID}.scope",
    ],
)
def test_container_paths(path: str) -> None:
    assert container_id_from_cgroup(path) == ID


def test_one_parser_for_sensors_and_enricher() -> None:
    # the engine's monitor (conmon) is the host for the sensors, its container for the
    # enricher; both read the same parse
    conmon = f"/kubepods.slice/kubepods-pod1.slice/crio-conmon-{ID}.scope"
    assert parse_cgroup(conmon) == ("cri-o", ID, True)
    assert container_id_from_cgroup(conmon) == ""
    assert enrich_container_id(conmon) == ("cri-o", ID)
    assert parse_cgroup(f"/system.slice/docker-{ID}.scope") == ("docker", ID, False)
    assert parse_cgroup(f"/somewhere/{ID}") is None


@pytest.mark.parametrize(
    "path", ["/", "/user.slice/session-1.scope", f"/machine.slice/libpod-conmon-{ID}.scope"]
)
def test_host_paths(path: str) -> None:
    assert container_id_from_cgroup(path) == ""


def test_ancestors_parent_first_and_bounded() -> None:
    t = ProcTable(limit=10)
    t.exec(1, 0, ProcInfo(1, "init"))
    t.exec(2, 1, ProcInfo(2, "sh"))
    t.fork(2, 3)
    assert [p.name for p in t.ancestors(3)] == ["sh", "sh", "init"]
    t.exit(2)
    assert [p.name for p in t.ancestors(3)] == ["sh"]
    for pid in range(100, 120):
        t.exec(pid, 1, ProcInfo(pid))
    assert len(t) == 10


def test_read_own_proc_entry() -> None:
    entry = read_proc_entry(os.getpid())
    assert entry is not None and entry.ppid == os.getppid()
    assert entry.info.exepath.startswith("/")
