"""Advisories as the vulnerability database stores them (OSV-shaped), no I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EventKind(StrEnum):
    """OSV range events."""

    INTRODUCED = "introduced"
    FIXED = "fixed"
    LAST_AFFECTED = "last_affected"
    LIMIT = "limit"


@dataclass(frozen=True, slots=True)
class RangeEvent:
    """One event of an OSV range (``introduced: "0"`` means from the beginning)."""

    kind: EventKind
    value: str


@dataclass(frozen=True, slots=True)
class AffectedRange:
    """An OSV range: ``type`` is ``ECOSYSTEM``, ``SEMVER`` or ``GIT``; events in order."""

    type: str
    events: tuple[RangeEvent, ...]


@dataclass(frozen=True, slots=True)
class SeverityScore:
    """An advisory's own severity: ``type`` ``CVSS_V2``/``CVSS_V3``/``CVSS_V4`` with a
    vector as ``score``, or a distro label (``type`` ``Debian``/``Ubuntu``/..., ``score``
    ``low``/``medium``/``high``/``unimportant``...)."""

    type: str
    score: str


@dataclass(frozen=True, slots=True)
class Affected:
    """One ``affected[]`` entry: a package in an ecosystem and the versions it covers.

    ``ecosystem`` is the OSV name with its release suffix (``Debian:12``, ``Alpine:v3.20``,
    ``PyPI``, ``npm``, ``Go``); ``name`` is as the advisory spells it (a source package for
    distros). ``severity`` holds per-package severity when the record gives one.
    ``database_specific`` holds sorted ``(key, text)`` notes an importer kept from the
    source (e.g. an npm range it could not translate exactly: ``npm_vulnerable_versions``
    and ``untranslated``); matchers may use them to report a coverage note.
    """

    ecosystem: str
    name: str
    ranges: tuple[AffectedRange, ...] = ()
    versions: tuple[str, ...] = ()
    purl: str | None = None
    severity: tuple[SeverityScore, ...] = ()
    database_specific: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Advisory:
    """One advisory (an OSV record, or a record of another feed mapped onto that shape)."""

    id: str
    modified: str
    affected: tuple[Affected, ...]
    aliases: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    summary: str = ""
    details: str = ""
    published: str | None = None
    withdrawn: str | None = None
    severity: tuple[SeverityScore, ...] = ()
    references: tuple[str, ...] = ()
    source: str = ""
