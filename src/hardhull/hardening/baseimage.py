"""HH-IMG-007 (base distribution identified and supported) and HH-IMG-010 (base image
pinned by digest)."""

from __future__ import annotations

import datetime as dt
import re

from hardhull.hardening.common import CheckInfo, make_finding
from hardhull.hardening.eol import Lifecycle, lookup
from hardhull.model import Finding, Sbom, Severity, Status
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree

EOL_INFO = CheckInfo(
    id="HH-IMG-007",
    title="Base distribution identified and within its support period",
    severity=Severity.HIGH,
    fix="Rebuild on a supported release of the base image (or a distroless/minimal image "
    "whose publisher keeps it patched).",
)
PIN_INFO = CheckInfo(
    id="HH-IMG-010",
    title="Base image pinned by digest",
    severity=Severity.LOW,
    fix="Reference the base as `FROM name:tag@sha256:<digest>` so rebuilds are reproducible "
    "and a moved tag cannot swap the base silently.",
)

WARN_BEFORE_EOL = dt.timedelta(days=183)  # about six months

BASE_NAME_LABEL = "org.opencontainers.image.base.name"
BASE_DIGEST_LABEL = "org.opencontainers.image.base.digest"
# `FROM [--platform=...] image[:tag][@digest] [AS name]` as some builders record it
_FROM = re.compile(r"(?:^|[\s;&|])FROM\s+(?:--platform=\S+\s+)?([^\s]+)")
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


class BaseImageEolCheck:
    """The distribution (``sbom.distro``) must be known and its release still supported.

    Past its end of life: ``fail``; within :data:`WARN_BEFORE_EOL`: ``warn``; a
    distribution or release missing from :mod:`hardhull.hardening.eol`: ``warn``; no
    distribution at all (scratch, static binaries): ``fail``, since nothing then says
    which OS-level fixes the image is missing.
    """

    id = EOL_INFO.id
    title = EOL_INFO.title
    severity = EOL_INFO.severity
    selectors: tuple[Selector, ...] = ()

    def __init__(self, today: dt.date | None = None) -> None:
        self._today = today

    def evaluate(self, sbom: Sbom, tree: FileTree) -> list[Finding]:
        """One finding about the base distribution's lifecycle."""
        today = self._today or dt.datetime.now(dt.UTC).date()
        distro = sbom.distro
        if distro is None:
            databases = sbom.coverage.package_databases
            note = (
                "no package database either: OS-level vulnerabilities cannot be assessed"
                if not databases
                else f"package databases: {', '.join(databases)}"
            )
            return [
                make_finding(
                    EOL_INFO,
                    Status.FAIL,
                    "distro",
                    f"no base distribution identified (no os-release); {note}",
                    severity=Severity.MEDIUM,
                    evidence=(("distro", "(none)"), ("package_databases", str(len(databases)))),
                )
            ]
        info = lookup(distro)
        name = distro.pretty_name or f"{distro.id} {distro.version_id or ''}".strip()
        evidence = [("distro", distro.id), ("release", info.release or "(none)")]
        if info.lifecycle is Lifecycle.ROLLING:
            return [make_finding(EOL_INFO, Status.PASS, name, info.note, evidence=evidence)]
        if info.lifecycle is Lifecycle.UNKNOWN or info.eol is None:
            return [
                make_finding(
                    EOL_INFO,
                    Status.WARN,
                    name,
                    f"could not identify the end-of-life date of {name}: "
                    "not in hardhull's lifecycle table",
                    severity=Severity.LOW,
                    evidence=evidence,
                )
            ]
        evidence += [("eol", info.eol.isoformat()), ("source", info.source)]
        if info.eol < today:
            return [
                make_finding(
                    EOL_INFO,
                    Status.FAIL,
                    name,
                    f"{name} reached its end of life on {info.eol.isoformat()}: "
                    "no more security updates",
                    evidence=evidence,
                )
            ]
        if info.eol - today <= WARN_BEFORE_EOL:
            return [
                make_finding(
                    EOL_INFO,
                    Status.WARN,
                    name,
                    f"{name} reaches its end of life on {info.eol.isoformat()} "
                    f"({(info.eol - today).days} days left)",
                    severity=Severity.MEDIUM,
                    evidence=evidence,
                )
            ]
        return [
            make_finding(
                EOL_INFO,
                Status.PASS,
                name,
                f"{name} is supported until {info.eol.isoformat()}",
                evidence=evidence,
            )
        ]


def base_reference(labels: dict[str, str], history: tuple[str, ...]) -> tuple[str, str] | None:
    """``(reference, where)``: the base image as the labels or the history record it."""
    name = labels.get(BASE_NAME_LABEL)
    digest = labels.get(BASE_DIGEST_LABEL)
    if name:
        if digest and "@" not in name:
            return f"{name}@{digest}", "labels"
        return name, f"label {BASE_NAME_LABEL}"
    if digest:
        return f"@{digest}", f"label {BASE_DIGEST_LABEL}"
    for line in history:
        match = _FROM.search(line)
        if match and match.group(1).lower() != "scratch":
            return match.group(1), "history"
    return None


class PinnedBaseCheck:
    """The base image reference, where labels or history show it, carries a digest."""

    id = PIN_INFO.id
    title = PIN_INFO.title
    severity = PIN_INFO.severity
    selectors: tuple[Selector, ...] = ()

    def evaluate(self, sbom: Sbom, tree: FileTree) -> list[Finding]:
        """``pass`` for a digest, ``warn`` for a tag, ``skip`` when nothing records it."""
        config = sbom.source.config
        if config is None:
            return [
                make_finding(
                    PIN_INFO,
                    Status.SKIP,
                    "config",
                    f"no image configuration ({sbom.source.scheme} target)",
                )
            ]
        found = base_reference(dict(config.labels), config.history)
        if found is None:
            return [
                make_finding(
                    PIN_INFO,
                    Status.SKIP,
                    "base",
                    "not determinable: neither the labels "
                    f"({BASE_NAME_LABEL}, {BASE_DIGEST_LABEL}) nor the history name the base",
                )
            ]
        ref, where = found
        evidence = (("reference", ref), ("from", where))
        if _DIGEST.search(ref):
            return [
                make_finding(
                    PIN_INFO, Status.PASS, ref, f"base {ref} is pinned by digest", evidence=evidence
                )
            ]
        return [
            make_finding(
                PIN_INFO,
                Status.WARN,
                ref,
                f"base {ref} ({where}) is referenced by tag, not by digest",
                evidence=evidence,
            )
        ]
