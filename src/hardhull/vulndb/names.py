"""Ecosystem keys and package-name normalisation, shared by import and lookup.

The database stores the OSV ecosystem string as the record gives it (``Debian:12``,
``Alpine:v3.20``, ``PyPI``, ``npm``, ``Go``, ...). Package names are normalised by one
function, :func:`normalize_name`, on both sides, so a lookup finds what an import stored:

- ``PyPI``: PEP 503 (lower case, runs of ``-``, ``_``, ``.`` become one ``-``);
- ``NuGet`` and ``Packagist``: lower case (both registries treat names case-insensitively);
- everything else as given (``Maven`` names are ``group:artifact``; distro names are
  source package names; Go module paths and npm names are case-sensitive).
"""

from __future__ import annotations

import re

_PEP503 = re.compile(r"[-_.]+")

#: OSV ecosystems whose package names compare case-insensitively.
_CASE_INSENSITIVE = frozenset({"nuget", "packagist"})


def base_ecosystem(ecosystem: str) -> str:
    """The ecosystem without its release suffix: ``Debian:12`` -> ``Debian``."""
    return ecosystem.split(":", 1)[0]


def normalize_name(ecosystem: str, name: str) -> str:
    """The key under which ``name`` is stored and looked up in ``ecosystem``."""
    base = base_ecosystem(ecosystem).lower()
    if base == "pypi":
        return _PEP503.sub("-", name).lower()
    if base in _CASE_INSENSITIVE:
        return name.lower()
    return name
