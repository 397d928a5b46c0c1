"""Manifest loading: documents, lines, lists, JSON, stdin-like streams and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hardhull.errors import UsageError
from hardhull.posture import loader
from hardhull.posture.loader import load_bytes, load_paths

STREAM = b"""# leading comment
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: ns1, labels: {app: x}}
spec: {containers: [{name: c, image: nginx}]}
---
# Source: chart/templates/deploy.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec: {}
---
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Service, metadata: {name: s1}}
- {apiVersion: v1, kind: ServiceAccount, metadata: {name: sa}}
"""


def test_multi_document_lines_and_lists() -> None:
    result = load_bytes(STREAM, "in.yaml")
    refs = [(r.ref.kind, r.ref.name, r.ref.namespace, r.ref.line) for r in result.resources]
    assert refs == [
        ("Pod", "a", "ns1", 2),
        ("Deployment", "web", None, 8),
        ("Service", "s1", None, 18),  # members of a List: their own line
        ("ServiceAccount", "sa", None, 19),
    ]
    assert result.resources[0].labels == (("app", "x"),)
    assert result.resources[0].ref.file == "in.yaml"
    assert result.gaps == ()


def test_malformed_yaml_names_file_and_line_and_keeps_other_documents() -> None:
    data = b"apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\n---\na: b\n  c: [d\nkind: x\n"
    result = load_bytes(data, "bad.yaml")
    assert [r.ref.name for r in result.resources] == ["ok"]
    (gap,) = result.gaps
    assert gap.kind == "malformed-yaml"
    assert gap.subject == "bad.yaml:6"


def test_not_objects_missing_kind_unknown_kinds_and_versions() -> None:
    data = b"""- a
- b
---
just a string
---
metadata: {name: x}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: sm}
---
apiVersion: apps/v9
kind: Deployment
metadata: {name: future}
"""
    result = load_bytes(data, "m.yaml")
    assert result.resources == ()
    kinds = [(g.kind, g.subject) for g in result.gaps]
    assert kinds == [
        ("not-an-object", "m.yaml:1"),
        ("not-an-object", "m.yaml:4"),
        ("not-a-kubernetes-object", "m.yaml:6"),
        ("not-checked", "m.yaml:8"),
        ("not-checked", "m.yaml:12"),
    ]
    assert "unknown API version" in result.gaps[-1].detail


def test_deep_and_huge_documents_are_gaps(monkeypatch: pytest.MonkeyPatch) -> None:
    deep = b"apiVersion: v1\nkind: Pod\nmetadata: {name: d}\nspec: " + b"[" * 150 + b"]" * 150
    result = load_bytes(deep, "deep.yaml")
    assert [g.kind for g in result.gaps] == ["too-deep"]
    flow = b"a: " + b"[" * 5000 + b"]" * 5000
    assert [g.kind for g in load_bytes(flow, "flow.yaml").gaps] == ["malformed-yaml"]
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 10)
    assert [g.kind for g in load_bytes(STREAM, "big.yaml").gaps] == ["too-large"]


def test_json_files_directories_and_missing_paths(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.json").write_text(
        '{"apiVersion": "v1", "kind": "PodList", "items": ['
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}]}'
    )
    (tmp_path / "b.yml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n")
    (tmp_path / "c.json").write_text('{"apiVersion": \n')
    (tmp_path / "notes.txt").write_text("kind: Pod")
    result = load_paths([str(tmp_path)])
    assert sorted(r.ref.name for r in result.resources) == ["n", "p"]
    assert [g.kind for g in result.gaps] == ["malformed-json"]
    assert result.files == 3
    with pytest.raises(UsageError, match="no such file"):
        load_paths([str(tmp_path / "nope.yaml")])


# --- the one-pass builder gives what PyYAML's safe loader gives --------------------------

_CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata: %s\n"
_SAME_AS_PYYAML = [
    "{a: 1, b: [1, 2.5, -3], c: ~, d: null, e: yes, f: On, g: 'yes', h: 0x1F, i: 017}",
    "{a: !!str 12, b: 1e3, c: .inf, d: '', e: \"x\\ty\", f: 2024-01-01}",
    "{a: &p {x: [1, {y: 2}]}, b: *p, c: [*p, *p], s: &s str, t: *s}",
    "{<<: {c: 3}, d: 4}",
    "{bin: !!binary aGVsbG8=, o: !!omap [a: 1]}",
    "{'1': a, 1: b, 1.0: c, true: d, null: e, dup: 1, dup: 2}",
    "[" * 97 + "1" + "]" * 97,
]


@pytest.mark.parametrize("data", _SAME_AS_PYYAML)
def test_documents_are_built_as_pyyaml_builds_them(data: str) -> None:
    text = _CM % ("x", data)
    expected = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    (got,) = load_bytes(text.encode(), "x.yaml").resources
    assert repr(got.obj) == repr(expected)  # repr: 1, 1.0 and True stay apart


def test_aliases_stay_shared_objects() -> None:
    text = _CM % ("x", "{a: &p {x: [1]}, b: *p, c: [*p]}")
    (got,) = load_bytes(text.encode(), "x.yaml").resources
    data = got.obj["data"]
    assert data["a"] is data["b"] is data["c"][0]


@pytest.mark.parametrize(
    ("data", "gap"),
    [
        ("[" * 99 + "]" * 99, None),  # 100 levels of containers with the root: allowed
        ("[" * 100 + "]" * 100, "too-deep"),
        # an alias used deeper than its anchor must still fit
        ("{a: &d " + "[" * 95 + "1" + "]" * 95 + ", b: [[[[[[[[*d]]]]]]]]}", "too-deep"),
        ("{a: &d " + "[" * 90 + "1" + "]" * 90 + ", b: [[[[*d]]]]}", None),
        ("&r {self: *r}", "too-deep"),  # recursive: PyYAML builds it, the depth check stops it
        ("{k: !!int abc}", "malformed-yaml"),
        ("{? [1, 2] : z}", "malformed-yaml"),
        ("!custom {a: 1}", "malformed-yaml"),
    ],
)
def test_depth_and_errors_on_the_fast_path(data: str, gap: str | None) -> None:
    result = load_bytes((_CM % ("x", data)).encode(), "x.yaml")
    assert [g.kind for g in result.gaps] == ([gap] if gap else [])
    assert len(result.resources) == (0 if gap else 1)
