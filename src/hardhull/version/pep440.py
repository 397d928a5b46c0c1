"""PyPI version ordering: PEP 440 through ``packaging.version``.

Valid PEP 440 versions (normalised forms included: ``1.0RC1``, ``v1.0``, ``1.0-post1``)
compare exactly as ``packaging`` does. Old releases on PyPI and old advisories still carry
strings PEP 440 rejects (``2.0b1-dev-r5``, ``0.9.0dev-r1234``, ``1.0-SNAPSHOT``...); they
must not crash matching, so they get a deterministic fallback modelled on the retired
setuptools ``LegacyVersion``: every non-PEP 440 string sorts **before** every valid
version, and among themselves they compare by their lower-cased runs of digits (as
integers) and of other characters, with ``.``/``-``/``_`` ignored as separators. The
empty string is rejected.
"""

from __future__ import annotations

import re
from typing import Any

from packaging.version import InvalidVersion, Version

from hardhull.version._common import Scheme, bad

__all__ = ["SCHEME", "is_valid", "parse"]

_LEGACY_PARTS = re.compile(r"[0-9]+|[^0-9.\-_]+")


def _legacy_key(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple(
        (1, int(run)) if run.isdigit() else (0, run) for run in _LEGACY_PARTS.findall(text.lower())
    )


def is_valid(text: str) -> bool:
    """Whether ``text`` is a PEP 440 version."""
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def parse(text: str) -> tuple[int, Any]:
    """``(1, Version)`` for PEP 440 versions, ``(0, legacy key)`` for the rest."""
    if not text.strip():
        raise bad("pep440", text, "empty version")
    try:
        return (1, Version(text))
    except InvalidVersion:
        return (0, _legacy_key(text))


SCHEME = Scheme("pep440", parse)
