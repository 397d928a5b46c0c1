"""Helpers shared by the hardening checks: building findings, seeing the file tree."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hardhull.model import FileEntry, Finding, FindingKind, Location, Sbom, Severity, Status
from hardhull.sources.filetree import FileTree

# One check reports at most this many violations one by one; the rest are counted in a
# last finding, so a `chmod -R 777 /` does not bury the report under 40,000 lines.
MAX_FINDINGS_PER_CHECK = 50


@dataclass(frozen=True, slots=True)
class CheckInfo:
    """The identity every check shares: id, title, nominal severity, and the fix hint."""

    id: str
    title: str
    severity: Severity
    fix: str


def make_finding(
    info: CheckInfo,
    status: Status,
    subject: str,
    message: str,
    *,
    severity: Severity | None = None,
    evidence: Iterable[tuple[str, str]] = (),
    layer: str | None = None,
    path: str | None = None,
) -> Finding:
    """A hardening :class:`Finding` for ``info``; pass/skip findings carry no fix hint."""
    locations = (Location(path, layer),) if path is not None else ()
    return Finding(
        kind=FindingKind.HARDENING,
        status=status,
        severity=severity or info.severity,
        rule_id=info.id,
        title=info.title,
        subject=subject,
        message=message,
        locations=locations,
        evidence=tuple(sorted(evidence)),
        fix=info.fix if status in (Status.FAIL, Status.WARN, Status.ERROR) else None,
    )


def capped(info: CheckInfo, findings: Sequence[Finding]) -> list[Finding]:
    """Keep the first :data:`MAX_FINDINGS_PER_CHECK` findings and count the rest in one."""
    if len(findings) <= MAX_FINDINGS_PER_CHECK:
        return list(findings)
    kept = list(findings[:MAX_FINDINGS_PER_CHECK])
    rest = len(findings) - MAX_FINDINGS_PER_CHECK
    worst = max(findings[MAX_FINDINGS_PER_CHECK:], key=lambda f: f.severity.rank)
    kept.append(
        make_finding(
            info,
            worst.status,
            "(more)",
            f"{rest} more violations of this check were not listed one by one",
            severity=worst.severity,
            evidence=(("not_listed", str(rest)),),
        )
    )
    return kept


def all_entries(sbom: Sbom, tree: FileTree) -> Iterable[FileEntry]:
    """Every path of the squashed view, sorted (the SBOM's file index when it has one).

    Iterated in place: the tree keeps its sorted list, so no check copies it."""
    if sbom.files and len(sbom.files) == len(tree):
        return sbom.files
    return tree.entries()


def no_files_finding(info: CheckInfo, sbom: Sbom) -> Finding:
    """The ``skip`` a file-based check returns when there is no file tree to look at."""
    scheme = sbom.source.scheme
    return make_finding(
        info,
        Status.SKIP,
        sbom.source.target or scheme,
        f"no file tree to examine ({scheme} target): this check could not look",
        evidence=(("scheme", scheme),),
    )


def short_layer(layer: str | None) -> str:
    """``sha256:0123456789ab`` for messages; ``-`` when the path has no layer."""
    if not layer:
        return "-"
    algo, _, hexpart = layer.partition(":")
    return f"{algo}:{hexpart[:12]}" if hexpart else layer[:19]
