"""OSV ecosystem names -> ordering schemes, and the cached parse used by everything.

The release suffix of an ecosystem (``Debian:12``, ``Alpine:v3.20``, ``Ubuntu:22.04:LTS``)
does not change the ordering and is ignored. ``Hex`` (Elixir), ``Pub`` (Dart) and
``SwiftURL`` follow SemVer 2.0, as their package managers document, so they use the
SemVer scheme; ``crates.io`` likewise.
"""

from __future__ import annotations

from functools import lru_cache

from hardhull.version import (
    apk,
    composer,
    dpkg,
    golang,
    maven,
    nuget,
    pep440,
    rpm,
    rubygems,
    semver,
)
from hardhull.version._common import Scheme, VersionError

__all__ = ["ECOSYSTEMS", "SCHEMES", "scheme_for"]

_CACHE_SIZE = 1 << 16

# Each scheme's parse is wrapped in its own LRU: matching compares one installed version
# against many events, and the same fixed versions recur across records.
SCHEMES: dict[str, Scheme] = {
    s.name: Scheme(s.name, lru_cache(maxsize=_CACHE_SIZE)(s.parse))
    for s in (
        dpkg.SCHEME,
        rpm.SCHEME,
        apk.SCHEME,
        pep440.SCHEME,
        semver.SCHEME,
        golang.SCHEME,
        maven.SCHEME,
        rubygems.SCHEME,
        nuget.SCHEME,
        composer.SCHEME,
    )
}

ECOSYSTEMS: dict[str, str] = {
    "Debian": "dpkg",
    "Ubuntu": "dpkg",
    "Alpine": "apk",
    "Wolfi": "apk",
    "Chainguard": "apk",
    "Red Hat": "rpm",
    "Rocky Linux": "rpm",
    "AlmaLinux": "rpm",
    "openSUSE": "rpm",
    "SUSE": "rpm",
    "Mageia": "rpm",
    "PyPI": "pep440",
    "npm": "semver",
    "crates.io": "semver",
    "Hex": "semver",
    "Pub": "semver",
    "SwiftURL": "semver",
    "Go": "go",
    "Maven": "maven",
    "RubyGems": "rubygems",
    "NuGet": "nuget",
    "Packagist": "composer",
}

_BY_ECOSYSTEM: dict[str, Scheme] = {}


def scheme_for(ecosystem: str) -> Scheme:
    """The scheme of an OSV ecosystem name (release suffix allowed)."""
    scheme = _BY_ECOSYSTEM.get(ecosystem)
    if scheme is not None:
        return scheme
    name = ECOSYSTEMS.get(ecosystem.split(":", 1)[0].strip())
    if name is None:
        raise VersionError(
            f"ecosystem {ecosystem!r}: no version ordering known for it",
            hint=f"known: {', '.join(sorted(ECOSYSTEMS))}",
        )
    scheme = SCHEMES[name]
    if len(_BY_ECOSYSTEM) < 4096:
        _BY_ECOSYSTEM[ecosystem] = scheme
    return scheme
