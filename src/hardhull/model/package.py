"""Packages found in an image, and the distribution they belong to."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum


class PackageType(StrEnum):
    """Package formats hardhull catalogs. Values are stable (used in JSON output)."""

    DEB = "deb"
    APK = "apk"
    RPM = "rpm"
    PYTHON = "python"
    NPM = "npm"
    GO = "go-module"
    JAVA = "java-archive"
    GEM = "gem"
    CARGO = "cargo"
    NUGET = "nuget"
    COMPOSER = "composer"
    BINARY = "binary"

    @property
    def is_os(self) -> bool:
        return self in (PackageType.DEB, PackageType.APK, PackageType.RPM)


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """Where a package was found: a path in the image and the layer that brought it."""

    path: str
    layer: str | None = None


@dataclass(frozen=True, slots=True)
class Distro:
    """The operating system identity of an image (from ``os-release`` and friends)."""

    id: str
    version_id: str | None = None
    name: str | None = None
    pretty_name: str | None = None
    version_codename: str | None = None
    id_like: tuple[str, ...] = ()

    @property
    def purl_qualifier(self) -> str:
        """``debian-12``, ``alpine-3.20.1``: the ``distro=`` purl qualifier value."""
        return f"{self.id}-{self.version_id}" if self.version_id else self.id


@dataclass(frozen=True, slots=True)
class Package:
    """One installed package.

    ``metadata`` holds sorted ``(key, value)`` pairs specific to the format (for example
    ``("go_version", "go1.22.1")`` on Go modules, ``("main_module", "true")``); use
    :meth:`meta` to read it. OS packages carry ``source_name``/``source_version`` (equal to
    the binary's own when the database names no separate source) and ``distro``.
    """

    name: str
    version: str
    type: PackageType
    purl: str
    locations: tuple[Location, ...]
    found_by: str
    licenses: tuple[str, ...] = ()
    cpes: tuple[str, ...] = ()
    arch: str | None = None
    source_name: str | None = None
    source_version: str | None = None
    distro: str | None = None
    metadata: tuple[tuple[str, str], ...] = field(default=())

    @property
    def id(self) -> str:
        """Stable identity: a hash of type, name, version, purl and location paths only."""
        h = hashlib.sha256()
        for part in (self.type.value, self.name, self.version, self.purl):
            h.update(part.encode())
            h.update(b"\0")
        for loc in sorted(self.locations):
            h.update(loc.path.encode())
            h.update(b"\0")
        return h.hexdigest()[:16]

    def meta(self, key: str) -> str | None:
        """The metadata value for ``key``, or ``None``."""
        for k, v in self.metadata:
            if k == key:
                return v
        return None

    def sort_key(self) -> tuple[str, str, str, str]:
        first = self.locations[0].path if self.locations else ""
        return (self.type.value, self.name, self.version, first)
