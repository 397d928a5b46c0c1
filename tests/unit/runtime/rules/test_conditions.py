"""Condition semantics, operator by operator, on crafted events."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.runtime.rules.support import ev, proc

from hardhull.errors import RuleLoadError
from hardhull.runtime.rules.loader import compile_condition, condition_evt_types


def match(cond: str, fields: dict[str, Any], evt_type: str = "openat", **kw: Any) -> bool:
    return compile_condition(cond, **kw)(ev(evt_type, fields))


F = {
    **proc("cat", "/etc/shadow", parents=("bash", "sshd", "systemd")),
    "fd.name": "/etc/shadow",
    "fd.typechar": "f",
    "fd.num": 3,
    "evt.arg.flags": "O_RDONLY|O_CLOEXEC",
    "evt.res": "SUCCESS",
    "evt.rawres": 3,
}


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        ("fd.name = /etc/shadow", True),
        ("fd.name == '/etc/shadow'", True),
        ('fd.name = "/etc/passwd"', False),
        ("fd.name != /etc/passwd", True),
        ("fd.name contains shad", True),
        ("fd.name icontains SHAD", True),
        ("fd.name startswith /etc/", True),
        ("fd.name endswith dow", True),
        ("fd.name glob '/etc/*ow'", True),
        ("fd.name glob '/etc/?'", False),
        ("fd.name iglob '/ETC/SH*'", True),
        ("fd.name regex '/etc/s[a-h]+dow'", True),
        ("fd.name regex 's[a-h]+dow'", False),  # whole-value match, as libsinsp's RE2
        ("fd.name regex '^shadow'", False),
        ("fd.name bcontains 736861646f77", True),
        ("fd.name bstartswith 2f657463", True),
        ("fd.name in (/etc/passwd, /etc/shadow)", True),
        ("fd.name in (/etc/passwd)", False),
        ("fd.name intersects (/etc/shadow)", True),
        ("fd.name pmatch (/etc)", True),
        ("fd.name pmatch (/et)", False),
        ("fd.directory pmatch (/etc/)", True),
        ("fd.name exists", True),
        ("fd.nameraw exists", False),
        ("fd.num > 2", True),
        ("fd.num >= 3 and fd.num <= 3", True),
        ("fd.num < 3", False),
        ("fd.num in (1, 2, 3)", True),
        ("evt.rawres = 3", True),
        ("evt.is_open_read = true", True),
        ("evt.is_open_write = true", False),
        ("evt.is_open_write = false", True),
        ("proc.name = cat and not proc.pname = sshd", True),
        ("proc.name = cat and (proc.pname = sshd or proc.pname = bash)", True),
        ("not (proc.name = cat)", False),
        ("proc.aname[2] = sshd", True),
        ("proc.aname[0] = cat", True),
        ("proc.aname[4] = systemd", False),
        ("proc.aname = systemd", True),
        ("proc.aname in (sshd)", True),
        ("proc.aname = cat", False),
        ("proc.cmdline = 'cat /etc/shadow'", True),
        ("proc.args = /etc/shadow", True),
        ("proc.pcmdline = bash", True),
        ("fd.filename = shadow and fd.directory = /etc", True),
        ("tolower(proc.name) = cat", True),
        ("toupper(proc.name) = CAT", True),
        ("basename(fd.name) = shadow", True),
        ("len(fd.name) = 11", True),
        ("len(fd.name) > 20", False),
        ("proc.name = val(proc.name)", True),
        ("proc.name = val(proc.pname)", False),
        ("proc.name != val(proc.pname)", True),
        ("container.id != host", True),
        ("container.image.repository = docker.io/library/nginx", True),
        ("container.image.tag = '1.25'", True),
        ("container.privileged = false", True),
        ("k8s.ns.name = shop and k8s.pod.name = web-1 and k8s.pod.label[app] = web", True),
        ("evt.dir = <", True),
        ("evt.dir=<", True),
        ("evt.type=openat", True),
    ],
)
def test_operator(cond: str, expected: bool) -> None:
    assert match(cond, F) is expected


@pytest.mark.parametrize(
    "cond",
    [
        "fd.sip = 127.0.0.1",
        "fd.sip != 127.0.0.1",
        "fd.sport > 1",
        "fd.sport != 1",
        "fd.name contains x",
        "fd.name != x",
        "fd.name in (a, b)",
        "proc.aname[7] != x",
        "fd.snet != 10.0.0.0/8",
    ],
)
def test_absent_field_makes_any_comparison_false(cond: str) -> None:
    assert match(cond, {}) is False
    assert match(f"not {cond}", {}) is True


def test_base64_transformer() -> None:
    assert match("b64(proc.args) = 'hello'", {"proc.args": ("aGVsbG8=",)})


def test_lists_and_nested_lists_and_quoted_items() -> None:
    lists = {"shells": ["bash", "sh"], "all": ["shells", "zsh", '"two words"']}
    assert match("proc.name in (all)", {"proc.name": "sh"}, lists=lists)
    assert match("proc.name in (all)", {"proc.name": "zsh"}, lists=lists)
    assert match("proc.name in all", {"proc.name": "bash"}, lists=lists)
    assert match("proc.name in (shells, dash)", {"proc.name": "dash"}, lists=lists)
    assert not match("proc.name in (shells)", {"proc.name": "zsh"}, lists=lists)
    assert match('proc.name in ("two words")', {"proc.name": "two words"})


def test_macros_nest() -> None:
    macros = {
        "opens": "evt.type in (open, openat)",
        "etc": "fd.name startswith /etc",
        "both": "opens and etc",
    }
    assert match("both", F, macros=macros)
    assert not match("both", F, evt_type="execve", macros=macros)


def test_numeric_fields_compare_numerically_even_from_text() -> None:
    assert match("fd.sport = 8080", {"fd.sport": "8080"})
    assert match("fd.sport > 999", {"fd.sport": 1000})
    assert not match("fd.sport > 999", {"fd.sport": "99"})


def test_network_fields() -> None:
    net = {
        "fd.cip": "10.1.2.3",
        "fd.sip": "93.184.216.34",
        "fd.cport": 51000,
        "fd.sport": 443,
        "fd.typechar": "4",
    }
    assert match("fd.snet in (10.0.0.0/8, 192.168.0.0/16)", net) is False
    assert match("fd.cnet = 10.0.0.0/8", net)
    assert match("fd.net = 10.0.0.0/8", net)
    assert match("fd.ip = 93.184.216.34", net)
    assert match("fd.port = 443 and fd.port = 51000", net)
    assert match(
        "fd.rip = 93.184.216.34 and fd.rport = 443 and fd.lport = 51000", net, evt_type="connect"
    )
    assert match("fd.lip = 93.184.216.34 and fd.lport = 443", net, evt_type="accept")
    assert match("fd.type = ipv4", net)


def test_list_fields_in_intersects_exists() -> None:
    rec = {
        "kind": "Event",
        "verb": "create",
        "objectRef": {"resource": "pods", "namespace": "default"},
        "requestObject": {
            "spec": {
                "containers": [
                    {"image": "nginx:1.25", "securityContext": {"privileged": True}},
                    {"image": "docker.io/busybox@sha256:00"},
                ]
            }
        },
    }
    e = ev("k8s_audit", {"jevt.value": rec}, source="k8s_audit", container=None)

    def m(c: str) -> bool:
        return compile_condition(c)(e)

    assert m("ka.req.pod.containers.image.repository in (nginx, docker.io/busybox)")
    assert not m("ka.req.pod.containers.image.repository in (nginx)")  # in: every element
    assert m("ka.req.pod.containers.image.repository intersects (nginx)")  # any element
    assert m("ka.req.pod.containers.privileged intersects (true)")
    assert m("ka.req.pod.containers.image[1] startswith docker.io/")
    assert m("ka.req.pod.containers.image exists")
    assert not m("ka.req.pod.volumes.hostpath intersects (/)")
    assert m("ka.verb = create and ka.target.resource = pods")
    assert m("jevt.value[/objectRef/namespace] = default")
    assert m("jevt.value[/requestObject/spec/containers/0/image] = 'nginx:1.25'")


@pytest.mark.parametrize(
    ("cond", "types"),
    [
        ("evt.type = openat", {"openat"}),
        ("evt.type in (open, openat) and fd.name = x", {"open", "openat"}),
        ("evt.type in (open, openat) and evt.type = openat", {"openat"}),
        ("evt.type = open or evt.type = execve", {"open", "execve"}),
        ("evt.type = open or proc.name = x", None),
        ("not evt.type = open", None),
        ("proc.name = x", None),
        ("spawned and proc.name = x", {"execve", "execveat"}),
        ("evt.type in (shell_syscalls)", {"execve"}),
    ],
)
def test_evt_type_analysis(cond: str, types: set[str] | None) -> None:
    got = condition_evt_types(
        cond,
        macros={"spawned": "evt.type in (execve, execveat)"},
        lists={"shell_syscalls": ["execve"]},
    )
    assert got == (None if types is None else frozenset(types))


@pytest.mark.parametrize(
    ("cond", "fragment"),
    [
        ("proc.nme = x", "unknown field 'proc.nme'"),
        ("proc.name = ", "missing value"),
        ("proc.name = x and", "expected"),
        ("(proc.name = x", "missing ')'"),
        ("proc.name = 'x", "unterminated string"),
        ("fd.num contains 3", "operator 'contains' is not valid for field fd.num (int64)"),
        ("fd.num = abc", "value 'abc' is not valid for field fd.num (int64)"),
        ("evt.is_open_read = maybe", "is not valid for field evt.is_open_read (bool)"),
        ("fd.sip = not-an-ip", "is not valid for field fd.sip (ipaddr)"),
        ("no_such_macro", "undefined macro 'no_such_macro'"),
        ("proc.aname[x] = y", "bad argument [x]"),
        ("k8s.pod.label = y", "needs an argument"),
        ("proc.name[1] = y", "does not take an argument"),
        ("frobnicate(proc.name) = y", "unknown field transformer 'frobnicate'"),
        ("fd.name in undefined_list", "undefined list 'undefined_list'"),
        ("fd.name bcontains xyz", "hex string"),
    ],
)
def test_bad_conditions_are_clear_errors(cond: str, fragment: str) -> None:
    with pytest.raises(RuleLoadError) as err:
        compile_condition(cond)
    assert fragment in str(err.value)


def test_macro_cycle_is_an_error() -> None:
    with pytest.raises(RuleLoadError, match="macro cycle: a -> b -> a"):
        compile_condition("a", macros={"a": "b and proc.name = x", "b": "a"})
