"""The field table: derived fields computed from the raw-field contract."""

from __future__ import annotations

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
    assert get("ka.req.pod.containers.image") is None
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
