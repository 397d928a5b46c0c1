"""Shared pieces of the version schemes: the error type and the scheme record.

Every scheme module exposes ``parse(text) -> key``: a value whose ``<`` and ``==`` give the
ecosystem's order (a plain tuple where the ordering allows it, a small class otherwise).
The facade caches parsed keys, so the hot path of matching is a tuple comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hardhull.errors import HardhullError


class VersionError(HardhullError):
    """A version string the ecosystem's grammar rejects, or an unknown ecosystem."""


@dataclass(frozen=True, slots=True)
class Scheme:
    """One ordering scheme: its ``name`` and ``parse`` (text -> comparable key).

    ``parse`` raises :class:`VersionError` for text the scheme cannot order.
    """

    name: str
    parse: Callable[[str], Any]


def cmp_keys(a: Any, b: Any) -> int:
    """-1, 0 or 1 for two keys of the same scheme."""
    if a < b:
        return -1
    if a == b:
        return 0
    return 1


def bad(scheme: str, text: str, problem: str) -> VersionError:
    """The one-line error for an unparsable version."""
    return VersionError(f"{scheme} version {text!r}: {problem}")
