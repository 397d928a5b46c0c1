"""Conformance with Falco / libsinsp, case by case.

The cases are taken from libsinsp's filter tests (``filter_parser.ut.cpp``,
``filter_op_pmatch.ut.cpp``, ``filter_compiler.ut.cpp``, the list-filter rules of
``sinsp_filtercheck.cpp``), Falco's engine tests (``test_filter_evttype_resolver.cpp``,
rule loader override/append behaviour) and the C library's ``fnmatch`` that libsinsp's
``glob`` calls; the inputs and expected outcomes are restated here as tables.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.unit.runtime.rules.support import ev, proc

from hardhull.errors import RuleLoadError
from hardhull.runtime.rules.compiler import CompileError
from hardhull.runtime.rules.globs import glob_pred
from hardhull.runtime.rules.loader import (
    compile_condition,
    condition_evt_types,
    load_rules_report,
)
from hardhull.runtime.rules.parser import (
    And,
    ConditionSyntaxError,
    MacroRef,
    Node,
    Not,
    Or,
    parse_condition,
)


def _libc_fnmatch() -> Any:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        fn = ctypes.CDLL(name).fnmatch
    except (OSError, AttributeError):
        return None
    fn.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int)
    fn.restype = ctypes.c_int
    return fn


_FNMATCH = _libc_fnmatch()
_FNM_CASEFOLD = 1 << 4  # glibc

# --- glob / iglob: fnmatch(pattern, value, 0), so '*' crosses '/' ----------------------

GLOB_CASES = [
    ("/etc/*", "/etc/shadow", True),
    ("/etc/*", "/etc/ssh/sshd_config", True),  # '*' crosses '/': no FNM_PATHNAME
    ("*.log", "/var/log/nginx/access.log", True),
    ("/etc/?", "/etc/ab", False),
    ("/etc/??", "/etc/ab", True),
    ("/tmp?x", "/tmp/x", True),  # '?' matches '/' too
    ("*", ".bashrc", True),  # no FNM_PERIOD
    ("/etc/[!a]*", "/etc/shadow", True),
    ("/etc/[^s]*", "/etc/shadow", False),  # '^' negates (Python's fnmatch: literal ^)
    ("/etc/[^s]*", "/etc/passwd", True),
    ("[a-c]x", "bx", True),
    ("[a-c]x", "dx", False),
    ("[[:digit:]]*", "1abc", True),
    ("[[:digit:]]*", "abc", False),
    ("[]a]", "]", True),
    ("/tmp/\\*", "/tmp/*", True),  # backslash quotes (Python's fnmatch: literal \)
    ("/tmp/\\*", "/tmp/x", False),
    ("/etc/[", "/etc/[", True),  # unterminated bracket: literal '['
    ("/ETC/*", "/etc/x", False),
]


@pytest.mark.parametrize(("pattern", "value", "expected"), GLOB_CASES)
def test_glob(pattern: str, value: str, expected: bool) -> None:
    assert glob_pred(pattern)(value) is expected
    cond = f"fd.name glob '{pattern.replace(chr(92), chr(92) * 2)}'"
    assert compile_condition(cond)(ev("openat", {"fd.name": value})) is expected


@pytest.mark.skipif(_FNMATCH is None, reason="no C library fnmatch")
@pytest.mark.parametrize(("pattern", "value", "expected"), GLOB_CASES)
def test_glob_agrees_with_libc_fnmatch(pattern: str, value: str, expected: bool) -> None:
    assert (_FNMATCH(pattern.encode(), value.encode(), 0) == 0) is expected
    folded = _FNMATCH(pattern.encode(), value.encode(), _FNM_CASEFOLD) == 0
    assert glob_pred(pattern, casefold=True)(value) is folded


def test_iglob() -> None:
    assert compile_condition("fd.name iglob '/ETC/*'")(ev("openat", {"fd.name": "/etc/x"}))


# --- pmatch (libsinsp filter_op_pmatch.ut.cpp, fd.name = /opt/dir/subdir/file.txt) -----


@pytest.mark.parametrize(
    ("prefixes", "expected"),
    [
        ("(/opt/dir)", True),
        ("(/opt/dir/subdir)", True),
        ("(/opt/dir2)", False),
        ("(/opt/dir, /opt/dir2)", True),
        ("(/opt/dir3, /opt/dir2)", False),
        ("(/opt/*)", True),
        ("(/opt/*/subdir)", True),
        ("(/opt/di?/subdir)", True),
        ("(/opt/dii?/subdir)", False),
        ("(/opt/di[r]/subdir)", True),
        ("(/opt/di[!r]/subdir)", False),
        ("(/opt/di/subdir)", False),
        ("(/opt/di[t]/subdir)", False),
        ("(/opt/*/subdir2)", False),
        ("(/opt/*/*)", True),
        ("(/opt/*/*/subsubdir)", False),
        # beyond the libsinsp table: components, not characters
        ("(/opt/*/file.txt)", False),  # '*' is one component in pmatch
        ("(/op)", False),
        ("(/opt/dir/)", True),
        ("(/)", True),
        ("()", False),
    ],
)
def test_pmatch(prefixes: str, expected: bool) -> None:
    e = ev("openat", {"fd.name": "/opt/dir/subdir/file.txt"})
    assert compile_condition(f"fd.name pmatch {prefixes}")(e) is expected


# --- list fields (k8s audit): in = all, intersects = any, only exists/in/intersects ------


def _audit(images: list[str]) -> Any:
    rec = {"requestObject": {"spec": {"containers": [{"image": i} for i in images]}}}
    return ev("k8s_audit", {"jevt.value": rec}, source="k8s_audit", container=None)


@pytest.mark.parametrize(
    ("cond", "images", "expected"),
    [
        ("ka.req.pod.containers.image in (nginx, redis)", ["nginx", "redis"], True),
        ("ka.req.pod.containers.image in (nginx)", ["nginx", "redis"], False),
        ("ka.req.pod.containers.image intersects (nginx)", ["nginx", "redis"], True),
        ("ka.req.pod.containers.image intersects (busybox)", ["nginx", "redis"], False),
        ("ka.req.pod.containers.image exists", ["nginx"], True),
        ("ka.req.pod.containers.image[1] = redis", ["nginx", "redis"], True),
        ("ka.req.pod.containers.image[1] startswith re", ["nginx", "redis"], True),
        ("ka.req.pod.containers.image[5] = redis", ["nginx", "redis"], False),
        ("len(ka.req.pod.containers.image) = 2", ["nginx", "redis"], True),
        ("toupper(ka.req.pod.containers.image) intersects (NGINX)", ["nginx"], True),
    ],
)
def test_list_field_operators(cond: str, images: list[str], expected: bool) -> None:
    assert compile_condition(cond)(_audit(images)) is expected


@pytest.mark.parametrize(
    "cond",
    [
        "ka.req.pod.containers.image = nginx",
        "ka.req.pod.containers.image != nginx",
        "ka.req.pod.containers.image contains ngi",
        "ka.req.pod.containers.image startswith ngi",
        "ka.req.pod.containers.image glob 'ngi*'",
        "ka.req.pod.containers.image pmatch (/x)",
    ],
)
def test_list_field_rejects_other_operators(cond: str) -> None:
    with pytest.raises(CompileError) as exc:
        compile_condition(cond)
    assert exc.value.code == "bad-operator"
    assert exc.value.offset == 0


def test_list_field_operator_error_is_positioned(tmp_path: Path) -> None:
    f = tmp_path / "r.yaml"
    f.write_text(
        "- rule: bad list op\n"
        "  desc: d\n"
        "  condition: ka.verb = create and ka.req.pod.containers.image = nginx\n"
        "  output: o\n"
        "  priority: WARNING\n"
        "  source: k8s_audit\n"
    )
    (err,) = load_rules_report([f]).ruleset.errors
    assert err.code == "bad-operator"
    assert err.position is not None
    assert (err.position.line, err.position.column) == (3, 35)  # the offending check


def test_thread_caps_are_one_string_as_in_libsinsp() -> None:
    e = ev("execve", {"thread.cap_effective": ("CAP_CHOWN", "CAP_SYS_ADMIN")})
    assert compile_condition("thread.cap_effective contains CAP_SYS_ADMIN")(e)
    assert not compile_condition("thread.cap_effective in (CAP_SYS_ADMIN)")(e)
    assert compile_condition("thread.cap_effective = 'CAP_CHOWN CAP_SYS_ADMIN'")(e)


# --- transformers and val() (libsinsp filter_compiler.ut.cpp, filter_transformer) -------

F = {**proc("bash", "-c", "id", parents=("bash", "sshd")), "fd.name": "/etc/Shadow"}


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        ("tolower(fd.name) = /etc/shadow", True),
        ("toupper(proc.name) = BASH", True),
        ("tolower(toupper(proc.name)) = bash", True),
        ("basename(fd.name) = Shadow", True),
        ("tolower(proc.name) = tolower(proc.pname)", True),
        ("proc.name = val(proc.pname)", True),
        ("proc.name != val(proc.pname)", False),
        ("proc.name = proc.pname", False),  # a bare word, not a field
        ("len(proc.name) = 4", True),
        ("b64(proc.name) exists", True),
    ],
)
def test_transformers(cond: str, expected: bool) -> None:
    assert compile_condition(cond)(ev("execve", F)) is expected


@pytest.mark.parametrize(
    "cond",
    [
        "val(proc.name) = bash",  # val() only on the right
        "proc.name = val(tolower(proc.name))",  # val() takes a field
        "b64 (proc.name) exists",  # no blank before '('
        "some_fake_transformer(proc.name) exists",
        "toupper(proc.pid) = 1",  # string transformer on a number
        "proc.name = val(proc.pid)",  # different types
    ],
)
def test_transformer_errors(cond: str) -> None:
    with pytest.raises(RuleLoadError):
        compile_condition(cond)


# --- evt.type analysis (Falco test_filter_evttype_resolver.cpp) -------------------------

OPENAT = frozenset({"openat"})
OPENAT_CLOSE = frozenset({"openat", "close"})


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        ("evt.type=openat", OPENAT),
        ("evt.type = openat", OPENAT),
        ("not evt.type != openat", OPENAT),
        ("not not evt.type = openat", OPENAT),
        ("not not not not evt.type = openat", OPENAT),
        ("evt.type in (openat)", OPENAT),
        ("not (not evt.type=openat)", OPENAT),
        ("evt.type=openat and proc.name=nginx", OPENAT),
        ("evt.type=openat and not proc.name=nginx", OPENAT),
        ("evt.type=openat and (proc.name=nginx)", OPENAT),
        ("evt.type=openat and not (evt.type=close and proc.name=nginx)", OPENAT),
        ("evt.type in (openat, close)", OPENAT_CLOSE),
        ("evt.type=openat or evt.type=close", OPENAT_CLOSE),
        ("evt.type=openat or (evt.type=close and proc.name=nginx)", OPENAT_CLOSE),
        ("evt.type=close or (evt.type=openat and proc.name=nginx)", OPENAT_CLOSE),
        # complements ("every type but ...") are reported as any type
        ("evt.type!=openat", None),
        ("not not not evt.type = openat", None),
        ("not evt.type=openat", None),
        ("not evt.type in (openat, close)", None),
        ("evt.type!=openat and evt.type!=close", None),
        ("evt.type!=openat or evt.type!=close", None),
        ("proc.name=nginx", None),
        ("evt.type=openat or proc.name=nginx", None),
        ("(evt.type=openat) or proc.name=nginx", None),
        # Falco narrows this one to "not openat"; an openat by another process matches
        ("evt.type=close or not (evt.type=openat and proc.name=nginx)", None),
        # no type can match
        ("evt.type=close and evt.type=openat", frozenset()),
        ("evt.type=openat and (evt.type=close and proc.name=nginx)", frozenset()),
        # complement narrowed by a positive set
        ("evt.type in (openat, close) and evt.type != close", OPENAT),
        ("evt.type in (openat, close) and not evt.type = close", OPENAT),
    ],
)
def test_evt_type_analysis(cond: str, expected: frozenset[str] | None) -> None:
    assert condition_evt_types(cond) == expected


def test_evt_type_analysis_never_drops_a_matching_event() -> None:
    cond = "evt.type=close or not (evt.type=openat and proc.name=nginx)"
    m = compile_condition(cond)
    assert m(ev("openat", {"proc.name": "curl"}))
    assert condition_evt_types(cond) is None


# --- numbers given as strings, exists, absent fields -----------------------------------


@pytest.mark.parametrize(
    ("cond", "fields", "expected"),
    [
        ("proc.pid = 42", {"proc.pid": "42"}, True),
        ("proc.pid > 40", {"proc.pid": "42"}, True),
        ("proc.pid in (1, 42)", {"proc.pid": "42"}, True),
        ("fd.sport in (8080, 443)", {"fd.sport": "8080"}, True),
        ("fd.sport <= 0x1f90", {"fd.sport": 8080}, True),  # hex constants, as libsinsp
        ("proc.pid = 42", {"proc.pid": "forty-two"}, False),  # not a number: absent
        ("proc.pid != 1", {"proc.pid": "forty-two"}, False),
        ("proc.pid exists", {"proc.pid": "forty-two"}, False),
        ("proc.pid exists", {"proc.pid": 0}, True),
        ("fd.name exists", {"fd.name": ""}, True),  # empty is a value
        ("fd.name exists", {}, False),
        ("fd.name != /x", {}, False),  # absent: every comparison is false
        ("not fd.name = /x", {}, True),
        ("not fd.name exists", {}, True),
        ("evt.is_open_read = true", {"evt.arg.flags": "O_RDONLY"}, True),
        ("evt.is_open_read = false", {"evt.arg.flags": "O_WRONLY"}, True),
        ("evt.is_open_read != true", {}, False),
    ],
)
def test_values(cond: str, fields: dict[str, Any], expected: bool) -> None:
    assert compile_condition(cond)(ev("openat", fields)) is expected


@pytest.mark.parametrize(
    "cond",
    [
        "proc.pid = abc",
        "proc.pid > 1.2",
        "proc.pid < 0xAAA.1",
        "proc.pid >= 0aaaaa",
        "evt.is_open_read = 1",  # booleans are true/false
        "proc.pid contains 4",  # string operator on a number
        "fd.sip glob '10.*'",
    ],
)
def test_value_errors(cond: str) -> None:
    with pytest.raises(RuleLoadError):
        compile_condition(cond)


# --- the parser (libsinsp filter_parser.ut.cpp, with real field names) -----------------


@pytest.mark.parametrize(
    "cond",
    [
        "  a",
        "(a)",
        "a and b and(c)",
        "(a)and(b)and(c)",
        "a or b or(c)",
        "not(a)",
        "not (not (a))",
        "not not(a)",
        "not(a)and(not(b))",
        "not fd.num=1",
        "not fd.name exists",
        "fd.name = not",
        "evt.dir=> and fd.name=*.log",
        "evt.dir = <",
        "evt.dir=<",
        "fd.name in (1, 'a', b.c)",
        "fd.name = fd.directory",
        "a and notb",
        "notz and a and b",
        "macro and not_macro",
        "macro and and_macro",
        "macro and or_macro",
        "evt.arg[0] contains /bin",
        "evt.arg[a] contains /bin",
        "fd.name = 0a!@#456:/\\.;!$%^&*[]{}|",
        'fd.name = ""',
        "fd.name = ''",
        "fd.name = 'escape single quote \\' '",
        'fd.name = "mixed \'"',
        "fd.name in ()",
        "fd.name in()",
        "fd.name in (0a!@#456:/\\.;!$%^&*[]{}|, value)",
        "fd.num <= 0x12345",
        "fd.num < +1",
        "b64(toupper(fd.name)) exists",
        "b64( fd.name) exists",
        "fd.name = val(fd.directory)",
        "fd.name glob val(fd.directory)",
    ],
)
def test_parser_accepts(cond: str) -> None:
    tree = parse_condition(cond)
    # a real tree: every field and macro name it holds sits at its offset in the text
    # (field text comes back without the blanks inside transformer parentheses)
    names = list(_names_at_offsets(tree))
    assert names
    for text, offset in names:
        assert cond[offset:].replace(" ", "").startswith(text.replace(" ", "")), (text, offset)


def _names_at_offsets(node: Node) -> Iterator[tuple[str, int]]:
    if isinstance(node, And | Or):
        for item in node.items:
            yield from _names_at_offsets(item)
    elif isinstance(node, Not):
        yield from _names_at_offsets(node.item)
    elif isinstance(node, MacroRef):
        yield node.name, node.offset
    else:
        yield node.field.text, node.field.offset


@pytest.mark.parametrize(
    "cond",
    [
        "a andb",
        "aand b",
        "a and b and",
        "a and b or",
        "a and b not",
        "and a",
        "or a",
        "a or b or",
        "a not b",
        "a notb",
        "anot b",
        "a andnot b",
        "(a)andnot(b)",
        "a ornot b",
        "evt.arg[] contains /bin",
        "fd.name = b = 1",
        "(fd.name = 1",
        "fd.name invalidoperator xxx",
        "fd.name in ( 1 ,, , b)",
        "evt.dir=> and fd.name=/var/lo);g/httpd.log",
        "fd.name = a,",
        "fd.name = a=",
        "fd.name = a('\")",
        "fd.name = '",
        "fd.name = 'missing end quote",
        "fd.name in (",
        "fd.name in )",
        "fd.name in (value,)",
        "fd.name in (value,,)",
        "fd.name in (,)",
        "fd.name = (value)",
        "fd.name ExIsTs",
        "fd.name exists something",
        "fd.name ===",
        "fd.name !==",
        "fd.name startswithvalue",
        "fd.name containsvalue",
        "fd.name globvalue",
        "val(fd.name) exists",
        "b64 (fd.name) exists",
        "b64(fd.name exists",
        "(fd.name) exists",
        "b64(b64(fd.name) exists",
    ],
)
def test_parser_rejects(cond: str) -> None:
    with pytest.raises(ConditionSyntaxError):
        parse_condition(cond)


def test_bare_words_and_not_as_value() -> None:
    e = ev("openat", {"fd.name": "not"})
    assert compile_condition("fd.name = not")(e)
    assert compile_condition("evt.dir = < and fd.name=not")(e)


# --- lists and macros across files (Falco's rule loader) --------------------------------


def _load(tmp_path: Path, *texts: str) -> Any:
    paths = []
    for i, text in enumerate(texts):
        p = tmp_path / f"f{i}.yaml"
        p.write_text(text)
        paths.append(p)
    return load_rules_report(paths).ruleset


_RULE = """
- rule: r
  desc: d
  condition: evt.type = execve and {cond}
  output: o
  priority: WARNING
"""


def _fires(rs: Any, name: str) -> bool:
    (rule,) = [r for r in rs.rules if r.name == "r"]
    return bool(rule.match(ev("execve", {"proc.name": name})))


def test_list_append_in_a_later_file(tmp_path: Path) -> None:
    rs = _load(
        tmp_path,
        "- list: shells\n  items: [bash]\n" + _RULE.format(cond="proc.name in (shells)"),
        "- list: shells\n  items: [zsh]\n  append: true\n",
    )
    assert not rs.errors
    assert _fires(rs, "bash") and _fires(rs, "zsh")


def test_list_redefined_in_a_later_file_replaces(tmp_path: Path) -> None:
    rs = _load(
        tmp_path,
        "- list: shells\n  items: [bash]\n" + _RULE.format(cond="proc.name in (shells)"),
        "- list: shells\n  items: [zsh]\n",
    )
    assert not _fires(rs, "bash") and _fires(rs, "zsh")


def test_list_override_append_and_replace(tmp_path: Path) -> None:
    base = "- list: shells\n  items: [bash]\n" + _RULE.format(cond="proc.name in (shells)")
    rs = _load(tmp_path, base, "- list: shells\n  items: [zsh]\n  override:\n    items: append\n")
    assert _fires(rs, "bash") and _fires(rs, "zsh")
    rs = _load(tmp_path, base, "- list: shells\n  items: [zsh]\n  override:\n    items: replace\n")
    assert not _fires(rs, "bash") and _fires(rs, "zsh")


def test_macro_override_and_append_across_files(tmp_path: Path) -> None:
    base = "- macro: m\n  condition: proc.name = bash\n" + _RULE.format(cond="m")
    rs = _load(tmp_path, base, "- macro: m\n  condition: proc.name = zsh\n")
    assert not _fires(rs, "bash") and _fires(rs, "zsh")
    rs = _load(tmp_path, base, "- macro: m\n  condition: or proc.name = zsh\n  append: true\n")
    assert _fires(rs, "bash") and _fires(rs, "zsh")
    rs = _load(
        tmp_path,
        base,
        "- macro: m\n  condition: and proc.pid = 1\n  override:\n    condition: append\n",
    )
    assert not _fires(rs, "bash")


def test_names_resolve_after_all_files_are_read(tmp_path: Path) -> None:
    # the rule uses a macro and a list that only a later file defines
    rs = _load(
        tmp_path,
        _RULE.format(cond="m"),
        "- macro: m\n  condition: proc.name in (shells)\n- list: shells\n  items: [bash]\n",
    )
    assert not rs.errors
    assert _fires(rs, "bash")


def test_append_to_undefined_list_is_a_positioned_error(tmp_path: Path) -> None:
    rs = _load(
        tmp_path, _RULE.format(cond="proc.name = x"), "- list: l\n  items: [a]\n  append: true\n"
    )
    (err,) = rs.errors
    assert err.code == "append-undefined"
    assert err.position is not None and err.position.file.endswith("f1.yaml")
    assert err.position.line == 1


def test_rule_override_condition_append_and_enabled_replace(tmp_path: Path) -> None:
    base = _RULE.format(cond="proc.name = bash")
    rs = _load(
        tmp_path,
        base,
        "- rule: r\n  condition: and proc.pid = 7\n  override:\n    condition: append\n",
    )
    assert not _fires(rs, "bash")
    rs = _load(tmp_path, base, "- rule: r\n  enabled: false\n  override:\n    enabled: replace\n")
    assert [r.name for r in rs.rules] == []
