"""Packagist / Composer version ordering.

Composer first normalises a version (``VersionParser::normalizeVersion``) and then orders
normalised strings with PHP's ``version_compare``; both are implemented here from their
documentation:

- normalising: a leading ``v`` is dropped; one to four numeric parts are padded to four
  (``1.2`` -> ``1.2.0.0``); a stability suffix is expanded and kept after a ``-``
  (``a`` -> ``alpha``, ``b`` -> ``beta``, ``rc`` -> ``RC``, ``p``/``pl`` -> ``patch``,
  ``stable`` dropped), an optional number follows it, ``-dev`` is kept; date versions
  (``20230101``) keep their digits; ``dev-<branch>`` stays as is; ``master``/``trunk``/
  ``default`` (optionally with ``dev-``) mean ``9999999-dev``. Other text is rejected.
- ``version_compare``: ``-``, ``_``, ``+`` become ``.``, a ``.`` is inserted at every
  digit/non-digit transition, and the parts compare left to right: numbers numerically;
  words by their special rank ``dev < alpha = a < beta = b < RC = rc < (number) <
  pl = p`` (any other word ranks below ``dev``); a number against a word compares the
  word with the "number" rank. When one side runs out, a remaining number makes it
  greater, a remaining word compares against the "number" rank (``1.0-beta < 1.0 <
  1.0-patch1``).
"""

from __future__ import annotations

import re

from hardhull.version._common import Scheme, bad

__all__ = ["SCHEME", "normalize", "parse"]

_CLASSIC = re.compile(
    r"v?(\d{1,5})(\.\d+)?(\.\d+)?(\.\d+)?[._-]?"
    r"(?:(stable|beta|b|rc|alpha|a|patch|pl|p)((?:[.-]?\d+)*)?)?([.-]?dev)?",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3}){0,2})[._-]?"
    r"(?:(stable|beta|b|rc|alpha|a|patch|pl|p)((?:[.-]?\d+)*)?)?([.-]?dev)?",
    re.IGNORECASE,
)
_STABILITY = {"a": "alpha", "b": "beta", "p": "patch", "pl": "patch", "rc": "RC"}
_SPECIAL = (("dev", 0), ("alpha", 1), ("a", 1), ("beta", 2), ("b", 2), ("RC", 3), ("rc", 3),
            ("#", 4), ("pl", 5), ("p", 5))  # fmt: skip
_NUMBER_RANK = 4
_PARTS = re.compile(r"[0-9]+|[^0-9.\-_+]+")

Part = tuple[int, int] | tuple[int]


def _suffix(stability: str | None, number: str | None, dev: str | None) -> str:
    out = ""
    if stability and stability.lower() != "stable":
        s = stability.lower()
        out += "-" + _STABILITY.get(s, s) + (number or "").lstrip(".-")
    if dev:
        out += "-dev"
    return out


def normalize(text: str) -> str:
    """Composer's normalised form of ``text`` (:class:`VersionError` if it has none)."""
    t = text.strip()
    low = t.lower()
    if low in ("master", "trunk", "default", "dev-master", "dev-trunk", "dev-default"):
        return "9999999-dev"
    if low.startswith("dev-") and len(t) > 4:
        return "dev-" + t[4:]
    m = _CLASSIC.fullmatch(t)
    if m is not None:
        nums = [m.group(1)] + [(g or ".0")[1:] for g in m.group(2, 3, 4)]
        return ".".join(str(int(n)) for n in nums) + _suffix(m.group(5), m.group(6), m.group(7))
    m = _DATE.fullmatch(t)
    if m is not None:
        date = re.sub(r"\D", ".", m.group(1))
        return date + _suffix(m.group(2), m.group(3), m.group(4))
    raise bad("composer", text, "not a Composer version")


def _special_rank(word: str) -> int:
    for name, rank in _SPECIAL:
        if word.startswith(name):
            return rank
    return -6


def parse(text: str) -> tuple[Part, ...]:
    """The ``version_compare`` key of Composer's normalised form of ``text``."""
    norm = normalize(text)
    parts: list[Part] = []
    for run in _PARTS.findall(norm):
        if run.isdigit():
            parts.append((_NUMBER_RANK, int(run)))
        else:
            parts.append((_special_rank(run),))
    parts.append((_NUMBER_RANK,))
    return tuple(parts)


SCHEME = Scheme("composer", parse)
