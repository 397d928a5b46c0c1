"""The field table: derived fields computed from the raw-field contract."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.unit.runtime.rules.support import CONTAINER, T0, ev

from hardhull.errors import RuleLoadError
from hardhull.model.event import Event, ProcInfo
from hardhull.runtime.fields import FIELDS, compile_field, resolve_field


def test_every_field_has_a_type_doc_and_builds() -> None:
    assert len(FIELDS) > 150
    for fd in FIELDS.values():
        assert fd.doc and fd.type
        arg = (
            None
            if fd.arg != "required"
            else ("0" if "index" in fd.arg_doc else "/x" if "pointer" in fd.arg_doc else "x")
        )
        fd.factory(arg)


def test_derived_process_fields() -> None:
    anc = (
        ProcInfo(pid=1, name="sh", exe="sh", exepath="/bin/sh", args=("-c", "x")),
        ProcInfo(pid=0, name="init"),
    )
    e = ev("execve", {"proc.name": "curl", "proc.args": ("-s", "u"), "proc.ancestors": anc})
    get = lambda name: compile_field(name)(e)  # noqa: E731
    assert get("proc.cmdline") == "curl -s u"
    assert get("proc.args") == "-s u"
    assert get("proc.pname") == "sh" and get("proc.pexepath") == "/bin/sh"
    assert get("proc.pcmdline") == "sh -c x"
    assert get("proc.aname[2]") == "init" and get("proc.aname[3]") is None
    assert get("proc.aname") == ("sh", "init")


def test_fd_and_open_flags() -> None:
    e = ev(
        "openat",
        {"fd.name": "/var/lib/x.db", "fd.typechar": "f", "evt.arg.flags": "O_RDWR|O_CREAT"},
    )
    get = lambda name: compile_field(name)(e)  # noqa: E731
    assert (get("fd.directory"), get("fd.filename"), get("fd.type")) == ("/var/lib", "x.db", "file")
    assert (get("evt.is_open_read"), get("evt.is_open_write"), get("evt.is_open_create")) == (
        True,
        True,
        True,
    )
    assert get("evt.arg.flags") == "O_RDWR|O_CREAT" and get("evt.arg[flags]") == "O_RDWR|O_CREAT"
    assert get("evt.args") == "flags=O_RDWR|O_CREAT"
    assert compile_field("evt.is_open_read")(ev("openat", {})) is None
    ro = ev("openat", {"evt.arg.flags": "O_RDONLY|O_CLOEXEC"})
    flags = ("read", "write", "create", "exec")
    assert [compile_field(f"evt.is_open_{f}")(ro) for f in flags] == [True, False, False, False]
    ex = ev("openat", {"evt.arg.flags": "O_RDONLY|__O_EXEC"})
    assert compile_field("evt.is_open_exec")(ex) is True


def test_socket_sides() -> None:
    net = {"fd.cip": "10.0.0.2", "fd.sip": "10.0.0.9", "fd.cport": "40000", "fd.sport": 443}
    sides = ("fd.lip", "fd.rip", "fd.lport", "fd.rport", "fd.lnet", "fd.rnet", "fd.ip", "fd.port")

    def get(e: Event) -> list[object]:
        return [compile_field(f)(e) for f in sides]

    client = ["10.0.0.2", "10.0.0.9", 40000, 443, "10.0.0.2", "10.0.0.9"]
    both = [("10.0.0.2", "10.0.0.9"), (40000, 443)]
    assert get(ev("connect", net)) == [*client, *both]
    server = ["10.0.0.9", "10.0.0.2", 443, 40000, "10.0.0.9", "10.0.0.2"]
    assert get(ev("accept", net)) == [*server, *both]
    assert get(ev("connect", {**net, "fd.is_server": True})) == [*server, *both]
    assert get(ev("connect", {})) == [None] * 8


def test_container_and_time_fields() -> None:
    e = ev("execve", {})
    assert compile_field("container.image.digest")(e) == CONTAINER.image_digest
    assert compile_field("container.start_ts")(e) == T0 - 10_000_000_000
    assert compile_field("container.duration")(e) == 10_000_000_000
    assert compile_field("evt.time.iso8601")(e) == "2023-11-14T22:13:20.123456789Z"
    assert compile_field("evt.rawtime")(e) == T0
    bare = Event(source="syscall", type="execve", time=T0, fields={"container.id": "abc"})
    assert compile_field("container.id")(bare) == "abc"
    assert compile_field("container.name")(bare) is None
    labelled = ev("execve", {}, container=replace(CONTAINER, labels={"b": "2", "a": "1"}))
    assert compile_field("container.label[a]")(labelled) == "1"
    assert compile_field("container.label[zz]")(labelled) is None
    assert compile_field("container.labels")(labelled) == "a:1, b:2"
    assert compile_field("container.labels")(e) is None
    assert compile_field("k8s.pod.label[app]")(e) == "web"
    assert compile_field("k8s.pod.labels")(e) == "app:web"
    assert compile_field("k8s.pod.name")(e) == "web-1" and compile_field("k8s.ns.name")(e) == "shop"
    assert compile_field("k8s.pod.labels")(bare) is None
    assert compile_field("k8s.pod.name")(Event("syscall", "x", T0, {"k8s.pod.name": "p"})) == "p"


def test_k8s_audit_fields() -> None:
    rec = {
        "auditID": "a1",
        "verb": "get",
        "requestURI": "/api/v1/namespaces/d/pods/p/exec?command=sh&container=c",
        "user": {"username": "alice", "groups": ["dev", "system:authenticated"]},
        "objectRef": {"resource": "pods", "subresource": "exec", "name": "p", "namespace": "d"},
        "responseStatus": {"code": 101},
        "sourceIPs": ["10.0.0.1"],
        "requestObject": {"roleRef": {"name": "admin"}, "subjects": [{"name": "bob"}]},
    }
    e = ev("k8s_audit", {"jevt.value": rec}, source="k8s_audit", container=None)
    get = lambda name: compile_field(name)(e)  # noqa: E731
    assert get("ka.uri.param[command]") == "sh"
    assert get("ka.user.groups") == ("dev", "system:authenticated")
    assert get("ka.target.subresource") == "exec"
    assert get("ka.response.code") == "101"
    assert get("ka.req.binding.role") == "admin" and get("ka.req.binding.subjects") == ("bob",)
    assert get("ka.sourceips[0]") == "10.0.0.1"
    assert get("jevt.value[/user/username]") == "alice"
    assert get("jevt.value[/objectRef]") == (
        '{"resource":"pods","subresource":"exec","name":"p","namespace":"d"}'
    )
    assert get("jevt.value[/user/groups/1]") == "system:authenticated"
    assert get("jevt.value[/user/groups/9]") is None and get("jevt.value[/nope/x]") is None
    odd = ev("k8s_audit", {"jevt.value": {"a/b": {"~c": 1}, "": 2}}, source="k8s_audit")
    assert compile_field("jevt.value[/a~1b/~0c]")(odd) == "1"
    assert compile_field("jevt.value[/]")(odd) == "2"
    with pytest.raises(RuleLoadError, match="a JSON pointer starts with /"):
        compile_field("jevt.value[user]")
    assert get("jevt.time.iso8601") == "2023-11-14T22:13:20.123456789Z"
    assert get("ka.req.pod.containers.image") is None
    pod = {
        "requestObject": {
            "spec": {
                "containers": [
                    {"image": "registry.local:5000/team/app:1.2@sha256:" + "0" * 64},
                    {"image": "busybox"},
                ]
            }
        }
    }
    p = ev("k8s_audit", {"jevt.value": pod}, source="k8s_audit", container=None)
    assert compile_field("ka.req.pod.containers.image.repository")(p) == (
        "registry.local:5000/team/app",
        "busybox",
    )
    assert compile_field("ka.req.container.image.repository")(p) == "registry.local:5000/team/app"
    assert compile_field("ka.verb")(ev("execve", {})) is None


def test_transformers_and_errors() -> None:
    ref = resolve_field("toupper(basename(fd.name))")
    assert ref.transformers == ("toupper", "basename") and ref.type == "string"
    assert ref.extract(ev("openat", {"fd.name": "/a/b.txt"})) == "B.TXT"
    assert resolve_field("len(proc.args)").type == "int64"
    for bad, msg in (
        ("fd.nope", "unknown field 'fd.nope'"),
        ("tolower(fd.num)", "needs a string field"),
    ):
        with pytest.raises(RuleLoadError, match=msg):
            compile_field(bad)
