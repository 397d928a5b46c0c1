"""OS identity from os-release and the older release files."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.catalog_os.treekit import tree_from_dir

from hardhull.catalog.distro import (
    DISTRO_SELECTORS,
    identify_distro,
    parse_os_release,
    parse_shell_value,
)
from hardhull.model import Distro, FileEntry, FileKind
from hardhull.sources.filetree import FileTree

DEBIAN12 = """PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
"""


def _tree(files: dict[str, str], links: dict[str, str] | None = None) -> FileTree:
    entries: dict[str, FileEntry] = {}
    captures: dict[str, dict[str, object]] = {"distro": {}}
    for path, text in files.items():
        entry = FileEntry(path, FileKind.FILE, 0o644, len(text))
        entries[path] = entry
        if any(s.match(entry) for s in DISTRO_SELECTORS):
            captures["distro"][path] = text.encode()
    for path, target in (links or {}).items():
        entries[path] = FileEntry(path, FileKind.SYMLINK, 0o777, 0, link=target)
    return FileTree(entries, captures)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('"Debian GNU/Linux 12 (bookworm)"', "Debian GNU/Linux 12 (bookworm)"),
        ("'single $quoted \\n'", "single $quoted \\n"),
        ('"a \\"b\\" \\$HOME \\\\ \\x"', 'a "b" $HOME \\ \\x'),
        ("bookworm", "bookworm"),
        ("plain\\ escaped", "plain escaped"),
        ("12 # trailing comment", "12"),
        ("\"con\"'cat'enated", "concatenated"),
        ('""', ""),
    ],
)
def test_shell_value_quoting(raw: str, expected: str) -> None:
    assert parse_shell_value(raw) == expected


def test_os_release_fields_skip_comments_and_junk() -> None:
    fields = parse_os_release('# comment\n\nID=alpine\nnot a field\nVERSION_ID="3.20.1"\n')
    assert fields == {"ID": "alpine", "VERSION_ID": "3.20.1"}


def test_os_release_symlink_is_followed() -> None:
    tree = _tree({"/usr/lib/os-release": DEBIAN12}, {"/etc/os-release": "../usr/lib/os-release"})
    assert identify_distro(tree) == Distro(
        id="debian",
        version_id="12",
        name="Debian GNU/Linux",
        pretty_name="Debian GNU/Linux 12 (bookworm)",
        version_codename="bookworm",
    )


def test_etc_os_release_wins_over_usr_lib() -> None:
    tree = _tree(
        {
            "/etc/os-release": 'ID="rhel"\nVERSION_ID="9.4"\nID_LIKE="fedora"\n',
            "/usr/lib/os-release": DEBIAN12,
        }
    )
    distro = identify_distro(tree)
    assert distro is not None
    assert (distro.id, distro.version_id, distro.id_like) == ("rhel", "9.4", ("fedora",))
    assert distro.purl_qualifier == "rhel-9.4"


def test_distroless_os_release(tmp_path: Path) -> None:
    # gcr.io/distroless/static-debian12 ships a plain /etc/os-release file
    tree = tree_from_dir(
        Path(__file__).parents[2] / "fixtures" / "catalog_os" / "distroless",
        DISTRO_SELECTORS,
        tmp_path,
    )
    distro = identify_distro(tree)
    assert distro is not None
    assert (distro.id, distro.version_id, distro.pretty_name) == (
        "debian",
        "12",
        "Distroless",
    )


def test_id_like_and_missing_id() -> None:
    tree = _tree({"/etc/os-release": 'NAME="Wolfi"\nID_LIKE="Alpine chainguard"\n'})
    distro = identify_distro(tree)
    assert distro is not None
    assert (distro.id, distro.id_like) == ("linux", ("alpine", "chainguard"))


@pytest.mark.parametrize(
    ("files", "ident", "version"),
    [
        ({"/etc/alpine-release": "3.18.4\n"}, "alpine", "3.18.4"),
        ({"/etc/debian_version": "12.5\n"}, "debian", "12"),
        ({"/etc/debian_version": "bookworm/sid\n"}, "debian", None),
        ({"/etc/redhat-release": "Red Hat Enterprise Linux release 8.9 (Ootpa)\n"}, "rhel", "8.9"),
        ({"/etc/centos-release": "CentOS Linux release 7.9.2009 (Core)\n"}, "centos", "7"),
        ({"/etc/redhat-release": "Rocky Linux release 9.3 (Blue Onyx)\n"}, "rocky", "9.3"),
        ({"/etc/redhat-release": "Fedora release 39 (Thirty Nine)\n"}, "fedora", "39"),
        (
            {
                "/etc/lsb-release": "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\n"
                'DISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION="Ubuntu 22.04.4 LTS"\n',
                "/etc/debian_version": "bookworm/sid\n",
            },
            "ubuntu",
            "22.04",
        ),
    ],
)
def test_fallback_release_files(files: dict[str, str], ident: str, version: str | None) -> None:
    distro = identify_distro(_tree(files))
    assert distro is not None
    assert (distro.id, distro.version_id) == (ident, version)


def test_nothing_identifies_scratch() -> None:
    assert identify_distro(_tree({"/app": "binary"})) is None
    assert identify_distro(_tree({"/etc/redhat-release": "garbage\n"})) is None


def test_dangling_os_release_link_falls_back() -> None:
    tree = _tree({"/etc/alpine-release": "3.20.1\n"}, {"/etc/os-release": "/nowhere"})
    distro = identify_distro(tree)
    assert distro is not None
    assert distro.purl_qualifier == "alpine-3.20.1"


def test_selectors_are_exact() -> None:
    (sel,) = DISTRO_SELECTORS
    assert sel.match(FileEntry("/etc/os-release", FileKind.FILE, 0o644, 10))
    assert sel.match(FileEntry("/usr/lib/os-release", FileKind.FILE, 0o644, 10))
    assert not sel.match(FileEntry("/etc/os-release.bak", FileKind.FILE, 0o644, 10))
    assert not sel.match(FileEntry("/x/etc/os-release", FileKind.FILE, 0o644, 10))
