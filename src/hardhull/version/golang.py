"""Go module and toolchain version ordering.

Go module versions are semantic versions with a mandatory ``v`` (``v1.2.3``); OSV's Go
records write them without it, so both are accepted. ``+incompatible`` is build metadata
and ignored for ordering, as Go does. Pseudo-versions (``v0.0.0-20200101120000-abcdef123456``,
``v1.2.4-0.20200101120000-abcdef123456``, ``v1.2.3-pre.0.20200101...``) are pre-releases
by construction, so SemVer precedence already orders them the way ``go`` does: below the
release they precede, by timestamp among themselves. Go also accepts the shorthands
``v1`` and ``v1.2``.

Go toolchain and ``stdlib`` versions use the tag form ``go1.22.1``, ``go1.21``,
``go1.21rc2``, ``go1.19beta1``; they are mapped to SemVer the way the Go vulnerability
database does: ``go1.21`` -> ``1.21.0``, ``go1.21rc2`` -> ``1.21.0-rc.2``,
``go1.19beta1`` -> ``1.19.0-beta.1``.
"""

from __future__ import annotations

import re

from hardhull.version import semver
from hardhull.version._common import Scheme, VersionError, bad

__all__ = ["SCHEME", "parse", "to_semver"]

_GOTAG = re.compile(r"go([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:(alpha|beta|rc)([0-9]+))?")


def to_semver(text: str) -> str:
    """``go1.21rc2`` -> ``1.21.0-rc.2``; other text is returned without its ``v``."""
    t = text.strip()
    m = _GOTAG.fullmatch(t)
    if m is not None:
        major, minor, patch, kind, num = m.groups()
        out = f"{major}.{minor or 0}.{patch or 0}"
        return f"{out}-{kind}.{num}" if kind else out
    if t[:1] in ("v", "V"):
        return t[1:]
    return t


def parse(text: str) -> semver.Key:
    """The ordering key of a Go module, toolchain or ``stdlib`` version."""
    try:
        return semver.parse(to_semver(text))
    except VersionError:
        raise bad("go", text, "not a Go module version (vMAJOR.MINOR.PATCH) or go1.N tag") from None


SCHEME = Scheme("go", parse)
