"""Helpers of Kyverno's JMESPath functions that mimic Go libraries: RE2 patterns and
``$1``/``${name}`` replacement templates (``regexp``), number-to-string conversion
(``strconv.FormatFloat(f, 'f', -1, 32)``), ``blang/semver`` ranges and image references
(``distribution/reference`` with Kyverno's default registry).
"""

from __future__ import annotations

import functools
import re
import struct
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hardhull.errors import HardhullError
from hardhull.policy.cel import semverlib


class FunctionError(HardhullError):
    """A Kyverno JMESPath function was called with arguments it rejects."""


def fn_error(fn: str, msg: str) -> FunctionError:
    """An error worded as Kyverno words them."""
    return FunctionError(f"JMESPath function '{fn}': {msg}")


# ------------------------------------------------------------------ numbers as text


def go_string(value: Any, fn: str, index: int) -> str:
    """Kyverno's ``ifaceToString``: strings as they are, numbers as Go's
    ``FormatFloat(f, 'f', -1, 32)`` (float32 precision), booleans ``true``/``false``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _float32_text(float(value))
    raise fn_error(fn, f"argument #{index} is not of type String or Real")


def _float32_text(x: float) -> str:
    try:
        f32 = struct.unpack("f", struct.pack("f", x))[0]
    except OverflowError:
        return "+Inf" if x > 0 else "-Inf"
    if f32 != f32:
        return "NaN"
    if f32 in (float("inf"), float("-inf")):
        return "+Inf" if f32 > 0 else "-Inf"
    for precision in range(1, 10):
        text = f"{f32:.{precision}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == f32:
            break
    out = format(Decimal(text), "f")
    return out if out != "-0" else "-0"


# ------------------------------------------------------------------ RE2 patterns

_POSIX = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
_PERL_ONLY = re.compile(r"\(\?(?:=|!|<=|<!)|\\[1-9]")


def python_syntax(pattern: str) -> str:
    text = pattern.replace("\\z", "\\Z").replace("(?<", "(?P<")
    for name, body in _POSIX.items():
        text = text.replace(f"[:{name}:]", body)
    return text


@functools.lru_cache(maxsize=1024)
def go_regex(pattern: str, fn: str) -> re.Pattern[str]:
    """Compile an RE2 pattern with Python's engine (``\\z``, ``(?<name>``, POSIX
    classes translated; look-around and back-references refused, as RE2 does)."""
    if _PERL_ONLY.search(pattern):
        raise fn_error(fn, f"error parsing regexp: invalid or unsupported Perl syntax: {pattern!r}")
    try:
        return re.compile(python_syntax(pattern))
    except re.error as exc:
        raise fn_error(fn, f"error parsing regexp: {exc}") from None


_NAME = re.compile(r"[A-Za-z0-9_]+")


def go_replace_all(
    pattern: re.Pattern[str], text: str, replacement: Callable[[re.Match[str]], str]
) -> str:
    """Go's ``ReplaceAll``: like ``re.sub`` except that an empty match right after the
    previous match is not replaced (``a*`` on ``baaac`` gives ``-b-c-``)."""
    out: list[str] = []
    last, prev_end = 0, -1
    for m in pattern.finditer(text):
        if m.start() == m.end() == prev_end:
            continue
        out.append(text[last : m.start()])
        out.append(replacement(m))
        last = prev_end = m.end()
    out.append(text[last:])
    return "".join(out)


def go_expand(match: re.Match[str], template: str) -> str:
    """Go's ``Regexp.Expand``: ``$1``, ``${1}``, ``$name``, ``${name}`` and ``$$``; the
    name is the longest run of letters, digits and ``_``; an unknown group is empty, a
    malformed reference is kept as text."""
    out: list[str] = []
    i = 0
    while i < len(template):
        j = template.find("$", i)
        if j < 0:
            out.append(template[i:])
            break
        out.append(template[i:j])
        if template[j + 1 : j + 2] == "$":
            out.append("$")
            i = j + 2
            continue
        brace = template[j + 1 : j + 2] == "{"
        start = j + 2 if brace else j + 1
        m = _NAME.match(template, start)
        end = m.end() if m else start
        if m is None or (brace and template[end : end + 1] != "}"):
            out.append("$")
            i = j + 1
            continue
        name = m.group(0)
        i = end + 1 if brace else end
        try:
            group = match.group(int(name)) if name.isdigit() else match.group(name)
        except IndexError:  # no such group
            group = None
        out.append(group or "")
    return "".join(out)


# ------------------------------------------------------------------ semver ranges

_ZERO = semverlib.Version(0, 0, 0, ())


def _split_and_trim(s: str) -> list[str]:
    """blang/semver's ``splitAndTrim``: split on spaces not following ``>``, ``<`` or
    ``=``; parts shorter than two characters are dropped; inner spaces removed."""
    out: list[str] = []
    last, last_char = 0, ""
    for i, ch in enumerate(s):
        if ch == " " and last_char not in (">", "<", "="):
            if last < i - 1:
                out.append(s[last:i])
            last = i + 1
        elif ch != " ":
            last_char = ch
    if last < len(s) - 1:
        out.append(s[last:])
    return [p.replace(" ", "") for p in out]


def _split_op(part: str) -> tuple[str, str]:
    m = re.search(r"[0-9]", part)
    if m is None:
        raise FunctionError(f"Could not get version from string: {part!r}")
    return part[: m.start()].strip(), part[m.start() :]


def _expand_wildcard(part: str) -> list[str]:
    op, version = _split_op(part)
    pieces = version.split(".")
    kind = len(pieces) if pieces[-1] == "x" else 0
    flat = version.replace(".x.x", ".x", 1).replace(".x", ".0", 1)
    if len(flat.split(".")) == 2:
        flat += ".0"
    out: list[str] = []
    increment = True
    if op == ">":
        result_op = ">="
    elif op == ">=":
        result_op, increment = ">=", False
    elif op == "<":
        result_op, increment = "<", False
    elif op == "<=":
        result_op = "<"
    elif op in ("", "=", "=="):
        out.append(">=" + flat)
        result_op = "<"
    elif op in ("!", "!="):
        out.append("<" + flat)
        result_op = ">="
    else:
        result_op, increment = "", False
    result = flat
    if increment:
        nums = flat.split(".")
        result = ""
        if kind in (2, 3) and nums[kind - 2].isdigit():
            nums[kind - 2] = str(int(nums[kind - 2]) + 1)
            result = ".".join(nums)
    out.append(result_op + result)
    return out


_COMPARATORS = {
    "": lambda c: c == 0,
    "=": lambda c: c == 0,
    "==": lambda c: c == 0,
    "!": lambda c: c != 0,
    "!=": lambda c: c != 0,
    ">": lambda c: c == 1,
    ">=": lambda c: c >= 0,
    "<": lambda c: c == -1,
    "<=": lambda c: c <= 0,
}


_Comparison = tuple[Callable[[int], bool], semverlib.Version]


@functools.lru_cache(maxsize=1024)
def _parse_ranges(ranges: str) -> tuple[tuple[_Comparison, ...], ...]:
    """A blang/semver range as OR-groups of AND-ed (comparator, bound) pairs, parsed
    once per range text; ``FunctionError`` when the range is malformed."""
    parts = _split_and_trim(ranges)
    or_parts: list[list[str]] = []
    last = 0
    for i, p in enumerate(parts):
        if p == "||":
            if i == 0:
                raise FunctionError("First element in range is '||'")
            or_parts.append(parts[last:i])
            last = i + 1
    if last == len(parts):
        raise FunctionError("Last element in range is '||'")
    or_parts.append(parts[last:])
    groups: list[tuple[_Comparison, ...]] = []
    for group in or_parts:
        expanded = [q for p in group for q in (_expand_wildcard(p) if "x" in p else [p])]
        if not expanded:
            raise FunctionError("empty range")
        comparisons: list[_Comparison] = []
        for part in expanded:
            op, text = _split_op(part)
            test = _COMPARATORS.get(op)
            if test is None:
                raise FunctionError(f"Could not parse comparator {op!r} in {part!r}")
            try:
                bound = semverlib.parse(text)
            except ValueError as exc:
                raise FunctionError(
                    f"Could not parse Range {part!r}: Could not parse version {text!r}: {exc}"
                ) from None
            comparisons.append((test, bound))
        groups.append(tuple(comparisons))
    return tuple(groups)


def semver_compare(version: str, ranges: str) -> bool:
    """Kyverno ``semver_compare``: does ``version`` (0.0.0 when it does not parse, as
    in Kyverno) satisfy the blang/semver range (``>1.0.0 <2.0.0 || >=3.0.0``, ``1.2.x``)."""
    try:
        v = semverlib.parse(version)
    except ValueError:
        v = _ZERO
    return any(
        all(test(semverlib.compare_versions(v, bound)) for test, bound in group)
        for group in _parse_ranges(ranges)
    )


# ------------------------------------------------------------------ image references

_ALNUM = r"[a-z0-9]+"
_SEP = r"(?:[._]|__|[-]+)"
_COMPONENT = rf"{_ALNUM}(?:{_SEP}{_ALNUM})*"
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_REFERENCE = re.compile(
    rf"^((?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*)"
    r"(?::([\w][\w.-]{0,127}))?"
    r"(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$"
)
_DIGEST_HEX = {"sha256": 64, "sha384": 96, "sha512": 128}
DEFAULT_REGISTRY = "docker.io"


def image_normalize(image: str) -> str:
    """Kyverno ``image_normalize`` with its default configuration (default registry
    ``docker.io``, registry mutation on): ``nginx`` -> ``docker.io/nginx:latest``; a
    digest replaces the tag."""
    slash = image.find("/")
    first = image[:slash]
    full = image
    if slash < 0 or (
        not any(c in first for c in ".:") and first != "localhost" and first.lower() == first
    ):
        full = f"{DEFAULT_REGISTRY}/{image}"
    m = _REFERENCE.match(full)
    bad = f"bad image: {full}, defaultRegistry: {DEFAULT_REGISTRY}, "
    bad += "enableDefaultRegistryMutation: true: "
    if m is None:
        why = "invalid reference format"
        if _REFERENCE.match(full.lower()):
            why += ": repository name must be lowercase"
        raise fn_error("image_normalize", bad + why)
    name, tag, digest = m.group(1), m.group(2), m.group(3)
    if len(name) > 255:
        raise fn_error(
            "image_normalize", bad + "repository name must not be more than 255 characters"
        )
    if digest:
        algo, _, hexpart = digest.partition(":")
        if algo not in _DIGEST_HEX:
            raise fn_error("image_normalize", bad + "unsupported digest algorithm")
        if len(hexpart) != _DIGEST_HEX[algo] or hexpart != hexpart.lower():
            raise fn_error("image_normalize", bad + "invalid checksum digest length")
        return f"{name}@{digest}"
    return f"{name}:{tag or 'latest'}"
