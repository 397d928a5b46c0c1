"""The loader: items, append/override, exceptions, extensions and positioned errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from tests.unit.runtime.rules.support import ev, proc

from hardhull.errors import RuleLoadError
from hardhull.model.event import Priority
from hardhull.runtime.rules.loader import load_rules, load_rules_report
from hardhull.runtime.rules.model import RuleSet


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip("\n"))
    return p


BASE = """
- list: shells
  items: [bash, sh]
- macro: spawned
  condition: evt.type in (execve, execveat)
- rule: Shell run
  desc: a shell ran
  condition: spawned and proc.name in (shells)
  output: "shell %proc.name (parent=%proc.pname file=%fd.name)"
  priority: WARNING
  tags: [shell]
"""


def errors(rs: RuleSet) -> list[str]:
    return [str(d) for d in rs.errors]


def fire(
    rs: RuleSet, name: str, evt_type: str = "execve", parents: tuple[str, ...] = ("bash",)
) -> list[str]:
    e = ev(evt_type, proc(name, parents=parents))
    return [r.name for r in rs.candidates("syscall", evt_type) if r.match(e)]


def test_rule_compiles_with_index_and_output(tmp_path: Path) -> None:
    rs = load_rules([write(tmp_path, "a.yaml", BASE)], strict=True)
    (rule,) = rs.rules
    assert rule.priority is Priority.WARNING
    assert rule.evt_types == frozenset({"execve", "execveat"})
    assert rule.tags == ("shell",)
    assert rs.candidates("syscall", "openat") == ()
    e = ev("execve", proc("sh", parents=("sshd",)))
    assert rule.match(e)
    assert rule.format_output(e) == "shell sh (parent=sshd file=<NA>)"
    assert rule.output_fields(e) == {"proc.name": "sh", "proc.pname": "sshd", "fd.name": None}
    assert rule.position.line == 5


def test_legacy_append_and_override(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", BASE)
    b = write(
        tmp_path,
        "b.yaml",
        """
        - list: shells
          items: [zsh]
          append: true
        - macro: spawned
          condition: and proc.pname != cron
          append: true
        - rule: Shell run
          condition: and not proc.pname = sudo
          append: true
        """,
    )
    rs = load_rules([a, b], strict=True)
    assert fire(rs, "zsh") == ["Shell run"]
    assert fire(rs, "bash", parents=("cron",)) == []
    assert fire(rs, "bash", parents=("sudo",)) == []
    c = write(
        tmp_path,
        "c.yaml",
        """
        - list: shells
          items: [fish]
          override:
            items: replace
        - rule: Shell run
          priority: CRITICAL
          condition: and proc.pname != init
          override:
            priority: replace
            condition: append
        """,
    )
    rs = load_rules([a, b, c], strict=True)
    assert fire(rs, "fish") == ["Shell run"]
    assert fire(rs, "bash") == []
    assert fire(rs, "fish", parents=("init",)) == []
    assert rs.rules[0].priority is Priority.CRITICAL


def test_enabled_false_is_validated_but_not_indexed(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", BASE)
    off = write(tmp_path, "off.yaml", "- rule: Shell run\n  enabled: false\n")
    res = load_rules_report([a, off])
    assert res.ruleset.rules == () and res.counts["rules_disabled"] == 1
    on = write(
        tmp_path,
        "on.yaml",
        "- rule: Shell run\n  enabled: true\n  override:\n    enabled: replace\n",
    )
    assert len(load_rules([a, off, on], strict=True).rules) == 1


def test_exceptions_fold_into_the_condition(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "x.yaml",
        BASE
        + """
- rule: Shell run
  exceptions:
    - name: by_parent_and_name
      fields: [proc.pname, proc.name]
      comps: [=, in]
      values:
        - [cron, [sh, bash]]
    - name: by_parent
      fields: proc.pname
      values: [make, shells]
  override:
    exceptions: append
""",
    )
    rs = load_rules([p], strict=True)
    assert fire(rs, "sh", parents=("cron",)) == []
    assert fire(rs, "sh", parents=("make",)) == []
    assert fire(rs, "sh", parents=("bash",)) == []  # list name as an exception value
    assert fire(rs, "sh", parents=("sshd",)) == ["Shell run"]


def test_sequence_and_threshold_items(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "ext.yaml",
        """
        - macro: open_write
          condition: evt.type in (open, openat, openat2, creat) and evt.is_open_write = true
        - sequence: Dropped Binary Executed
          desc: written, made executable, executed
          by: [container.id]
          within: 60s
          steps:
            - condition: open_write
              key: fd.name
            - condition: evt.type in (chmod, fchmod, fchmodat)
              key: evt.arg.filename
            - condition: evt.type in (execve, execveat)
              key: proc.exepath
          output: "Dropped binary executed (file=%proc.exepath container=%container.id)"
          priority: CRITICAL
          tags: [container, drift]
        - threshold: Outbound Connection Burst
          desc: many destinations
          condition: evt.type = connect and fd.typechar in (4, 6)
          by: [container.id]
          distinct: fd.sip
          count: 20
          within: 500ms
          output: "burst %container.id"
          priority: WARNING
        """,
    )
    rs = load_rules([p], strict=True)
    (seq,) = rs.sequences
    assert seq.within_ns == 60_000_000_000 and len(seq.steps) == 3
    assert seq.steps[0].evt_types == frozenset({"open", "openat", "openat2", "creat"})
    w = ev("openat", {"fd.name": "/tmp/x", "evt.arg.flags": "O_WRONLY|O_CREAT"})
    assert (
        seq.steps[0].match(w) and seq.steps[0].key is not None and seq.steps[0].key(w) == "/tmp/x"
    )
    assert seq.by[0](w) == "0123456789ab"
    (thr,) = rs.thresholds
    assert (thr.count, thr.within_ns, thr.evt_types) == (20, 500_000_000, frozenset({"connect"}))
    assert (
        thr.distinct is not None and thr.distinct(ev("connect", {"fd.sip": "1.2.3.4"})) == "1.2.3.4"
    )


def line_col(d: str) -> str:
    return d.split(": ", 1)[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- rule: [unclosed\n", ("x.yaml:2:1", "yaml-syntax")),
        ("rule: x\n", ("x.yaml:1:1", "not-a-list")),
        ("- frobnicate: x\n", ("x.yaml:1:3", "unknown-item")),
        (
            "- rule: r\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: INFO\n  colour: red\n",  # noqa: E501
            ("x.yaml:6:11", "unknown-key"),
        ),
        ("- macro: m\n  condition: [a]\n", ("x.yaml:2:14", "wrong-type")),
        (
            "- rule: r\n  desc: d\n  condition: proc.name = x and\n    proc.nmae = y\n  output: o\n  priority: INFO\n",  # noqa: E501
            ("x.yaml:4:5", "unknown-field"),
        ),
        (
            "- rule: r\n  desc: d\n  condition: proc.name = x and nosuch\n  output: o\n  priority: INFO\n",  # noqa: E501
            ("x.yaml:3:32", "undefined-macro"),
        ),
        (
            "- macro: a\n  condition: b\n- macro: b\n  condition: a\n",
            ("x.yaml:4:14", "macro-cycle"),
        ),
        (
            "- rule: r\n  desc: d\n  condition: >\n    fd.num contains 3\n  output: o\n  priority: INFO\n",  # noqa: E501
            ("x.yaml:4:5", "bad-operator"),
        ),
        (
            "- rule: r\n  desc: d\n  condition: fd.num = x\n  output: o\n  priority: INFO\n",
            ("x.yaml:3:23", "bad-operand"),
        ),
        (
            "- rule: r\n  desc: d\n  condition: proc.name = x\n  output: '%proc.nosuch'\n  priority: INFO\n",  # noqa: E501
            ("x.yaml:4:11", "unknown-field"),
        ),
        (
            "- rule: r\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: LOUD\n",
            ("x.yaml:5:13", "bad-priority"),
        ),
        ("- list: l\n  items: [a]\n  append: true\n", ("x.yaml:1:9", "append-undefined")),
        ("- rule: r\n  desc: d\n  output: o\n  priority: INFO\n", ("x.yaml:1:3", "missing-key")),
        (
            "- threshold: t\n  condition: evt.type = connect\n  by: [container.id]\n  count: 3\n"
            "  within: soon\n  output: o\n  priority: INFO\n",
            ("x.yaml:5:11", "bad-duration"),
        ),
    ],
)
def test_load_errors_have_positions(tmp_path: Path, text: str, expected: tuple[str, str]) -> None:
    p = tmp_path / "x.yaml"
    p.write_text(text)
    rs = load_rules([p])
    assert rs.errors, "expected an error"
    first = str(rs.errors[0])
    assert (line_col(first).replace(str(tmp_path) + "/", ""), rs.errors[0].code) == expected, first


def test_one_bad_file_does_not_stop_the_next(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", "- rule: [\n")
    good = write(tmp_path, "good.yaml", BASE)
    rs = load_rules([bad, tmp_path / "missing.yaml", good])
    assert [d.code for d in rs.errors] == ["yaml-syntax", "no-file"]
    assert [r.name for r in rs.rules] == ["Shell run"]
    with pytest.raises(RuleLoadError, match="2 error"):
        load_rules([bad, tmp_path / "missing.yaml", good], strict=True)


def test_unsupported_source_is_a_warning(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "aws.yaml",
        "- rule: r\n  desc: d\n  condition: ct.name = x\n  output: o\n  priority: INFO\n  source: aws_cloudtrail\n",  # noqa: E501
    )
    rs = load_rules([p], strict=True)
    assert rs.rules == () and [d.code for d in rs.diagnostics] == ["unsupported-source"]
    assert rs.diagnostics[0].severity == "warning"


def test_skip_if_unknown_filter_turns_the_error_into_a_warning(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "s.yaml",
        "- rule: r\n  desc: d\n  condition: proc.future = x\n  output: o\n  priority: INFO\n"
        "  skip-if-unknown-filter: true\n",
    )
    rs = load_rules([p], strict=True)
    assert [(d.severity, d.code) for d in rs.diagnostics] == [("warning", "skipped-unknown-filter")]


def test_rule_using_a_broken_macro_says_so(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "m.yaml",
        "- macro: m\n  condition: proc.nope = 1\n"
        "- rule: r\n  desc: d\n  condition: m\n  output: o\n  priority: INFO\n",
    )
    rs = load_rules([p])
    assert [(d.code, d.position.line if d.position else 0) for d in rs.errors] == [
        ("unknown-field", 2),
        ("macro-error", 5),
    ]
