"""HH-IMG-004 (no setuid/setgid files) and HH-IMG-005 (no world-writable paths)."""

from __future__ import annotations

from hardhull.hardening.common import (
    CheckInfo,
    all_entries,
    capped,
    make_finding,
    no_files_finding,
    short_layer,
)
from hardhull.model import FileKind, Finding, Sbom, Severity, Status
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree

SUID_INFO = CheckInfo(
    id="HH-IMG-004",
    title="No setuid/setgid files",
    severity=Severity.HIGH,
    fix="Remove the files or their special bits in the build "
    "(`RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} +`), and run as non-root.",
)
WRITABLE_INFO = CheckInfo(
    id="HH-IMG-005",
    title="No world-writable files or directories outside temporary directories",
    severity=Severity.MEDIUM,
    fix="Remove the write bit for others (`chmod o-w PATH`); give the app user its own "
    "writable directory instead.",
)

# Where world-writable content is expected (and anything under them).
TMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock")
_TMP_PREFIXES = tuple(d + "/" for d in TMP_DIRS)
_STICKY = 0o1000
_CHECKED_KINDS = (FileKind.FILE, FileKind.HARDLINK, FileKind.DIR)


def _mode(mode: int) -> str:
    return f"{mode & 0o7777:04o}"


class SetuidCheck:
    """One ``fail`` per regular file with the setuid or setgid bit, naming its layer.

    Setuid-root files are ``high``; setgid-only and non-root setuid files ``medium``.
    """

    id = SUID_INFO.id
    title = SUID_INFO.title
    severity = SUID_INFO.severity
    selectors: tuple[Selector, ...] = ()

    def evaluate(self, sbom: Sbom, tree: FileTree) -> list[Finding]:
        """Every setuid/setgid regular file, or one ``pass``."""
        if len(tree) == 0:
            return [no_files_finding(SUID_INFO, sbom)]
        findings = []
        for entry in all_entries(sbom, tree):
            if not entry.mode & 0o6000 or not entry.is_regular:
                continue
            bits = [b for b, on in (("setuid", entry.is_setuid), ("setgid", entry.is_setgid)) if on]
            owner = "root" if (entry.uid if entry.is_setuid else entry.gid) == 0 else "non-root"
            severity = Severity.HIGH if entry.is_setuid and entry.uid == 0 else Severity.MEDIUM
            findings.append(
                make_finding(
                    SUID_INFO,
                    Status.FAIL,
                    entry.path,
                    f"{entry.path} is {'+'.join(bits)} ({owner}, mode {_mode(entry.mode)}), "
                    f"layer {short_layer(entry.layer)}",
                    severity=severity,
                    evidence=(
                        ("bits", "+".join(bits)),
                        ("mode", _mode(entry.mode)),
                        ("uid", str(entry.uid)),
                        ("gid", str(entry.gid)),
                        ("layer", entry.layer or "-"),
                    ),
                    layer=entry.layer,
                    path=entry.path,
                )
            )
        if not findings:
            return [make_finding(SUID_INFO, Status.PASS, "image", "no setuid/setgid file")]
        return capped(SUID_INFO, findings)


class WorldWritableCheck:
    """World-writable regular files and directories outside :data:`TMP_DIRS`.

    Directories with the sticky bit (like ``/tmp`` itself) are allowed: only the owner may
    delete or rename what is in them. Symlinks (always ``0777``) and device nodes are not
    judged.
    """

    id = WRITABLE_INFO.id
    title = WRITABLE_INFO.title
    severity = WRITABLE_INFO.severity
    selectors: tuple[Selector, ...] = ()

    def evaluate(self, sbom: Sbom, tree: FileTree) -> list[Finding]:
        """One ``fail`` per world-writable path outside the tmp dirs, or one ``pass``."""
        if len(tree) == 0:
            return [no_files_finding(WRITABLE_INFO, sbom)]
        findings = []
        for entry in all_entries(sbom, tree):
            mode = entry.mode
            if not mode & 0o002 or entry.kind not in _CHECKED_KINDS:
                continue
            path = entry.path
            if path in TMP_DIRS or path.startswith(_TMP_PREFIXES):
                continue
            is_dir = entry.kind is FileKind.DIR
            if is_dir and mode & _STICKY:
                continue
            what = "directory" if is_dir else "file"
            findings.append(
                make_finding(
                    WRITABLE_INFO,
                    Status.FAIL,
                    path,
                    f"world-writable {what} {path} (mode {_mode(mode)}), "
                    f"layer {short_layer(entry.layer)}",
                    severity=Severity.MEDIUM if is_dir or entry.is_executable else Severity.LOW,
                    evidence=(("kind", what), ("mode", _mode(mode)), ("layer", entry.layer or "-")),
                    layer=entry.layer,
                    path=path,
                )
            )
        if not findings:
            return [
                make_finding(
                    WRITABLE_INFO,
                    Status.PASS,
                    "image",
                    "no world-writable file or directory outside " + ", ".join(TMP_DIRS),
                )
            ]
        return capped(WRITABLE_INFO, findings)
