"""Pure attribution helpers over real-looking cgroup paths and a /proc-shaped directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardhull.model.event import Event
from hardhull.runtime.engines import parse_time_ns, repository_of
from hardhull.runtime.enrich import (
    Enricher,
    container_id_from_cgroup,
    pod_uid_from_cgroup,
    process_container,
    split_image,
)

CID = "5888b2b2e8456dc2d2b288608046de17d8cd3f9fd314cf5b5c5187e48a87d111"
POD = "0f7e0a6c-1b2d-4c3e-9f8a-0123456789ab"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"/machine.slice/libpod-{CID}.scope", ("podman", CID)),
        (f"/machine.slice/libpod-{CID}.scope/container", ("podman", CID)),
        (f"/machine.slice/libpod-conmon-{CID}.scope", ("podman", CID)),
        (f"/libpod_parent/libpod-{CID}", ("podman", CID)),
        (
            f"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{CID}.scope",
            ("podman", CID),
        ),
        (f"/system.slice/docker-{CID}.scope", ("docker", CID)),
        (f"/docker/{CID}", ("docker", CID)),
        (
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
            f"{POD.replace('-', '_')}.slice/cri-containerd-{CID}.scope",
            ("containerd", CID),
        ),
        (
            f"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
            f"{POD.replace('-', '_')}.slice/crio-{CID}.scope",
            ("cri-o", CID),
        ),
        (
            f"/kubepods.slice/kubepods-pod{POD.replace('-', '_')}.slice/crio-conmon-{CID}.scope",
            ("cri-o", CID),
        ),
        (f"/kubepods/burstable/pod{POD}/{CID}", ("kubernetes", CID)),
        ("/", None),
        ("/user.slice/user-0.slice/session-3.scope", None),
        ("/system.slice/docker.service", None),
        ("/libpod_parent/conmon", None),
        (f"/machine.slice/libpod-{CID[:12]}.scope", None),
        (f"/somewhere/{CID}", None),
    ],
)
def test_container_id_from_cgroup(path: str, expected: tuple[str, str] | None) -> None:
    assert container_id_from_cgroup(path) == expected


def test_pod_uid_from_cgroup() -> None:
    systemd = (
        f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
        f"{POD.replace('-', '_')}.slice/cri-containerd-{CID}.scope"
    )
    assert pod_uid_from_cgroup(systemd) == POD
    assert pod_uid_from_cgroup(f"/kubepods/besteffort/pod{POD}/{CID}") == POD
    assert pod_uid_from_cgroup(f"/machine.slice/libpod-{CID}.scope") == ""


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("localhost/app:1", ("localhost/app", "1", "")),
        ("registry:5000/team/app", ("registry:5000/team/app", "", "")),
        ("registry:5000/app:2@sha256:ab", ("registry:5000/app", "2", "sha256:ab")),
        ("busybox@sha256:cd", ("busybox", "", "sha256:cd")),
        ("", ("", "", "")),
    ],
)
def test_split_image(ref: str, expected: tuple[str, str, str]) -> None:
    assert split_image(ref) == expected
    assert repository_of(ref) == expected[0]


def test_parse_time_ns() -> None:
    assert parse_time_ns("2024-05-10T12:34:56.123456789Z") == 1715344496123456789
    assert parse_time_ns("2024-05-10T14:34:56.5+02:00") == 1715344496500000000
    assert parse_time_ns("0001-01-01T00:00:00Z") == 0
    assert parse_time_ns("yesterday") == 0
    assert parse_time_ns(None) == 0


def _proc(root: Path, pid: int, lines: list[str]) -> None:
    (root / str(pid)).mkdir(parents=True)
    (root / str(pid) / "cgroup").write_text("".join(line + "\n" for line in lines))


def test_process_container_reads_every_hierarchy(tmp_path: Path) -> None:
    _proc(tmp_path, 10, ["9:name=systemd:/", f"8:pids:/libpod_parent/libpod-{CID}", "0::/"])
    _proc(tmp_path, 11, ["0::/user.slice/user-0.slice/session-1.scope"])
    assert process_container(10, tmp_path) == ("podman", CID)
    assert process_container(11, tmp_path) is None
    assert process_container(12, tmp_path) is None


def test_enricher_derives_ids_from_proc_and_counts(tmp_path: Path) -> None:
    _proc(tmp_path, 10, [f"0::/machine.slice/libpod-{CID}.scope"])
    _proc(tmp_path, 11, ["0::/init.scope"])
    kube = f"0::/kubepods/burstable/pod{POD}/{CID}"
    _proc(tmp_path, 12, [kube])
    enricher = Enricher([], proc_root=tmp_path)  # no engine: attribution from cgroups only

    out = enricher.enrich(Event("syscall", "execve", 1, {"proc.pid": 10}))
    assert out.container is not None
    assert (out.container.id, out.container.full_id, out.container.engine) == (
        CID[:12],
        CID,
        "podman",
    )
    assert out.fields["container.id"] == CID[:12]

    host = enricher.enrich(Event("syscall", "execve", 1, {"proc.pid": 11}))
    assert host.container is not None and host.container.id == "host"
    assert host.fields["container.id"] == "host"

    pod = enricher.enrich(Event("syscall", "execve", 1, {"proc.pid": 12}))
    assert pod.container is not None and pod.container.pod_uid == POD

    gone = Event("syscall", "execve", 1, {"proc.pid": 99})
    assert enricher.enrich(gone) is gone
    stats = enricher.stats()
    # the second pid is in the same container: answered by the negative cache
    assert (stats.events, stats.host, stats.unattributed) == (4, 1, 1)
    assert (stats.not_found, stats.hits, stats.lookups) == (1, 1, 0)
