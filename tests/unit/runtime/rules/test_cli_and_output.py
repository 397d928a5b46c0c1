"""``hardhull runtime validate`` / ``fields`` through click, and output templates."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from tests.unit.runtime.rules.support import SHARED_RULES, ev, proc

from hardhull.cli.main import cli
from hardhull.errors import RuleLoadError
from hardhull.runtime.rules.output import compile_output


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_validate_the_shared_files_exits_0() -> None:
    code, out, _ = run("runtime", "validate", *map(str, SHARED_RULES))
    assert code == 0
    assert "3 file(s): 81 rule(s) (12 disabled), 315 macro(s), 118 list(s)" in out
    assert "0 error(s), 0 warning(s)" in out


def test_validate_reports_positions_and_exits_non_zero(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "- rule: r\n  desc: d\n  condition: proc.nmae = x\n  output: o\n  priority: INFO\n"
    )
    code, out, err = run("runtime", "validate", str(bad))
    assert code != 0
    assert f"{bad}:3:14: error: rule 'r': unknown field 'proc.nmae' [unknown-field]" in err
    assert "Traceback" not in err + out
    code, out, _ = run("runtime", "validate", "--format", "json", str(bad))
    doc = orjson.loads(out)
    assert code != 0 and doc["summary"]["errors"] == 1
    assert doc["diagnostics"][0] == {
        "severity": "error",
        "code": "unknown-field",
        "message": "rule 'r': unknown field 'proc.nmae'",
        "file": str(bad),
        "line": 3,
        "column": 14,
    }


def test_fields_lists_the_table() -> None:
    code, out, _ = run("runtime", "fields", "proc.aname")
    assert code == 0 and out.startswith("proc.aname[ancestor level]?  string")
    code, out, _ = run("runtime", "fields", "--source", "k8s_audit", "--format", "json")
    names = {r["field"] for r in orjson.loads(out)}
    assert {"ka.verb", "ka.uri.param", "ka.req.pod.containers.image", "jevt.value"} <= names
    assert "proc.name" not in names
    code, _, err = run("runtime", "fields", "nosuchfield")
    assert code != 0 and "no field matches 'nosuchfield'" in err


def test_output_formats_like_falco() -> None:
    e = ev(
        "execve",
        {**proc("curl", "-s", "http://x"), "thread.cap_effective": ("CAP_CHOWN", "CAP_KILL")},
    )
    out = compile_output(
        "%evt.time: run %proc.name (%(proc.cmdline)) pid=%proc.pid tty=%proc.tty "
        "fd=%fd.name caps=%thread.cap_effective a2=%proc.aname[2] img=%container.image.repository:"
        "%container.image.tag 100%% done %proc.name."
    )
    when, text = out.format(e).split(": ", 1)
    assert re.fullmatch(r"\d\d:\d\d:\d\d\.123456789", when)  # local time, as Falco prints it
    assert text == (
        "run curl (curl -s http://x) pid=4242 tty=0 fd=<NA> "
        "caps=CAP_CHOWN CAP_KILL a2=<NA> img=docker.io/library/nginx:1.25 100% done curl."
    )
    assert out.names[:3] == ("evt.time", "proc.name", "proc.cmdline")
    assert out.fields(e)["fd.name"] is None


def test_output_with_an_unknown_field_is_an_error() -> None:
    with pytest.raises(RuleLoadError, match=r"unknown field 'proc\.nosuch'"):
        compile_output("x %proc.nosuch")
