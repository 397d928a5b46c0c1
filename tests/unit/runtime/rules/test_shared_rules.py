"""The shared Falco rule files load together, in order, and real rules fire on crafted
events (and stay quiet on benign ones)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.runtime.rules.support import ARCHIVE_DIR, CONTAINER, SHARED_RULES, ev, proc

from hardhull.model.event import HOST, ContainerInfo, Event
from hardhull.runtime.rules.loader import LoadResult, load_rules_report
from hardhull.runtime.rules.model import RuleSet


@pytest.fixture(scope="module")
def loaded() -> LoadResult:
    return load_rules_report(SHARED_RULES)


def test_the_three_files_load_with_every_condition_compiled(loaded: LoadResult) -> None:
    assert [str(d) for d in loaded.ruleset.diagnostics] == []
    c = loaded.counts
    assert (c["files"], c["rules"], c["rules_disabled"], c["macros"], c["lists"]) == (
        3,
        81,
        12,
        315,
        118,
    )
    # every enabled rule is indexed by evt.type (none falls back to "any type")
    assert [r.name for r in loaded.ruleset.rules if r.evt_types is None] == []


def test_the_archive_file_loads() -> None:
    res = load_rules_report([ARCHIVE_DIR / "falco-deprecated_rules.yaml"])
    assert [str(d) for d in res.ruleset.diagnostics] == []
    assert (res.counts["rules"] + res.counts["rules_disabled"], res.counts["macros"]) == (4, 6)


def fired(rs: RuleSet, e: Event) -> list[str]:
    return [r.name for r in rs.candidates(e.source, e.type) if r.match(e)]


def opened(name: str, path: str, flags: str = "O_RDONLY", **extra: Any) -> Event:
    return ev(
        "openat",
        {
            **proc(name, path),
            "fd.name": path,
            "fd.typechar": "f",
            "fd.num": 3,
            "evt.arg.flags": flags,
            "evt.res": "SUCCESS",
            **extra,
        },
    )


def test_read_sensitive_file_untrusted(loaded: LoadResult) -> None:
    rs = loaded.ruleset
    assert "Read sensitive file untrusted" in fired(rs, opened("cat", "/etc/shadow"))
    assert fired(rs, opened("cat", "/etc/hostname")) == []
    # a trusted program (sshd) reading it: not this rule
    assert "Read sensitive file untrusted" not in fired(rs, opened("sshd", "/etc/shadow"))
    (rule,) = [r for r in rs.rules if r.name == "Read sensitive file untrusted"]
    text = rule.format_output(opened("cat", "/etc/shadow"))
    assert (
        "file=/etc/shadow" in text and "process=cat" in text and "command=cat /etc/shadow" in text
    )


def shell(tty: int, container: ContainerInfo, parent: str = "runc") -> Event:
    f = proc("bash", exepath="/usr/bin/bash", parents=(parent,))
    f["proc.tty"] = tty
    return ev("execve", f, container=container)


def test_terminal_shell_in_container(loaded: LoadResult) -> None:
    rs = loaded.ruleset
    assert "Terminal shell in container" in fired(rs, shell(34816, CONTAINER))
    assert "Terminal shell in container" not in fired(rs, shell(0, CONTAINER))
    assert "Terminal shell in container" not in fired(rs, shell(34816, HOST))


def test_write_below_binary_dir(loaded: LoadResult) -> None:
    e = opened("cp", "/usr/bin/evil", flags="O_WRONLY|O_CREAT|O_TRUNC")
    assert "Write below binary dir" in fired(loaded.ruleset, e)
    assert fired(loaded.ruleset, opened("cp", "/tmp/x", flags="O_WRONLY|O_CREAT")) == []


def test_benign_exec_fires_nothing(loaded: LoadResult) -> None:
    e = ev("execve", proc("ls", "-l", parents=("bash", "sshd")))
    assert fired(loaded.ruleset, e) == []
