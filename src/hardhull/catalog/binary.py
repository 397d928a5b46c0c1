"""BinaryCataloger: Go modules and Rust crates recorded inside ELF executables.

Every regular file with an execute bit is probed (:mod:`hardhull.catalog.binprobe`). The
cataloger reports every ELF program it saw as an executable, the ones with Go build info
or cargo-auditable data as identified, and packages for what they embed:

* Go: the main module, each dependency (``pkg:golang/<path>@<version>``) with its
  ``=>`` replacement applied, and a ``stdlib`` package for the toolchain (name ``stdlib``,
  version ``go1.22.1``, purl ``pkg:golang/stdlib@1.22.1``: Syft's convention, which the Go
  vulnerability database's ``stdlib`` module matches). A replacement by a local directory
  (``=> ../lib``) has no version of its own, so the required path and version are kept and
  the directory is recorded in metadata.
* A main module built from a work tree has version ``(devel)``. Like Syft, hardhull then
  tries, in order: a version stamped with ``-ldflags -X <main or module path>/...version=``
  (or ``...Version=``, ``...tag=``); a pseudo-version from the ``vcs.revision`` and
  ``vcs.time`` build settings (``v0.0.0-20240102150405-0123456789ab``). Otherwise it stays
  ``(devel)``; ``version_source`` in the metadata says which applied.
* Rust: every package of the embedded list as ``pkg:cargo/<name>@<version>``.
"""

from __future__ import annotations

import datetime as dt
import re

from hardhull.catalog.auditable import AuditInfo
from hardhull.catalog.base import CatalogResult
from hardhull.catalog.binprobe import ElfProbe, probe_elf
from hardhull.catalog.gobuildinfo import GoBuildInfo, GoModule
from hardhull.catalog.purl import make_purl
from hardhull.model import Distro, FileEntry, Gap, Location, Package, PackageType
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree

SELECTOR = "elf"
DEVEL = "(devel)"
_MAX_ELF = 4 * 1024 * 1024 * 1024
_LDFLAGS_VERSION = (
    r"\.(?:[gG]it)?(?:[bB]uild)?[vV]ersion=(?:\S+/)*(?P<version>v?\d+\.\d+\.\d+[-\w.+]*)",
    r"\.[tT]ag=(?:\S+/)*(?P<version>v?\d+\.\d+\.\d+[-\w.+]*)",
)
_GO_RELEASE = re.compile(r"^go(\d+(?:\.\d+)*)((?:rc|beta)\d+)?$")


def _match_executable(entry: FileEntry) -> bool:
    return entry.is_executable and entry.size >= 52


class BinaryCataloger:
    """Go and Rust packages from executables' embedded metadata; every ELF program seen."""

    name = "binary"
    version = "1"
    selectors: tuple[Selector, ...] = (
        Selector(SELECTOR, _match_executable, probe_elf, max_size=_MAX_ELF),
    )

    def catalog(self, tree: FileTree, distro: Distro | None) -> CatalogResult:
        """Turn the probes captured while reading the tree into packages and coverage."""
        packages: list[Package] = []
        executables: set[str] = set()
        identified: set[str] = set()
        gaps: list[Gap] = []
        for entry, value in tree.captured(SELECTOR):
            if not isinstance(value, ElfProbe):
                continue
            if value.is_executable(entry.path):
                executables.add(entry.path)
            if value.error is not None:
                gaps.append(Gap(value.error_kind or "unreadable-file", entry.path, value.error))
            gaps.extend(Gap("unreadable-file", entry.path, p) for p in value.problems)
            loc = Location(entry.path, entry.layer)
            found: list[Package] = []
            if value.go is not None:
                found.extend(go_packages(value.go, loc, self.name))
            if value.rust is not None:
                found.extend(rust_packages(value.rust, loc, self.name))
            if found:
                identified.add(entry.path)
                packages.extend(found)
        return CatalogResult(
            packages=tuple(packages),
            executables=frozenset(executables),
            identified_files=frozenset(identified),
            gaps=tuple(gaps),
        )


def go_purl(path: str, version: str) -> str:
    """``pkg:golang/<namespace>/<name>@<version>`` for a module path."""
    namespace, _, name = path.rpartition("/")
    return make_purl("golang", name, version or None, namespace=namespace or None)


def _is_local(path: str) -> bool:
    return path.startswith(("./", "../", "/")) or path in (".", "..")


def main_version(info: GoBuildInfo, module_path: str) -> tuple[str, str]:
    """``(version, source)`` for a ``(devel)`` main module (see the module docstring)."""
    ldflags = info.setting("-ldflags") or ""
    prefix = rf"(?:main|{re.escape(module_path)}/\S*)" if module_path else "main"
    for pattern in _LDFLAGS_VERSION:
        m = re.search(prefix + pattern, ldflags)
        if m:
            v = m.group("version")
            return (v if v.startswith("v") else "v" + v), "ldflags"
    rev, when = info.setting("vcs.revision"), info.setting("vcs.time")
    if rev and when:
        try:
            stamp = dt.datetime.fromisoformat(when.replace("Z", "+00:00")).astimezone(dt.UTC)
        except ValueError:
            stamp = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
        return f"v0.0.0-{stamp:%Y%m%d%H%M%S}-{rev[:12]}", "vcs"
    return DEVEL, "buildinfo"


def stdlib_version(go_version: str) -> str | None:
    """``go1.22.1 X:boringcrypto`` -> ``1.22.1``; ``None`` for devel toolchains."""
    m = _GO_RELEASE.match(go_version.split(" ", 1)[0])
    return m.group(1) + (m.group(2) or "") if m else None


def go_packages(info: GoBuildInfo, loc: Location, found_by: str) -> list[Package]:
    """Main module, dependencies and ``stdlib`` of one Go binary."""
    goarch = info.setting("GOARCH")
    common = [("go_version", info.go_version)]
    main = info.main
    if main is None and info.path:
        main = GoModule(info.path, DEVEL)
    main_path = main.path if main is not None else ""
    if main_path:
        common.append(("main_module", main_path))
    out: list[Package] = []
    if main is not None and main.path and main.path != "command-line-arguments":
        version, source = main.version, "buildinfo"
        if version == DEVEL:
            version, source = main_version(info, main.path)
        meta = [*common, ("main", "true"), ("version_source", source)]
        if main.sum:
            meta.append(("h1_digest", main.sum))
        meta.extend(("build." + k, v) for k, v in info.settings)
        out.append(_go_package(main.path, version, loc, found_by, goarch, meta))
    for dep in info.deps:
        meta = list(common)
        path, version, digest = dep.path, dep.version, dep.sum
        if dep.replace is not None:
            if _is_local(dep.replace.path):
                meta.append(("replaced_by_directory", dep.replace.path))
            else:
                meta.append(("replaces", f"{dep.path}@{dep.version}"))
                path, version, digest = dep.replace.path, dep.replace.version, dep.replace.sum
        if digest:
            meta.append(("h1_digest", digest))
        if path:
            out.append(_go_package(path, version, loc, found_by, goarch, meta))
    std = stdlib_version(info.go_version)
    if std is not None:
        meta = [*common, ("stdlib", "true")]
        pkg = Package(
            name="stdlib",
            version=info.go_version.split(" ", 1)[0],
            type=PackageType.GO,
            purl=make_purl("golang", "stdlib", std),
            locations=(loc,),
            found_by=found_by,
            licenses=("BSD-3-Clause",),
            cpes=(f"cpe:2.3:a:golang:go:{std}:-:*:*:*:*:*:*",),
            arch=goarch,
            metadata=tuple(sorted(meta)),
        )
        out.append(pkg)
    return out


def _go_package(
    path: str,
    version: str,
    loc: Location,
    found_by: str,
    arch: str | None,
    meta: list[tuple[str, str]],
) -> Package:
    return Package(
        name=path,
        version=version,
        type=PackageType.GO,
        purl=go_purl(path, version),
        locations=(loc,),
        found_by=found_by,
        arch=arch,
        metadata=tuple(sorted(meta)),
    )


def rust_packages(info: AuditInfo, loc: Location, found_by: str) -> list[Package]:
    """One cargo package per entry of the embedded dependency list."""
    out = []
    for pkg in info.packages:
        meta = [("source", pkg.source), ("kind", pkg.kind), ("evidence", "cargo-auditable")]
        if pkg.root:
            meta.append(("root", "true"))
        if pkg.dependencies:
            names = sorted({info.packages[i].name for i in pkg.dependencies})
            meta.append(("dependencies", ",".join(names)))
        out.append(
            Package(
                name=pkg.name,
                version=pkg.version,
                type=PackageType.CARGO,
                purl=make_purl("cargo", pkg.name, pkg.version),
                locations=(loc,),
                found_by=found_by,
                metadata=tuple(sorted(meta)),
            )
        )
    return out
