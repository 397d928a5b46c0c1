"""Drift pieces without an engine store: allow-list parsing, index lookups, /proc checks
against a real host process."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardhull.model import FileEntry, FileKind
from hardhull.model.event import ContainerInfo, Event
from hardhull.runtime.drift import DriftDetector
from hardhull.runtime.drift_allow import DriftConfigError, load_allow_list, parse_allow_list
from hardhull.runtime.imageindex import ImageIndex, IndexEntry, index_from_entries

BOX = ContainerInfo(id="0123456789ab", name="api-1", image_repository="r/api", pod_namespace="prod")


def test_allow_list_errors_name_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "allow.yaml"
    bad.write_text("allow:\n  - match: {image: x}\n    paths: [/tmp/*]\n")
    with pytest.raises(DriftConfigError, match=r"allow\.yaml:2: unknown match key 'image'"):
        load_allow_list(bad)
    bad.write_text("allow:\n  - name: x\n")
    with pytest.raises(DriftConfigError, match=r"allow\.yaml:2: allow entry without paths"):
        load_allow_list(bad)
    bad.write_text("allow: [\n")
    with pytest.raises(DriftConfigError, match=r"allow\.yaml:\d+: not valid YAML"):
        load_allow_list(bad)
    with pytest.raises(DriftConfigError, match="cannot read drift allow-list"):
        load_allow_list(tmp_path / "missing.yaml")
    with pytest.raises(DriftConfigError, match="must be absolute"):
        parse_allow_list("allow:\n  - paths: [tmp/x]\n")


def test_allow_list_selectors() -> None:
    allow = parse_allow_list(
        "allow:\n"
        "  - match: {namespace: prod, pod_labels: {app: api}}\n"
        "    paths: /opt/jit/*\n"
        "  - match: {image_repository: [r/api, r/web]}\n"
        "    paths: [/usr/local/bin/tool]\n"
    )
    labelled = ContainerInfo(id="x", pod_namespace="prod", pod_labels={"app": "api"})
    assert allow.allows(labelled, "/opt/jit/a/b.so")
    assert not allow.allows(BOX, "/opt/jit/a.so")  # label missing
    assert allow.allows(BOX, "/usr/local/bin/tool")
    assert not allow.allows(BOX, "/usr/local/bin/other")


def _index() -> ImageIndex:
    entries = [
        FileEntry("/bin", FileKind.SYMLINK, 0o777, 0, link="usr/bin"),
        FileEntry("/usr/bin/busybox", FileKind.FILE, 0o755, 10),
        FileEntry("/usr/bin/sh", FileKind.SYMLINK, 0o777, 0, link="/usr/bin/busybox"),
        FileEntry("/usr/bin/ash", FileKind.HARDLINK, 0o755, 0, link="usr/bin/busybox"),
        FileEntry("/lib/loop", FileKind.SYMLINK, 0o777, 0, link="/lib/loop"),
        FileEntry("/etc/motd", FileKind.FILE, 0o644, 3),
    ]
    return index_from_entries("sha256:k", entries, {"/usr/bin/busybox": "sha256:aa"})


def test_index_lookup_resolves_links_inside_the_image() -> None:
    index = _index()
    entry = IndexEntry(0o755, 10, "sha256:aa")
    assert index.lookup("/bin/sh") == entry
    assert index.lookup("/bin/../bin/busybox") == entry
    assert index.lookup("/usr/bin/ash") == entry
    assert index.lookup("/lib/loop") is None
    assert index.lookup("/bin") is None
    again = ImageIndex.from_json(index.to_json())
    assert again.lookup("/bin/sh") == entry and len(again) == len(index)
    with pytest.raises(ValueError):
        ImageIndex.from_json(b'{"format": 99}')


@pytest.fixture
def host_sleep() -> Iterator[tuple[int, str]]:
    exe = shutil.which("sleep")
    assert exe is not None
    proc = subprocess.Popen([exe, "60"])
    try:
        real = os.path.realpath(exe)
        deadline = time.monotonic() + 5
        while os.readlink(f"/proc/{proc.pid}/exe") != real and time.monotonic() < deadline:
            time.sleep(0.01)
        yield proc.pid, real
    finally:
        proc.kill()
        proc.wait()


def _exec(path: str, pid: int) -> Event:
    return Event("syscall", "execve", 1, {"proc.exepath": path, "proc.pid": pid}, BOX)


def test_proc_check_compares_size_mode_and_digest(host_sleep: tuple[int, str]) -> None:
    pid, path = host_sleep
    st = os.stat(path)
    digest = "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()
    mode = st.st_mode & 0o7777

    def detector(entry: IndexEntry) -> DriftDetector:
        index = ImageIndex("k", {path: entry}, {})
        return DriftDetector(lambda c: index)

    same = detector(IndexEntry(mode, st.st_size, digest))
    assert same.check(_exec(path, pid)) is None
    assert (same.stats().clean, same.stats().unverified) == (1, 0)
    cases = {
        IndexEntry(mode, st.st_size, "sha256:" + "0" * 64): "changed: content differs",
        IndexEntry(mode, st.st_size + 1, digest): "changed: size",
        IndexEntry(mode ^ 0o001, st.st_size, digest): "changed: mode",
    }
    for entry, reason in cases.items():
        alert = detector(entry).check(_exec(path, pid))
        assert alert is not None
        assert str(alert.output_fields["drift.reason"]).startswith(reason)
    # a pid that runs something else is not examined: unverified, not drift
    other = detector(IndexEntry(mode, st.st_size + 1, digest))
    assert other.check(_exec(path, os.getpid())) is None
    assert other.stats().unverified == 1


def test_bad_events_are_counted() -> None:
    det = DriftDetector(lambda c: _index())
    assert det.check(Event("syscall", "execve", 1, {}, BOX)) is None
    assert det.check(Event("syscall", "execve", 1, {"proc.exepath": "memfd:x"}, BOX)) is None
    assert det.check(Event("syscall", "openat", 1, {"proc.exepath": "/x"}, BOX)) is None

    def broken(c: ContainerInfo) -> ImageIndex:
        raise RuntimeError("boom")

    assert DriftDetector(broken).check(_exec("/x", 1)) is None
    st = det.stats()
    assert (st.checks, st.no_path) == (2, 2)


def test_failed_execs_are_not_drift() -> None:
    """A PATH search tries /usr/local/sbin/x, /usr/local/bin/x ... before the real one:
    those failed execs ran nothing and must not be reported as drift."""
    det = DriftDetector(lambda c: _index(), verify_proc=False)
    failed = Event(
        "syscall",
        "execve",
        1,
        {"proc.exepath": "/usr/local/sbin/ghost", "evt.rawres": -2, "evt.res": "ENOENT"},
        BOX,
    )
    assert det.check(failed) is None
    ran = Event("syscall", "execve", 2, {"proc.exepath": "/tmp/ghost", "evt.rawres": 0}, BOX)
    alert = det.check(ran)
    assert alert is not None and "/tmp/ghost" in alert.output
    st = det.stats()
    assert (st.failed_exec, st.checks, st.drift) == (1, 1, 1)
