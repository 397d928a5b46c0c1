"""FileTree lookups and symlink resolution confined to the image root."""

from __future__ import annotations

from hardhull.model import FileEntry, FileKind
from hardhull.sources.filetree import FileTree, normalize


def _e(path: str, kind: FileKind = FileKind.FILE, link: str | None = None) -> FileEntry:
    return FileEntry(path, kind, 0o644, 1, "sha256:x", link=link)


def _tree() -> FileTree:
    entries = [
        _e("/usr", FileKind.DIR),
        _e("/usr/lib", FileKind.DIR),
        _e("/usr/lib/os-release"),
        _e("/etc", FileKind.DIR),
        _e("/etc/os-release", FileKind.SYMLINK, "../usr/lib/os-release"),
        _e("/lib", FileKind.SYMLINK, "usr/lib"),
        _e("/escape", FileKind.SYMLINK, "../../../../usr/lib/os-release"),
        _e("/abs", FileKind.SYMLINK, "/usr/lib/os-release"),
        _e("/loop1", FileKind.SYMLINK, "/loop2"),
        _e("/loop2", FileKind.SYMLINK, "/loop1"),
        _e("/dangling", FileKind.SYMLINK, "/nowhere"),
    ]
    return FileTree({e.path: e for e in entries}, {"sel": {"/usr/lib/os-release": b"ID=x\n"}})


def test_normalize_never_climbs_above_root() -> None:
    assert normalize("../../etc/passwd") == "/etc/passwd"
    assert normalize("usr/bin/../lib/") == "/usr/lib"
    assert normalize("/") == "/"
    assert normalize("") == "/"


def test_resolve_follows_links_inside_the_root() -> None:
    tree = _tree()
    for path in ("/etc/os-release", "/lib/os-release", "/escape", "/abs"):
        resolved = tree.resolve(path)
        assert resolved is not None and resolved.path == "/usr/lib/os-release", path


def test_resolve_gives_none_for_loops_and_dangling_links() -> None:
    tree = _tree()
    assert tree.resolve("/loop1") is None
    assert tree.resolve("/dangling") is None


def test_captures_are_listed_sorted_and_by_path() -> None:
    tree = _tree()
    assert tree.read_bytes("sel", "usr/lib/os-release") == b"ID=x\n"
    assert [e.path for e, _ in tree.captured("sel")] == ["/usr/lib/os-release"]
    assert tree.capture("other", "/usr/lib/os-release") is None
    assert "/etc/os-release" in tree and len(tree) == 11
