"""Squashing real tar layers: whiteouts, opaque dirs, links, attribution, captures."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from tests.unit.sources.layerkit import M, d, f, hard, layer, opq, sym, wh

from hardhull.model import FileKind
from hardhull.sources.base import LayerBlob, Selector, SourceOptions
from hardhull.sources.filetree import FileTree
from hardhull.sources.layers import build_tree


def tree_of(tmp_path: Path, *layers: LayerBlob, selectors: tuple[Selector, ...] = ()) -> FileTree:
    return build_tree(layers, selectors, tmp_path, SourceOptions(workers=2))


def paths(tree: FileTree) -> list[str]:
    return [e.path for e in tree.entries()]


def test_later_layers_override_and_attribution(tmp_path: Path) -> None:
    l1 = layer(d("etc"), f("etc/a", "one"), f("etc/b", "b"))
    l2 = layer(f("etc/a", "two", mode=0o600))
    tree = tree_of(tmp_path, l1, l2)
    assert paths(tree) == ["/etc", "/etc/a", "/etc/b"]
    a = tree.get("/etc/a")
    assert a is not None and a.layer == l2.info.digest and a.size == 3 and a.mode == 0o600
    assert tree.get("/etc/b").layer == l1.info.digest  # type: ignore[union-attr]
    assert tree.layers == (l1.info, l2.info)


def test_whiteout_deletes_path_and_subtree(tmp_path: Path) -> None:
    l1 = layer(d("opt"), d("opt/app"), f("opt/app/x", "x"), d("opt/app/sub"), f("opt/app/sub/y"))
    l1b = layer(f("opt/apple", "keep"), f("opt/app.txt", "keep"))
    l2 = layer(wh("opt/app"))
    tree = tree_of(tmp_path, l1, l1b, l2)
    assert paths(tree) == ["/opt", "/opt/app.txt", "/opt/apple"]
    # the whiteout marker itself never appears
    assert not any(".wh." in p for p in paths(tree))


def test_whiteout_then_recreate_in_later_layer(tmp_path: Path) -> None:
    l1 = layer(f("etc/conf", "old"))
    l2 = layer(wh("etc/conf"))
    l3 = layer(f("etc/conf", "new"))
    sel = Selector("conf", lambda e: e.path == "/etc/conf")
    tree = tree_of(tmp_path, l1, l2, l3, selectors=(sel,))
    assert tree.get("/etc/conf").layer == l3.info.digest  # type: ignore[union-attr]
    assert tree.read_bytes("conf", "/etc/conf") == b"new"


def test_opaque_dir_hides_lower_but_keeps_same_layer(tmp_path: Path) -> None:
    l1 = layer(d("data"), f("data/old1"), d("data/deep"), f("data/deep/old2"), f("other"))
    l2 = layer(d("data"), opq("data"), f("data/new"))
    tree = tree_of(tmp_path, l1, l2)
    assert paths(tree) == ["/data", "/data/new", "/other"]
    # the opaque marker may come after the layer's own entries, too
    l2b = layer(d("data"), f("data/new"), opq("data"))
    assert paths(tree_of(tmp_path, l1, l2b)) == ["/data", "/data/new", "/other"]


def test_directory_replaced_by_file_drops_its_subtree(tmp_path: Path) -> None:
    l1 = layer(d("srv"), f("srv/a"), d("srv/b"), f("srv/b/c"))
    l2 = layer(f("srv", "now a file"))
    tree = tree_of(tmp_path, l1, l2)
    assert paths(tree) == ["/srv"]
    assert tree.get("/srv").kind is FileKind.FILE  # type: ignore[union-attr]


def test_symlinks_keep_raw_target_and_resolve_inside_root(tmp_path: Path) -> None:
    l1 = layer(d("usr/bin"), f("usr/bin/tool", "T", 0o755), sym("bin", "usr/bin"))
    l2 = layer(sym("etc/escape", "../../../../../usr/bin/tool"), sym("loop", "loop"))
    tree = tree_of(tmp_path, l1, l2)
    link = tree.get("/bin")
    assert link is not None and link.kind is FileKind.SYMLINK and link.link == "usr/bin"
    assert tree.resolve("/bin/tool").path == "/usr/bin/tool"  # type: ignore[union-attr]
    assert tree.get("/etc/escape").link == "../../../../../usr/bin/tool"  # type: ignore[union-attr]
    assert tree.resolve("/etc/escape").path == "/usr/bin/tool"  # type: ignore[union-attr]
    assert tree.resolve("/loop") is None


def test_hardlinks_get_target_content(tmp_path: Path) -> None:
    content = b"#!/bin/sh\necho hi\n"
    l1 = layer(
        d("usr/bin"), f("usr/bin/real", content, 0o755), hard("usr/bin/alias", "usr/bin/real")
    )
    only_alias = Selector("alias", lambda e: e.path == "/usr/bin/alias")
    both = Selector("both", lambda e: e.path.startswith("/usr/bin/"))
    tree = tree_of(tmp_path, l1, selectors=(only_alias, both))
    alias = tree.get("/usr/bin/alias")
    assert alias is not None and alias.kind is FileKind.HARDLINK
    assert alias.link == "/usr/bin/real" and alias.size == len(content) and alias.is_regular
    # a selector that matched only the link still gets the target's bytes
    assert tree.read_bytes("alias", "/usr/bin/alias") == content
    assert tree.read_bytes("both", "/usr/bin/alias") == content
    assert tree.read_bytes("both", "/usr/bin/real") == content


def test_hardlink_capture_with_reader_from_second_pass(tmp_path: Path) -> None:
    big = b"x" * 5000
    l1 = layer(f("lib/libfoo.so.1", big), hard("lib/libfoo.so", "lib/libfoo.so.1"))
    l2 = layer(f("unrelated", "u"))
    sel = Selector("len", lambda e: e.path == "/lib/libfoo.so", read=lambda e, s, c: len(s.read()))
    tree = tree_of(tmp_path, l1, l2, selectors=(sel,))
    assert tree.capture("len", "/lib/libfoo.so") == 5000


def test_device_files_recorded_never_offered(tmp_path: Path) -> None:
    l1 = layer(
        M("char", "dev/null", mode=0o666),
        M("block", "dev/sda"),
        M("fifo", "run/pipe"),
        f("ok", "1"),
    )
    seen: list[str] = []

    def reader(entry, stream, ctx):  # type: ignore[no-untyped-def]
        seen.append(entry.path)
        return stream.read()

    tree = tree_of(tmp_path, l1, selectors=(Selector("all", lambda e: True, read=reader),))
    assert tree.get("/dev/null").kind is FileKind.CHAR  # type: ignore[union-attr]
    assert tree.get("/dev/sda").kind is FileKind.BLOCK  # type: ignore[union-attr]
    assert tree.get("/run/pipe").kind is FileKind.FIFO  # type: ignore[union-attr]
    assert seen == ["/ok"]


def test_unsafe_member_names_are_normalised_and_reported(tmp_path: Path) -> None:
    l1 = layer(
        f("../../etc/evil", "e"), f("/abs/path", "a"), f("usr/../usr/lib/x", "x"), f("./ok", "o")
    )
    tree = tree_of(tmp_path, l1)
    assert paths(tree) == ["/abs/path", "/etc/evil", "/ok", "/usr/lib/x"]
    unsafe = sorted(g.subject for g in tree.gaps if g.kind == "unsafe-entry")
    assert unsafe == ["/abs/path", "/etc/evil", "/usr/lib/x"]
    assert not (tmp_path / "etc").exists() and not Path("/abs/path").exists()


def test_captures_follow_the_final_view(tmp_path: Path) -> None:
    sel = Selector("cfg", lambda e: e.path.startswith("/cfg/"))
    l1 = layer(
        f("cfg/kept", "k"), f("cfg/overridden", "o1"), f("cfg/deleted", "d"), f("cfg/dup", "1")
    )
    l2 = layer(sym("cfg/overridden", "kept"), wh("cfg/deleted"))
    l3 = layer(f("cfg/dup", "first"), f("cfg/dup", "second"))
    tree = tree_of(tmp_path, l1, l2, l3, selectors=(sel,))
    got = {e.path: v for e, v in tree.captured("cfg")}
    assert got == {"/cfg/kept": b"k", "/cfg/dup": b"second"}


def test_dup_member_in_one_layer_drops_stale_capture(tmp_path: Path) -> None:
    sel = Selector("x", lambda e: e.path == "/x")
    l1 = layer(f("x", "data"), sym("x", "elsewhere"))
    tree = tree_of(tmp_path, l1, selectors=(sel,))
    assert tree.get("/x").kind is FileKind.SYMLINK  # type: ignore[union-attr]
    assert tree.capture("x", "/x") is None


def test_too_large_is_a_gap_and_not_read(tmp_path: Path) -> None:
    calls: list[str] = []

    def reader(entry, stream, ctx):  # type: ignore[no-untyped-def]
        calls.append(entry.path)
        return None

    small = Selector("small", lambda e: e.path == "/big", max_size=100)
    rd = Selector("rd", lambda e: e.path == "/big", read=reader, max_size=10)
    tree = tree_of(tmp_path, layer(f("big", b"z" * 1000)), selectors=(small, rd))
    assert tree.capture("small", "/big") is None
    gaps = [g for g in tree.gaps if g.kind == "too-large"]
    assert {g.subject for g in gaps} == {"/big"} and len(gaps) == 2
    assert "1000 bytes" in gaps[0].detail
    assert calls == []


def test_failing_reader_is_a_gap(tmp_path: Path) -> None:
    def boom(entry, stream, ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("parser bug")

    sel = Selector("boom", lambda e: e.path == "/a", read=boom)
    ok = Selector("ok", lambda e: e.path == "/b")
    tree = tree_of(tmp_path, layer(f("a", "A"), f("b", "B")), selectors=(sel, ok))
    gap = next(g for g in tree.gaps if g.kind == "unreadable-file")
    assert gap.subject == "/a" and "parser bug" in gap.detail and "boom" in gap.detail
    assert tree.read_bytes("ok", "/b") == b"B"


@pytest.mark.parametrize("size", [3000, 9 * 1024 * 1024])
def test_several_readers_each_get_the_whole_file(tmp_path: Path, size: int) -> None:
    data = bytes(range(256)) * (size // 256)

    def first_bytes(entry, stream, ctx):  # type: ignore[no-untyped-def]
        value = stream.read(16)
        stream.close()  # a careless reader must not spoil the next one
        return value

    def total(entry, stream, ctx):  # type: ignore[no-untyped-def]
        n = 0
        while chunk := stream.read(65536):
            n += len(chunk)
        return n

    sels = (
        Selector("head", lambda e: e.path == "/blob", read=first_bytes),
        Selector("len", lambda e: e.path == "/blob", read=total),
        Selector("raw", lambda e: e.path == "/blob", max_size=size),
    )
    tree = tree_of(tmp_path, layer(f("blob", data)), selectors=sels)
    assert tree.capture("head", "/blob") == data[:16]
    assert tree.capture("len", "/blob") == len(data)
    assert tree.read_bytes("raw", "/blob") == data
    assert list(tmp_path.iterdir()) == []  # the spool is gone


def test_reader_returning_none_stores_nothing(tmp_path: Path) -> None:
    sel = Selector("none", lambda e: True, read=lambda e, s, c: None)
    tree = tree_of(tmp_path, layer(f("a", "A")), selectors=(sel,))
    assert list(tree.captured("none")) == []


def test_many_layers_merge_in_order(tmp_path: Path) -> None:
    layers = [layer(f("counter", str(i)), f(f"only{i}", "x")) for i in range(12)]
    sel = Selector("c", lambda e: e.path == "/counter")
    tree = tree_of(tmp_path, *layers, selectors=(sel,))
    assert tree.read_bytes("c", "/counter") == b"11"
    assert tree.get("/counter").layer == layers[-1].info.digest  # type: ignore[union-attr]
    assert len(tree) == 13


def test_empty_layers(tmp_path: Path) -> None:
    from tests.unit.sources.layerkit import blob_of

    tree = tree_of(tmp_path, blob_of(b""), layer(), layer(how="gzip"), layer(f("a")))
    assert paths(tree) == ["/a"]


def test_hardlink_second_read_only_when_needed(tmp_path: Path) -> None:
    from tests.unit.sources.layerkit import blob_of, tar_bytes

    opens: list[int] = []

    def counting(data: bytes) -> io.BytesIO:
        opens.append(1)
        return io.BytesIO(data)

    tar = tar_bytes(f("bin/real", "ELF", 0o755), hard("bin/alias", "bin/real"))
    # the target went through the same selector (which kept nothing): no second read
    every = Selector("exe", lambda e: e.is_executable, read=lambda e, s, c: None)
    tree = tree_of(tmp_path, blob_of(tar, opener=counting), selectors=(every,))
    assert opens == [1] and list(tree.captured("exe")) == []
    # only the link matches: its target's layer is read a second time, for it alone
    only = Selector("alias", lambda e: e.path == "/bin/alias")
    tree = tree_of(tmp_path, blob_of(tar, opener=counting), selectors=(only,))
    assert opens == [1, 1, 1] and tree.read_bytes("alias", "/bin/alias") == b"ELF"
