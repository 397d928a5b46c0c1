"""Go's ``time.ParseDuration`` and ``time.Duration.String``, on integer nanoseconds."""

from __future__ import annotations

import re

from hardhull.errors import HardhullError

_INT64_MAX = 2**63 - 1
_UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}


class DurationError(HardhullError):
    """Not a Go duration (the message is Go's ``time.ParseDuration`` error)."""


def parse_duration(text: str) -> int:
    """Go's ``time.ParseDuration``, in nanoseconds; ``DurationError`` when invalid."""
    bad = DurationError(f'time: invalid duration "{text}"')
    s, neg = text, False
    if s[:1] in ("-", "+"):
        neg, s = s[0] == "-", s[1:]
    if s == "0":
        return 0
    if not s:
        raise bad
    total = 0
    while s:
        if not (s[0] == "." or s[0].isdigit()):
            raise bad
        m = re.match(r"[0-9]*", s)
        assert m is not None
        whole, s = m.group(0), s[m.end() :]
        frac = ""
        if s[:1] == ".":
            m = re.match(r"[0-9]*", s[1:])
            assert m is not None
            frac, s = m.group(0), s[1 + m.end() :]
            if not whole and not frac:
                raise bad
        elif not whole:
            raise bad
        m = re.match(r"[^0-9.]*", s)
        assert m is not None
        unit, s = m.group(0), s[m.end() :]
        if not unit:
            raise DurationError(f'time: missing unit in duration "{text}"')
        if unit not in _UNITS:
            raise DurationError(f'time: unknown unit "{unit}" in duration "{text}"')
        size = _UNITS[unit]
        v = int(whole or "0")
        if v > (1 << 63) // size:
            raise bad
        v *= size
        f, scale = 0, 1.0
        for ch in frac:
            if f > (_INT64_MAX - 9) // 10:
                break
            f, scale = f * 10 + int(ch), scale * 10
        if f > 0:
            v += int(float(f) * (float(size) / scale))
        total += v
        if total > 1 << 63:
            raise bad
    if not neg and total > _INT64_MAX:
        raise bad
    return -total if neg else total


def _frac(u: int, prec: int) -> str:
    whole, frac = divmod(u, 10**prec)
    return str(whole) + ("." + f"{frac:0{prec}d}".rstrip("0") if frac else "")


def format_duration(ns: int) -> str:
    """Go's ``time.Duration.String``: ``1h2m3.5s``, ``1.5ms``, ``0s``."""
    if ns == 0:
        return "0s"
    u = abs(ns)
    if u < 1_000:
        body = f"{u}ns"
    elif u < 1_000_000:
        body = _frac(u, 3) + "µs"
    elif u < 1_000_000_000:
        body = _frac(u, 6) + "ms"
    else:
        secs = u // 1_000_000_000
        body = _frac(u % 60_000_000_000, 9) + "s"
        minutes = secs // 60
        if minutes:
            body = f"{minutes % 60}m" + body
            if minutes // 60:
                body = f"{minutes // 60}h" + body
    return ("-" if ns < 0 else "") + body
