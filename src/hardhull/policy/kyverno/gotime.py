"""Go's ``time.Parse`` (reference layouts such as ``2006-01-02T15:04:05Z07:00``) and
``Time.Format(time.RFC3339)``, for Kyverno's ``time_*`` JMESPath functions.

A time is an instant (nanoseconds since the Unix epoch) plus the UTC offset it was
written with, so formatting gives back the offset Go would print. Parsing follows
``time.Parse`` with the local zone taken to be UTC (as in Kyverno's container): a zone
abbreviation other than ``UTC`` (``MST``) is a zero offset, ``GMT+3`` three hours; a
fractional second may follow the seconds even when the layout has none; the day of the
week is read but not checked; a missing year is year 0, a missing month/day January 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hardhull.errors import HardhullError

RFC3339 = "2006-01-02T15:04:05Z07:00"
_NS = 1_000_000_000
_DAY = 86_400


class TimeError(HardhullError):
    """A time string does not match its layout (Go's ``time.ParseError`` text)."""


@dataclass(frozen=True)
class GoTime:
    """An instant with the UTC offset (seconds) it is shown in."""

    ns: int
    offset: int = 0


def _days_from_civil(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(z: int) -> tuple[int, int, int]:
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


def _is_leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def _days_in(month: int, year: int) -> int:
    if month == 2:
        return 29 if _is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def fields(t: GoTime) -> tuple[int, int, int, int, int, int, int, int]:
    """(year, month, day, hour, minute, second, nanosecond, weekday Sunday=0) in the
    time's own offset."""
    local = t.ns + t.offset * _NS
    secs, nsec = divmod(local, _NS)
    days, rem = divmod(secs, _DAY)
    y, m, d = _civil_from_days(days)
    weekday = (days + 4) % 7  # 1970-01-01 was a Thursday
    return y, m, d, rem // 3600, rem // 60 % 60, rem % 60, nsec, weekday


def format_rfc3339(t: GoTime) -> str:
    """``t.Format(time.RFC3339)``: seconds precision, ``Z`` for a zero offset."""
    y, mo, d, h, mi, s, _, _ = fields(t)
    year = f"{y:04d}" if y >= 0 else f"-{-y:04d}"
    if t.offset == 0:
        zone = "Z"
    else:
        sign = "-" if t.offset < 0 else "+"
        off = abs(t.offset) // 60
        zone = f"{sign}{off // 60:02d}:{off % 60:02d}"
    return f"{year}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{zone}"


# ------------------------------------------------------------------ layout chunks

_LONG_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_LONG_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

# Longest first where one chunk is a prefix of another.
_CHUNKS = [
    "January",
    "Jan",
    "Monday",
    "Mon",
    "MST",
    "2006",
    "002",
    "01",
    "02",
    "03",
    "04",
    "05",
    "06",
    "15",
    "1",
    "2",
    "3",
    "4",
    "5",
    "__2",
    "_2",
    "PM",
    "pm",
    "-07:00:00",
    "-070000",
    "-07:00",
    "-0700",
    "-07",
    "Z07:00:00",
    "Z070000",
    "Z07:00",
    "Z0700",
    "Z07",
]
_FRAC = re.compile(r"[.,](0+|9+)(?![0-9])")


def _next_chunk(layout: str) -> tuple[str, str, str]:
    """(literal prefix, std chunk or "", rest) as Go's ``nextStdChunk``."""
    for i in range(len(layout)):
        rest = layout[i:]
        if rest.startswith("_2006"):
            return layout[: i + 1], "2006", layout[i + 5 :]
        if rest[:1] in ".," and i + 1 < len(layout):
            m = _FRAC.match(layout, i)
            if m is not None:
                return layout[:i], m.group(0), layout[m.end() :]
        for chunk in _CHUNKS:
            if rest.startswith(chunk):
                if chunk in ("Jan", "Mon") and rest.startswith(("January", "Monday")):
                    continue
                if chunk == "1" and rest.startswith("15"):
                    continue
                if chunk == "2" and rest.startswith("2006"):
                    continue
                return layout[:i], chunk, layout[i + len(chunk) :]
    return layout, "", ""


def _skip(value: str, prefix: str) -> str | None:
    """Go's ``skip``: match a literal; a space matches any run of spaces."""
    while prefix:
        if prefix[0] == " ":
            if value and value[0] != " ":
                return None
            prefix, value = prefix.lstrip(" "), value.lstrip(" ")
            continue
        if not value or value[0] != prefix[0]:
            return None
        prefix, value = prefix[1:], value[1:]
    return value


def _getnum(value: str, fixed: bool) -> tuple[int, str]:
    if not value[:1].isdigit() or not value[:1].isascii():
        raise ValueError("bad number")
    if not value[1:2].isdigit() or not value[1:2].isascii():
        if fixed:
            raise ValueError("bad number")
        return int(value[0]), value[1:]
    return int(value[:2]), value[2:]


def _lookup(names: list[str], value: str, short: bool) -> tuple[int, str]:
    for i, name in enumerate(names):
        key = name[:3] if short else name
        if value[: len(key)].lower() == key.lower():
            return i, value[len(key) :]
    raise ValueError("bad name")


def _zone_abbrev(value: str) -> int:
    """Length of a time-zone abbreviation at the start of ``value`` (Go's
    ``parseTimeZone``), 0 when there is none."""
    if len(value) < 3:
        return 0
    if value[:4] in ("ChST", "MeST"):
        return 4
    if value[:3] == "GMT":
        m = re.match(r"GMT([+-][0-9]+)?", value)
        assert m is not None
        return m.end()
    n = 0
    while n < len(value) and "A" <= value[n] <= "Z":
        n += 1
    if n == 3:
        return 3
    if n == 4 and (value[3] == "T" or value[:4] == "WITA"):
        return 4
    if n == 5 and value[4] == "T":
        return 5
    return 0


def _frac_ns(digits: str) -> int:
    return int((digits + "0" * 9)[:9]) if digits else 0


def parse(layout: str, value: str) -> GoTime:
    """Go's ``time.Parse(layout, value)`` (local zone = UTC)."""
    orig_layout, orig_value = layout, value
    year, month, day, yday = 0, -1, -1, -1
    hour = minute = second = nsec = 0
    pm_set = am_set = False
    offset: int | None = None
    zone_name = ""

    def fail(chunk: str, rest: str, extra: str = "") -> TimeError:
        if extra:
            return TimeError(f'parsing time "{orig_value}"{extra}')
        return TimeError(
            f'parsing time "{orig_value}" as "{orig_layout}": cannot parse "{rest}" as "{chunk}"'
        )

    while True:
        prefix, std, layout = _next_chunk(layout)
        rest = _skip(value, prefix)
        if rest is None:
            raise fail(prefix, value)
        value = rest
        if not std:
            if value:
                raise fail("", "", f': extra text: "{value}"')
            break
        hold = value
        try:
            if std == "2006":
                if len(value) < 4 or not value[:4].isdigit():
                    raise ValueError
                year, value = int(value[:4]), value[4:]
            elif std == "06":
                if len(value) < 2 or not value[:2].isdigit():
                    raise ValueError
                year, value = int(value[:2]), value[2:]
                year += 1900 if year >= 69 else 2000
            elif std in ("January", "Jan"):
                idx, value = _lookup(_LONG_MONTHS, value, std == "Jan")
                month = idx + 1
            elif std in ("Monday", "Mon"):
                _, value = _lookup(_LONG_DAYS, value, std == "Mon")
            elif std in ("01", "1"):
                month, value = _getnum(value, std == "01")
                if not 1 <= month <= 12:
                    raise fail(std, hold, ": month out of range")
            elif std in ("02", "2", "_2"):
                if std == "_2" and value[:1] == " ":
                    value = value[1:]
                day, value = _getnum(value, std == "02")
            elif std in ("002", "__2"):
                m = re.match(r" {0,2}[0-9]{1,3}" if std == "__2" else r"[0-9]{3}", value)
                if m is None:
                    raise ValueError
                yday, value = int(m.group(0)), value[m.end() :]
                if not 1 <= yday <= 366:
                    raise fail(std, hold, ": day-of-year out of range")
            elif std == "15":
                hour, value = _getnum(value, False)
                if not 0 <= hour < 24:
                    raise fail(std, hold, ": hour out of range")
            elif std in ("03", "3"):
                hour, value = _getnum(value, std == "03")
                if not 0 <= hour <= 12:
                    raise fail(std, hold, ": hour out of range")
            elif std in ("04", "4"):
                minute, value = _getnum(value, std == "04")
                if not 0 <= minute < 60:
                    raise fail(std, hold, ": minute out of range")
            elif std in ("05", "5"):
                second, value = _getnum(value, std == "05")
                if not 0 <= second < 60:
                    raise fail(std, hold, ": second out of range")
                # a fractional second may follow even when the layout has none
                m = re.match(r"[.,]([0-9]+)", value)
                if m is not None and not _FRAC.match(layout):
                    nsec, value = _frac_ns(m.group(1)), value[m.end() :]
            elif std in ("PM", "pm"):
                word = value[:2]
                if word == std:
                    pm_set = True
                elif word == ("AM" if std == "PM" else "am"):
                    am_set = True
                else:
                    raise ValueError
                value = value[2:]
            elif std.startswith(("-07", "Z07")):
                if std[0] == "Z" and value[:1] == "Z":
                    offset, value = 0, value[1:]
                else:
                    offset, value = _parse_offset(std, value)
            elif std == "MST":
                if value[:3] == "UTC":
                    offset, value = 0, value[3:]
                else:
                    n = _zone_abbrev(value)
                    if n == 0:
                        raise ValueError
                    zone_name, value = value[:n], value[n:]
            elif std[0] in ".,":
                digits = len(std) - 1
                if std[1] == "0":
                    if (
                        len(value) < digits + 1
                        or value[0] not in ".,"
                        or not value[1 : digits + 1].isdigit()
                    ):
                        raise ValueError
                    nsec, value = _frac_ns(value[1 : digits + 1]), value[digits + 1 :]
                else:
                    m = re.match(r"[.,]([0-9]+)", value)
                    if m is not None:
                        nsec, value = _frac_ns(m.group(1)), value[m.end() :]
        except ValueError:
            raise fail(std, hold) from None
    if pm_set and hour < 12:
        hour += 12
    elif am_set and hour == 12:
        hour = 0
    if yday >= 0:
        d = _days_from_civil(year, 1, 1) + yday - 1
        y2, m2, d2 = _civil_from_days(d)
        if y2 != year:
            raise TimeError(f'parsing time "{orig_value}": day-of-year does not match year')
        if (month >= 0 and month != m2) or (day >= 0 and day != d2):
            raise TimeError(f'parsing time "{orig_value}": day-of-year does not match day')
        month, day = m2, d2
    month = 1 if month < 0 else month
    day = 1 if day < 0 else day
    if day < 1 or day > _days_in(month, year):
        raise TimeError(f'parsing time "{orig_value}": day out of range')
    days = _days_from_civil(year, month, day)
    local = (days * _DAY + hour * 3600 + minute * 60 + second) * _NS + nsec
    if offset is None:
        # Go keeps the clock reading as UTC and only labels it with the abbreviation's
        # made-up zone (offset 0, or N hours for GMT+N)
        shown = 0
        if zone_name.startswith("GMT") and len(zone_name) > 3:
            shown = int(zone_name[3:]) * 3600
        return GoTime(local, shown)
    return GoTime(local - offset * _NS, offset)


def _parse_offset(std: str, value: str) -> tuple[int, str]:
    colon = ":" in std
    body = std.lstrip("-Z")
    parts = 1 + (len(body) - 2) // (3 if colon else 2)  # hh, hh mm, hh mm ss
    sep = ":" if colon else ""
    pattern = r"([+-])([0-9]{2})" + "".join(rf"{sep}([0-9]{{2}})" for _ in range(parts - 1))
    m = re.match(pattern, value)
    if m is None:
        raise ValueError
    nums = [int(g) for g in m.groups()[1:]] + [0, 0]
    hh, mm, ss = nums[0], nums[1], nums[2]
    if hh > 24 or mm > 60 or ss > 60:
        raise ValueError
    secs = hh * 3600 + mm * 60 + ss
    return (-secs if m.group(1) == "-" else secs), value[m.end() :]


def parse_rfc3339(value: str) -> GoTime:
    """``time.Parse(time.RFC3339, value)``."""
    return parse(RFC3339, value)
