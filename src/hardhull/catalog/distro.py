"""OS identity of a file tree: ``os-release`` first, then the older release files.

Order of preference: ``/etc/os-release`` (followed through symlinks, it is usually
``../usr/lib/os-release``), ``/usr/lib/os-release``, then ``/etc/alpine-release``,
``/etc/redhat-release`` / ``/etc/centos-release`` / ``/etc/system-release``,
``/etc/lsb-release`` (Ubuntu also ships ``debian_version``) and ``/etc/debian_version``.
"""

from __future__ import annotations

import posixpath
import re

from hardhull.model import Distro, FileEntry, FileKind
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree, normalize

SELECTOR = "distro"
_MAX = 64 * 1024

OS_RELEASE_PATHS = ("/etc/os-release", "/usr/lib/os-release")
_FALLBACK_PATHS = (
    "/etc/alpine-release",
    "/etc/redhat-release",
    "/etc/centos-release",
    "/etc/system-release",
    "/etc/debian_version",
    "/etc/lsb-release",
)
_PATHS = frozenset(OS_RELEASE_PATHS + _FALLBACK_PATHS)


def _match(entry: FileEntry) -> bool:
    return entry.path in _PATHS


DISTRO_SELECTORS: tuple[Selector, ...] = (
    Selector(SELECTOR, _match, max_size=_MAX, suffixes=tuple(sorted(_PATHS))),
)

_DQ_ESCAPABLE = frozenset('$"\\`\n')


def parse_shell_value(raw: str) -> str:
    """Unquote one ``os-release`` value the way a POSIX shell assignment would.

    Double quotes allow ``\\$``, ``\\"``, ``\\\\`` and ``\\``` escapes; single quotes
    are literal; unquoted text takes a backslash as "next character literally" and ends
    at unquoted whitespace (anything after it, such as a comment, is ignored).
    """
    out: list[str] = []
    i, n = 0, len(raw)
    mode = ""  # "", "'" or '"'
    while i < n:
        ch = raw[i]
        if mode == "'":
            if ch == "'":
                mode = ""
            else:
                out.append(ch)
        elif mode == '"':
            if ch == '"':
                mode = ""
            elif ch == "\\" and i + 1 < n and raw[i + 1] in _DQ_ESCAPABLE:
                i += 1
                out.append(raw[i])
            else:
                out.append(ch)
        elif ch in "'\"":
            mode = ch
        elif ch == "\\" and i + 1 < n:
            i += 1
            out.append(raw[i])
        elif ch in " \t":
            break
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def parse_os_release(text: str) -> dict[str, str]:
    """``KEY=value`` lines of an os-release (or lsb-release) file, values unquoted."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        key = key.strip()
        if not sep or not key.replace("_", "").isalnum():
            continue
        fields[key] = parse_shell_value(value.strip())
    return fields


def distro_from_os_release(fields: dict[str, str]) -> Distro:
    """A :class:`Distro` from parsed os-release fields (``ID`` defaults to ``linux``)."""
    ident = (fields.get("ID") or "linux").strip().lower()
    return Distro(
        id=ident,
        version_id=fields.get("VERSION_ID") or None,
        name=fields.get("NAME") or None,
        pretty_name=fields.get("PRETTY_NAME") or None,
        version_codename=fields.get("VERSION_CODENAME") or None,
        id_like=tuple(fields.get("ID_LIKE", "").lower().split()),
    )


# "Red Hat Enterprise Linux release 8.9 (Ootpa)", "CentOS Linux release 7.9.2009 (Core)"
_RELEASE_RE = re.compile(r"^(?P<name>.+?)\s+release\s+(?P<version>[0-9][^\s(]*)")
_RELEASE_IDS = (
    ("red hat enterprise linux", "rhel", False),
    ("centos stream", "centos", True),
    ("centos", "centos", True),
    ("rocky", "rocky", False),
    ("almalinux", "almalinux", False),
    ("fedora", "fedora", True),
    ("oracle linux", "ol", False),
    ("amazon linux", "amzn", True),
    ("photon", "photon", False),
)


def _redhat_release(text: str) -> Distro | None:
    line = text.strip().splitlines()[0] if text.strip() else ""
    m = _RELEASE_RE.match(line)
    if not m:
        return None
    name, version = m.group("name"), m.group("version")
    lowered = name.lower()
    for prefix, ident, major_only in _RELEASE_IDS:
        if lowered.startswith(prefix):
            vid = version.split(".")[0] if major_only else version
            return Distro(id=ident, version_id=vid, name=name, pretty_name=line)
    ident = lowered.split()[0]
    return Distro(id=ident, version_id=version, name=name, pretty_name=line)


def _debian_version(text: str) -> Distro:
    value = text.strip()
    major = value.split(".")[0]
    if major.isdigit():
        return Distro(id="debian", version_id=major, name="Debian GNU/Linux")
    codename = value.split("/")[0] or None
    return Distro(id="debian", name="Debian GNU/Linux", version_codename=codename)


def _lsb_release(text: str) -> Distro | None:
    fields = parse_os_release(text)
    ident = fields.get("DISTRIB_ID", "").strip().lower()
    if not ident:
        return None
    return Distro(
        id=ident,
        version_id=fields.get("DISTRIB_RELEASE") or None,
        name=fields.get("DISTRIB_ID") or None,
        pretty_name=fields.get("DISTRIB_DESCRIPTION") or None,
        version_codename=fields.get("DISTRIB_CODENAME") or None,
    )


def _text(tree: FileTree, path: str) -> str | None:
    """Captured text at ``path``, following symlinks inside the tree."""
    entry = tree.resolve(path)
    if entry is None:
        return None
    data = tree.read_bytes(SELECTOR, entry.path)
    if data is None:
        return None
    return data.decode("utf-8", errors="replace")


def identify_distro(tree: FileTree) -> Distro | None:
    """The distribution of ``tree``, or ``None`` when nothing identifies one."""
    for path in OS_RELEASE_PATHS:
        text = _text(tree, path)
        if text is not None:
            fields = parse_os_release(text)
            if fields.get("ID") or fields.get("NAME"):
                return distro_from_os_release(fields)
    text = _text(tree, "/etc/alpine-release")
    if text and text.strip():
        return Distro(id="alpine", version_id=text.strip().split()[0], name="Alpine Linux")
    for path in ("/etc/redhat-release", "/etc/centos-release", "/etc/system-release"):
        text = _text(tree, path)
        if text:
            found = _redhat_release(text)
            if found is not None:
                return found
    text = _text(tree, "/etc/lsb-release")
    lsb = _lsb_release(text) if text else None
    if lsb is not None:
        return lsb
    text = _text(tree, "/etc/debian_version")
    if text and text.strip():
        return _debian_version(text)
    return None


_TOP_LINKABLE = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


def merged_usr_aliases(tree: FileTree) -> tuple[tuple[str, str], ...]:
    """``(prefix, other spelling)`` pairs for top-level directories that are symlinks.

    On a merged-/usr system (Debian 12, Fedora) ``/lib`` is ``usr/lib``, so a package
    database naming ``/lib/x`` owns ``/usr/lib/x`` too, and the other way round.
    """
    pairs: list[tuple[str, str]] = []
    for top in _TOP_LINKABLE:
        entry = tree.get(top)
        if entry is None or entry.kind is not FileKind.SYMLINK or not entry.link:
            continue
        target = normalize(posixpath.join("/", entry.link))
        if target in ("/", top) or target.count("/") > 2:
            continue  # only /usr/<dir> style targets are merged-/usr aliases
        pairs.append((top, target))
        pairs.append((target, top))
    return tuple(pairs)


def add_aliases(paths: set[str], aliases: tuple[tuple[str, str], ...]) -> set[str]:
    """``paths`` plus, for each, its spelling through every merged-/usr alias.

    Aliases are one or two components deep (``/lib``, ``/usr/lib``), so a path is looked
    up by its first one or two components rather than by prefix scans.
    """
    if not aliases:
        return paths
    table: dict[str, list[str]] = {}
    for prefix, other in aliases:
        table.setdefault(prefix, []).append(other)
    extra: list[str] = []
    get = table.get
    for path in paths:
        cut = path.find("/", 1)
        head = path if cut < 0 else path[:cut]
        others = get(head)
        if others is None:
            if head != "/usr" or cut < 0:
                continue
            cut = path.find("/", 5)
            head = path if cut < 0 else path[:cut]
            others = get(head)
            if others is None:
                continue
        rest = path[len(head) :]
        extra.extend([o + rest for o in others])
    paths.update(extra)
    return paths
