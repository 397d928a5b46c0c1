"""Installed Ruby gems: ``specifications/*.gemspec`` (and ``specifications/default/``).

An installed specification is Ruby source that RubyGems generated, one assignment per
line (``s.name = "rake".freeze``). It is read with a few tolerant patterns, never
evaluated: string literals in double or single quotes or ``%q{}``-style, an optional
``.freeze``, ``Gem::Version.new("x")`` for versions, ``s.licenses = [...]`` or
``s.license = "..."``. The ``# stub: NAME VERSION PLATFORM`` comment RubyGems writes at the
top fills in whatever the assignments do not give.

Executables a gem declares (``s.executables`` under ``s.bindir``, default ``bin``) are
attributed to it when they exist: in ``<GEM_HOME>/gems/<name>-<version>/<bindir>/`` and as
wrappers in ``<GEM_HOME>/bin/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hardhull.catalog.base import CatalogResult
from hardhull.catalog.lang_util import captured_bytes, location, parent, unique, unparsable
from hardhull.catalog.purl import make_purl
from hardhull.errors import CatalogError
from hardhull.model import Distro, FileEntry, Gap, Package, PackageType
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree

SELECTOR = "gem-specification"
_MAX_SPEC = 4 * 1024 * 1024

# One Ruby string literal: "x", 'x', %q{x}, %Q<x>, %q(x), %q[x], %{x}.
_STR = (
    r"""(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'"""
    r"""|%[qQ]?(?:\{([^}]*)\}|<([^>]*)>|\(([^)]*)\)|\[([^\]]*)\]))"""
)
_STR_RE = re.compile(_STR)


def _assign(attr: str, prefix: str = "") -> re.Pattern[str]:
    return re.compile(rf"^\s*\w+\.{attr}\s*=\s*{prefix}{_STR}", re.MULTILINE)


_NAME = _assign("name")
_VERSION = _assign("version", r"(?:Gem::Version\.new\(\s*)?")
_PLATFORM = _assign("platform")
_BINDIR = _assign("bindir")
_LICENSES = re.compile(r"^\s*\w+\.licenses?\s*=\s*(\[[^\]]*\]|" + _STR + ")", re.MULTILINE)
_EXECUTABLES = re.compile(r"^\s*\w+\.executables\s*=\s*(\[[^\]]*\])", re.MULTILINE)
_STUB = re.compile(r"^#\s*stub:\s+(\S+)\s+(\S+)(?:\s+(\S+))?", re.MULTILINE)


def _match(entry: FileEntry) -> bool:
    path = entry.path
    return path.endswith(".gemspec") and "/specifications/" in path


def _literal(match: re.Match[str], first_group: int) -> str:
    for value in match.groups()[first_group - 1 : first_group + 5]:
        if value is not None:
            return value.replace('\\"', '"').replace("\\'", "'")
    return ""


def _strings(source: str) -> list[str]:
    return [_literal(m, 1) for m in _STR_RE.finditer(source)]


@dataclass(frozen=True, slots=True)
class Gemspec:
    """What the cataloger reads from one installed specification."""

    name: str
    version: str
    platform: str = "ruby"
    licenses: tuple[str, ...] = ()
    bindir: str = "bin"
    executables: tuple[str, ...] = ()


class GemspecError(CatalogError, ValueError):
    """A specification without a readable name or version."""


def parse_gemspec(text: str) -> Gemspec:
    """Read ``name``, ``version``, ``platform``, ``licenses``, ``bindir``, ``executables``."""
    stub = _STUB.search(text)
    name_m = _NAME.search(text)
    version_m = _VERSION.search(text)
    name = _literal(name_m, 1) if name_m else (stub.group(1) if stub else "")
    version = _literal(version_m, 1) if version_m else (stub.group(2) if stub else "")
    if not name or not version:
        missing = " and ".join(k for k, v in (("name", name), ("version", version)) if not v)
        raise GemspecError(f"no {missing} in the gem specification")
    platform_m = _PLATFORM.search(text)
    platform = _literal(platform_m, 1) if platform_m else (stub and stub.group(3)) or "ruby"
    licenses: list[str] = []
    for m in _LICENSES.finditer(text):
        licenses.extend(_strings(m.group(1)))
    bindir_m = _BINDIR.search(text)
    exe_m = _EXECUTABLES.search(text)
    return Gemspec(
        name=name,
        version=version,
        platform=platform,
        licenses=unique(v.strip() for v in licenses),
        bindir=_literal(bindir_m, 1) if bindir_m else "bin",
        executables=tuple(_strings(exe_m.group(1))) if exe_m else (),
    )


def _gem_home(spec_path: str) -> str:
    spec_dir = parent(spec_path)
    if spec_dir.endswith("/specifications/default"):
        spec_dir = parent(spec_dir)
    return parent(spec_dir)


class GemCataloger:
    """Finds installed Ruby gems from their specifications."""

    name = "gem"
    version = "1"
    selectors: tuple[Selector, ...] = (
        Selector(SELECTOR, _match, max_size=_MAX_SPEC, suffixes=(".gemspec",)),
    )

    def catalog(self, tree: FileTree, distro: Distro | None) -> CatalogResult:
        """Every captured gemspec becomes a package or an ``unparsable-database`` gap."""
        packages: list[Package] = []
        gaps: list[Gap] = []
        databases: set[str] = set()
        identified: set[str] = set()
        for entry, data in captured_bytes(tree, SELECTOR):
            try:
                spec = parse_gemspec(data.decode("utf-8", "replace"))
            except GemspecError as exc:
                gaps.append(unparsable(entry.path, str(exc)))
                continue
            name, version, platform = spec.name, spec.version, spec.platform
            databases.add(parent(entry.path))
            packages.append(
                Package(
                    name=name,
                    version=version,
                    type=PackageType.GEM,
                    purl=make_purl(
                        "gem",
                        name,
                        version,
                        qualifiers={"platform": platform} if platform != "ruby" else None,
                    ),
                    locations=(location(entry),),
                    found_by=self.name,
                    licenses=spec.licenses,
                    metadata=(("platform", platform),) if platform != "ruby" else (),
                )
            )
            identified.update(self._executables(tree, entry.path, spec))
        return CatalogResult(
            packages=tuple(packages),
            package_databases=tuple(sorted(databases)),
            identified_files=frozenset(identified),
            gaps=tuple(gaps),
        )

    @staticmethod
    def _executables(tree: FileTree, spec_path: str, spec: Gemspec) -> list[str]:
        home = _gem_home(spec_path)
        stem = spec_path.rpartition("/")[2][: -len(".gemspec")]
        bindir = spec.bindir.strip("/")
        found = []
        for exe in spec.executables:
            if not exe or "/" in exe or exe in (".", ".."):
                continue
            for path in (f"{home}/gems/{stem}/{bindir}/{exe}", f"{home}/bin/{exe}"):
                got = tree.get(path)
                if got is not None and got.is_regular:
                    found.append(path)
        return found
