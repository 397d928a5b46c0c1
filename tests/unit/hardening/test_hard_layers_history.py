"""``keep_deleted`` selectors: the layer reader keeps captures of deleted/replaced files."""

from __future__ import annotations

from pathlib import Path

from tests.unit.sources.layerkit import f, layer, wh

from hardhull.sources.base import Selector, SourceOptions
from hardhull.sources.layers import build_tree


def _sel(keep: bool) -> Selector:
    return Selector("s", lambda e: e.path.startswith("/app/"), keep_deleted=keep)


def test_history_keeps_every_layer_in_order(tmp_path: Path) -> None:
    layers = [
        layer(f("/app/a", "one"), f("/app/b", "bee"), f("/app/c", "sea")),
        layer(f("/app/a", "two"), wh("/app/b")),
        layer(f("/other", "x")),
    ]
    t = build_tree(layers, [_sel(True)], tmp_path, SourceOptions(workers=2))
    d0, d1 = layers[0].info.digest, layers[1].info.digest
    assert list(t.history("s")) == [
        (d0, "/app/a", b"one"),
        (d0, "/app/b", b"bee"),
        (d0, "/app/c", b"sea"),
        (d1, "/app/a", b"two"),
    ]
    # the squashed captures still follow the final view only
    assert {e.path: v for e, v in t.captured("s")} == {"/app/a": b"two", "/app/c": b"sea"}


def test_no_history_without_keep_deleted(tmp_path: Path) -> None:
    layers = [layer(f("/app/a", "one")), layer(wh("/app/a"))]
    t = build_tree(layers, [_sel(False)], tmp_path, SourceOptions())
    assert list(t.history("s")) == []
    assert list(t.captured("s")) == []


def test_directory_source_history_is_the_final_captures(tmp_path: Path) -> None:
    from hardhull.sources.directory import tree_from_directory

    root = tmp_path / "root"
    (root / "app").mkdir(parents=True)
    (root / "app" / "a").write_text("one")
    work = tmp_path / "work"
    work.mkdir()
    _, t = tree_from_directory(root, [_sel(True)], work, SourceOptions())
    assert list(t.history("s")) == [("", "/app/a", b"one")]
