"""HH-IMG-002 (no shell) and HH-IMG-003 (no package manager): distroless style.

Candidates are looked up by name in the usual executable directories and resolved through
symlinks (``/bin/sh -> dash``, usrmerge's ``/bin -> usr/bin``, busybox applets), so each
real executable is reported once, with the layer that brought it.

Decision on language package managers (pip, npm, yarn, gem, ...): they can install code at
run time just like apt, but many application images legitimately keep them (a venv's pip,
node's bundled npm). They are reported as ``warn``; OS package managers ``fail``.
"""

from __future__ import annotations

from collections.abc import Sequence

from hardhull.hardening.common import (
    CheckInfo,
    all_entries,
    capped,
    make_finding,
    no_files_finding,
    short_layer,
)
from hardhull.model import FileEntry, Finding, Sbom, Severity, Status
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree

SHELL_INFO = CheckInfo(
    id="HH-IMG-002",
    title="No shell in the final image",
    severity=Severity.MEDIUM,
    fix="Use a distroless or scratch final stage (multi-stage build) and copy only the "
    "application into it.",
)
PM_INFO = CheckInfo(
    id="HH-IMG-003",
    title="No package manager in the final image",
    severity=Severity.MEDIUM,
    fix="Install packages in a build stage and copy the result into a final stage without "
    "the package manager (distroless style); remove pip/npm when the app does not need them.",
)

SHELLS = (
    "sh",
    "bash",
    "ash",
    "dash",
    "zsh",
    "ksh",
    "mksh",
    "ksh93",
    "csh",
    "tcsh",
    "fish",
    "busybox",
    "toybox",
)
OS_PACKAGE_MANAGERS = (
    "apt",
    "apt-get",
    "aptitude",
    "dpkg",
    "apk",
    "rpm",
    "dnf",
    "dnf5",
    "yum",
    "microdnf",
    "tdnf",
    "zypper",
    "pacman",
    "opkg",
)
LANGUAGE_PACKAGE_MANAGERS = (
    "pip",
    "pip3",
    "pipx",
    "uv",
    "poetry",
    "conda",
    "npm",
    "npx",
    "yarn",
    "pnpm",
    "gem",
    "bundle",
    "composer",
)
_BIN_DIRS = ("/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin")


def _names(names: Sequence[str]) -> tuple[str, ...]:
    return tuple(f"/{n}" for n in names)


_SHELL_SUFFIXES = _names(SHELLS)
_OS_PM_SUFFIXES = _names(OS_PACKAGE_MANAGERS)
_LANG_PM_SUFFIXES = _names(LANGUAGE_PACKAGE_MANAGERS)


def _in_bin_dir(path: str) -> bool:
    parent = path.rpartition("/")[0]
    return parent in _BIN_DIRS or parent.endswith(("/bin", "/sbin"))


def _is_pip_version(name: str) -> bool:
    """``pip3.11`` and friends."""
    return name.startswith("pip3.") and name[5:].isdigit()


def find_executables(
    sbom: Sbom, tree: FileTree, suffixes: tuple[str, ...], *, pip_versions: bool = False
) -> list[tuple[FileEntry, FileEntry]]:
    """``(named path, resolved executable)`` for every bin-dir path named in ``suffixes``,
    one per distinct resolved file (the shortest name wins), sorted by named path."""
    seen: dict[str, tuple[FileEntry, FileEntry]] = {}
    for entry in all_entries(sbom, tree):
        path = entry.path
        if "bin/" not in path:  # one C-level test rejects nearly every path
            continue
        if not path.endswith(suffixes) and not (
            pip_versions and _is_pip_version(path.rpartition("/")[2])
        ):
            continue
        if not _in_bin_dir(path):
            continue
        target = tree.resolve(path)
        if target is None or not target.is_regular:
            continue
        known = seen.get(target.path)
        if known is None or (len(path), path) < (len(known[0].path), known[0].path):
            seen[target.path] = (entry, target)
    return sorted(seen.values(), key=lambda pair: pair[0].path)


def _violation(
    info: CheckInfo,
    status: Status,
    severity: Severity,
    what: str,
    named: FileEntry,
    target: FileEntry,
) -> Finding:
    evidence = [("path", named.path), ("layer", target.layer or "-")]
    if target.path != named.path:
        evidence.append(("resolves_to", target.path))
    return make_finding(
        info,
        status,
        named.path,
        f"{what} {named.path}"
        + (f" (-> {target.path})" if target.path != named.path else "")
        + f", layer {short_layer(target.layer)}",
        severity=severity,
        evidence=evidence,
        layer=target.layer,
        path=target.path,
    )


class NoShellCheck:
    """Fails for every shell (``sh``, ``bash``, ``busybox``...) found in an executable dir."""

    id = SHELL_INFO.id
    title = SHELL_INFO.title
    severity = SHELL_INFO.severity
    selectors: tuple[Selector, ...] = ()

    def evaluate(self, sbom: Sbom, tree: FileTree) -> list[Finding]:
        """One ``fail`` per shell executable, or one ``pass``."""
        if len(tree) == 0:
            return [no_files_finding(SHELL_INFO, sbom)]
        found = find_executables(sbom, tree, _SHELL_SUFFIXES)
        if not found:
            return [
                make_finding(
                    SHELL_INFO,
                    Status.PASS,
                    "image",
                    "no shell found in " + ", ".join(_BIN_DIRS) + " or any other bin dir",
                )
            ]
        return capped(
            SHELL_INFO,
            [
                _violation(SHELL_INFO, Status.FAIL, SHELL_INFO.severity, "shell", n, t)
                for n, t in found
            ],
        )


class NoPackageManagerCheck:
    """OS package managers fail; language package managers (pip, npm, ...) warn."""

    id = PM_INFO.id
    title = PM_INFO.title
    severity = PM_INFO.severity
    selectors: tuple[Selector, ...] = ()

    def evaluate(self, sbom: Sbom, tree: FileTree) -> list[Finding]:
        """One finding per package manager executable, or one ``pass``."""
        if len(tree) == 0:
            return [no_files_finding(PM_INFO, sbom)]
        findings: list[Finding] = []
        for named, target in find_executables(
            sbom, tree, _OS_PM_SUFFIXES + _LANG_PM_SUFFIXES, pip_versions=True
        ):
            if named.path.endswith(_OS_PM_SUFFIXES):
                findings.append(
                    _violation(
                        PM_INFO, Status.FAIL, PM_INFO.severity, "OS package manager", named, target
                    )
                )
            else:
                findings.append(
                    _violation(
                        PM_INFO,
                        Status.WARN,
                        Severity.LOW,
                        "language package manager",
                        named,
                        target,
                    )
                )
        if not findings:
            return [make_finding(PM_INFO, Status.PASS, "image", "no package manager found")]
        findings.sort(key=lambda f: (f.status is not Status.FAIL, f.subject))
        return capped(PM_INFO, findings)
