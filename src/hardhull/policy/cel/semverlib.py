"""The Kubernetes CEL ``semver`` library (``k8s.io/apiserver/pkg/cel/library/semverlib.go``).

Parsing is strict Semantic Versioning 2.0.0 as implemented by ``blang/semver/v4``'s
``Parse`` (the parser Kubernetes uses), with its error messages; ``semver(s, true)`` and
``isSemver(s, true)`` first normalize like Kubernetes' ``normalizeAndParse``: one leading
``v`` is dropped, leading zeros of the first three dot-separated parts are stripped and a
missing minor or patch becomes ``0`` (a short version with ``-`` or ``+`` is an error);
whitespace is never trimmed.

A version travels through CEL as a tagged ``map<string, string>`` holding its canonical
text without build metadata, so ``==`` holds exactly when ``compareTo`` gives 0 (build
metadata has no precedence, as in Kubernetes' ``Semver.Equal``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from hardhull.policy.cel.gourl import go_quote

TAG = "__semver__"

_DIGITS = frozenset("0123456789")
_ALPHANUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789")
_UINT64_MAX = 2**64 - 1


@dataclass(frozen=True)
class Version:
    """A parsed version; ``pre`` holds ints (numeric identifiers) and strs."""

    major: int
    minor: int
    patch: int
    pre: tuple[int | str, ...]

    def text(self) -> str:
        """Canonical text without build metadata."""
        core = f"{self.major}.{self.minor}.{self.patch}"
        return core + ("-" + ".".join(str(p) for p in self.pre) if self.pre else "")


def _only(s: str, allowed: frozenset[str]) -> bool:
    return all(ch in allowed for ch in s)


def _leading_zero(s: str) -> bool:
    return len(s) > 1 and s[0] == "0"


def _uint(text: str) -> int:
    """Go's ``strconv.ParseUint(text, 10, 64)`` on a string of digits."""
    if not text:
        raise ValueError('strconv.ParseUint: parsing "": invalid syntax')
    value = int(text)
    if value > _UINT64_MAX:
        raise ValueError(f"strconv.ParseUint: parsing {go_quote(text)}: value out of range")
    return value


def _number(text: str, what: str) -> int:
    if not _only(text, _DIGITS):
        raise ValueError(f"Invalid character(s) found in {what} number {go_quote(text)}")
    if _leading_zero(text):
        raise ValueError(
            f"{what.capitalize()} number must not contain leading zeroes {go_quote(text)}"
        )
    return _uint(text)


def _prerelease(ident: str) -> int | str:
    if not ident:
        raise ValueError("Prerelease is empty")
    if _only(ident, _DIGITS):
        if _leading_zero(ident):
            raise ValueError(
                f"Numeric PreRelease version must not contain leading zeroes {go_quote(ident)}"
            )
        return _uint(ident)
    if _only(ident, _ALPHANUM):
        return ident
    raise ValueError(f"Invalid character(s) found in prerelease {go_quote(ident)}")


def parse(text: str) -> Version:
    """Strict parse; ``ValueError`` with blang/semver's message."""
    if not text:
        raise ValueError("Version string empty")
    parts = text.split(".", 2)
    if len(parts) != 3:
        raise ValueError("No Major.Minor.Patch elements found")
    major = _number(parts[0], "major")
    minor = _number(parts[1], "minor")
    rest = parts[2]
    build: list[str] = []
    pre_text: str | None = None
    if "+" in rest:
        rest, _, build_text = rest.partition("+")
        build = build_text.split(".")
    if "-" in rest:
        rest, _, pre_text = rest.partition("-")
    patch = _number(rest, "patch")
    pre = tuple(_prerelease(p) for p in pre_text.split(".")) if pre_text is not None else ()
    for ident in build:
        if not ident:
            raise ValueError("Build meta data is empty")
        if not _only(ident, _ALPHANUM):
            raise ValueError(f"Invalid character(s) found in build meta data {go_quote(ident)}")
    return Version(major, minor, patch, pre)


def normalize(text: str) -> str:
    """Kubernetes' ``normalizeAndParse`` rewriting; ``ValueError`` for a short version
    with pre-release or build data."""
    if text.startswith("v"):
        text = text[1:]
    parts = text.split(".", 2)
    for i, part in enumerate(parts):
        if len(part) > 1:
            part = part.lstrip("0")
            if not part or part[0] not in _DIGITS:
                part = "0" + part
            parts[i] = part
    if len(parts) < 3:
        if any(ch in parts[-1] for ch in "+-"):
            raise ValueError("short version cannot contain PreRelease/Build meta data")
        parts += ["0"] * (3 - len(parts))
    return ".".join(parts)


@lru_cache(maxsize=1024)
def _parse(text: str, normalized: bool) -> Version:
    return parse(normalize(text) if normalized else text)


def _pre_key(ident: int | str) -> tuple[int, int | str]:
    return (0, ident) if isinstance(ident, int) else (1, ident)


def compare_versions(a: Version, b: Version) -> int:
    """Semantic Versioning precedence: -1, 0 or 1."""
    x, y = (a.major, a.minor, a.patch), (b.major, b.minor, b.patch)
    if x != y:
        return 1 if x > y else -1
    if not a.pre or not b.pre:
        return (not a.pre) - (not b.pre)
    for p, q in zip(a.pre, b.pre, strict=False):
        kp, kq = _pre_key(p), _pre_key(q)
        if kp != kq:
            return 1 if kp > kq else -1
    return (len(a.pre) > len(b.pre)) - (len(a.pre) < len(b.pre))


def to_cel(v: Version) -> dict[str, str]:
    """Encode for CEL."""
    return {TAG: v.text()}


def from_cel(value: Mapping[str, str]) -> Version:
    """Decode a CEL semver; ``ValueError`` when the map is not one."""
    if not isinstance(value, Mapping) or TAG not in value:
        raise ValueError("no such overload: expected a semver")
    return _parse(value[TAG], False)


def make(text: str) -> dict[str, str]:
    """``semver(string)``."""
    return to_cel(_parse(text, False))


def make_normalized(text: str, normalized: bool) -> dict[str, str]:
    """``semver(string, bool)``."""
    return to_cel(_parse(text, normalized))


def is_semver(text: str) -> bool:
    """``isSemver(string)``."""
    return is_semver_normalized(text, False)


def is_semver_normalized(text: str, normalized: bool) -> bool:
    """``isSemver(string, bool)``."""
    try:
        _parse(text, normalized)
    except ValueError:
        return False
    return True


def _int64(n: int) -> int:
    """Go's ``int64(uint64)`` conversion (wraps above 2**63 - 1)."""
    return n - 2**64 if n >= 2**63 else n


def major(v: Mapping[str, str]) -> int:
    """``<Semver>.major()``."""
    return _int64(from_cel(v).major)


def minor(v: Mapping[str, str]) -> int:
    """``<Semver>.minor()``."""
    return _int64(from_cel(v).minor)


def patch(v: Mapping[str, str]) -> int:
    """``<Semver>.patch()``."""
    return _int64(from_cel(v).patch)


def compare(a: Mapping[str, str], b: Mapping[str, str]) -> int:
    """``a.compareTo(b)``."""
    return compare_versions(from_cel(a), from_cel(b))


def less(a: Mapping[str, str], b: Mapping[str, str]) -> bool:
    """``a.isLessThan(b)``."""
    return compare(a, b) < 0


def greater(a: Mapping[str, str], b: Mapping[str, str]) -> bool:
    """``a.isGreaterThan(b)``."""
    return compare(a, b) > 0
