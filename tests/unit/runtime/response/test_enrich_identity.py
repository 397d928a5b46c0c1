"""Enricher additions: user names from the process's own passwd file (symlinks refused),
and ``proc.is_exe_upper_layer`` from the container's writable layer."""

from __future__ import annotations

import os
from pathlib import Path

from hardhull.model.event import ContainerInfo, Event
from hardhull.runtime.enrich import Enricher, _exe_in_upper_layer, _read_passwd


def _passwd(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("root:x:0:0:root:/root:/bin/bash\nwww:x:33:33::/var/www:/bin/false\n")


def test_read_passwd_maps_uids(tmp_path: Path) -> None:
    _passwd(tmp_path / "etc" / "passwd")
    assert _read_passwd(tmp_path / "etc" / "passwd") == {0: "root", 33: "www"}


def test_read_passwd_refuses_symlinks(tmp_path: Path) -> None:
    real = tmp_path / "real" / "passwd"
    _passwd(real)
    (tmp_path / "c1" / "etc").mkdir(parents=True)
    os.symlink(real, tmp_path / "c1" / "etc" / "passwd")
    assert _read_passwd(tmp_path / "c1" / "etc" / "passwd") == {}
    (tmp_path / "c2").mkdir()
    os.symlink(real.parent, tmp_path / "c2" / "etc")
    assert _read_passwd(tmp_path / "c2" / "etc" / "passwd") == {}


def test_user_name_filled_from_the_process_root(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    _passwd(proc / "4242" / "root" / "etc" / "passwd")
    enricher = Enricher([], proc_root=proc)
    event = Event(
        source="syscall",
        type="execve",
        time=1,
        fields={"proc.pid": 4242, "user.uid": 33, "container.id": "abcdefabcdef"},
        container=ContainerInfo(id="abcdefabcdef"),
    )
    out = enricher.enrich(event)
    assert out.fields["user.name"] == "www"
    unknown = Event("syscall", "execve", 2, {"proc.pid": 4242, "user.uid": 7}, event.container)
    assert "user.name" not in enricher.enrich(unknown).fields


def test_exe_in_upper_layer(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    (tmp_path / "tmp" / "payload").write_bytes(b"x")
    assert _exe_in_upper_layer(str(tmp_path), "/tmp/payload") is True
    assert _exe_in_upper_layer(str(tmp_path), "/usr/bin/cat") is False
    assert _exe_in_upper_layer(str(tmp_path), "relative") is None
    assert _exe_in_upper_layer(str(tmp_path), "/a/../tmp/payload") is None
