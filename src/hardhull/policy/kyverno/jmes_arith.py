"""Kyverno's arithmetic JMESPath functions (``add``, ``subtract``, ``multiply``,
``divide``, ``modulo``, ``sum``, ``round``) with Kyverno's operand types.

An operand is a *scalar* (a JSON number), a *quantity* (a string Kubernetes'
``resource.ParseQuantity`` accepts: ``'10Mi'``, ``'500m'``, ``'3'``) or a *duration*
(any other string Go's ``time.ParseDuration`` accepts: ``'1h30m'``; ``'5m'`` is a
quantity, 5 milli). The result types are Kyverno's (``pkg/engine/jmespath/arithmetic.go``):

* ``+``/``-``: quantity with quantity -> quantity, duration with duration -> duration,
  scalar with scalar -> scalar; anything else is a type mismatch.
* ``*``: scalar with scalar -> scalar, quantity/duration with scalar (either order) ->
  quantity/duration; two quantities or durations are a mismatch.
* ``/``: quantity / quantity -> scalar, quantity / scalar -> quantity (rounded toward
  zero at the larger of the operands' decimal scales), duration / duration -> scalar,
  duration / scalar -> duration, scalar / scalar -> scalar; scalar / anything else is a
  mismatch; a zero divisor is an error.
* ``%``: same kinds only, integral values only (quantities by value), zero divisor an
  error; the remainder has the dividend's sign (Go's ``%``).

Quantities print in Kubernetes' canonical form (``25Ki``, ``1500m``, ``2e3``), durations
as Go's ``Duration.String`` (``1h0m5s``, ``1.5ms``); scalar results that are whole
numbers come back as ints, so they print as Kyverno prints them (``25``, not ``25.0``).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hardhull.errors import HardhullError
from hardhull.policy.kyverno.goduration import DurationError, format_duration, parse_duration


class ArithmeticFailure(HardhullError):
    """A Kyverno arithmetic function failed (bad operands, mismatch, zero divisor)."""


def _err(fn: str, msg: str) -> ArithmeticFailure:
    return ArithmeticFailure(f"JMESPath function '{fn}': {msg}")


# ---------------------------------------------------------------- quantities

_QTY = re.compile(r"^([+-]?)([0-9]*)(?:\.([0-9]*))?([eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE]?)$")
_DEC_EXP = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DEC_SUFFIX = {v: k for k, v in _DEC_EXP.items()}
_BIN_EXP = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_BIN_SUFFIX = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
_INT64_MAX = 2**63 - 1
_NANO = 9


@dataclass(frozen=True)
class Quantity:
    """A quantity's exact value, its ``inf.Dec`` scale (digits after the point) and its
    Kubernetes format (``DecimalSI``, ``BinarySI``, ``DecimalExponent``)."""

    value: Fraction
    scale: int
    fmt: str


def _round_up_nano(value: Fraction) -> Fraction:
    """Round away from zero to a multiple of 1e-9 (what ParseQuantity does)."""
    scaled = value * 10**_NANO
    n = math.ceil(abs(scaled))
    return Fraction(n if value >= 0 else -n, 10**_NANO)


@functools.lru_cache(maxsize=4096)
def parse_quantity(text: str) -> Quantity | None:
    """Kubernetes ``resource.ParseQuantity``; None when ``text`` is not a quantity
    (cached: the operands of a policy's arithmetic are mostly the same few strings)."""
    m = _QTY.match(text)
    if m is None:
        return None
    sign, num, denom, suffix = m.group(1), m.group(2), m.group(3) or "", m.group(4)
    if not num and not denom:
        return None
    digits = (num + denom).lstrip("0") or "0"
    magnitude = Fraction(int(num + denom or "0"), 10 ** len(denom))
    value = -magnitude if sign == "-" else magnitude
    if suffix in _BIN_EXP:
        exp = _BIN_EXP[suffix]
        value *= 2**exp
        precision = 15 - len(num.lstrip("0") or "0") - int(exp * 3 / 10) - 1
        fast = not denom and precision >= 0 and abs(value) <= _INT64_MAX
        fmt = "BinarySI"
        scale = 0
    else:
        if suffix[:1] in ("e", "E") and len(suffix) > 1:
            exp, fmt = int(suffix[1:]), "DecimalExponent"
        else:
            exp, fmt = _DEC_EXP[suffix], "DecimalSI"
        value *= Fraction(10) ** exp
        qscale = exp - len(denom)
        fast = 18 - len(digits) >= 0 and qscale >= -_NANO
        scale = -qscale
    if fast:
        return Quantity(value, scale, fmt)
    if value == 0:
        return Quantity(value, len(denom) - (0 if fmt == "BinarySI" else exp), "DecimalSI")
    value = _round_up_nano(value)
    if fmt == "BinarySI" and value > _INT64_MAX:
        value = Fraction(_INT64_MAX)
    return Quantity(value, _NANO, fmt)


def _decimal_parts(value: Fraction) -> tuple[int, int]:
    """``value`` = mantissa * 10**exponent with the mantissa not divisible by 10."""
    k = 0
    while (value * 10**k).denominator != 1:
        k += 1
    mantissa, exponent = int(value * 10**k), -k
    while mantissa % 10 == 0:
        mantissa //= 10
        exponent += 1
    return mantissa, exponent


def format_quantity(value: Fraction, fmt: str) -> str:
    """Kubernetes' canonical ``Quantity.String()`` of a value in a format."""
    if value == 0:
        return "0"
    if fmt == "BinarySI":
        if -1024 < value < 1024 or value.denominator != 1:
            fmt = "DecimalSI"
        else:
            n, e = abs(value.numerator), 0
            while n >= 1024 and n % 1024 == 0 and e < len(_BIN_SUFFIX) - 1:
                n //= 1024
                e += 1
            return f"{'-' if value < 0 else ''}{n}{_BIN_SUFFIX[e]}"
    if (value * 10**_NANO).denominator != 1:
        value = _round_up_nano(value)
    mantissa, e0 = _decimal_parts(value)
    e = e0 - (e0 % 3)
    mantissa *= 10 ** (e0 - e)
    if fmt == "DecimalExponent":
        return f"{mantissa}e{e}" if e else str(mantissa)
    if e > 18:
        mantissa, e = mantissa * 10 ** (e - 18), 18
    return f"{mantissa}{_DEC_SUFFIX[e]}"


def _seconds(ns: int) -> float:
    """Go's ``Duration.Seconds``."""
    sec, nsec = _go_divmod(ns, 1_000_000_000)
    return float(sec) + float(nsec) / 1e9


def _go_divmod(a: int, b: int) -> tuple[int, int]:
    """Go's truncating ``/`` and ``%`` on integers."""
    q = abs(a) // abs(b)
    if (a < 0) != (b < 0):
        q = -q
    return q, a - q * b


# ---------------------------------------------------------------- operands


@dataclass(frozen=True)
class _Duration:
    ns: int


Operand = float | int | Quantity | _Duration


def go_float_text(x: float) -> str:
    """Go's ``fmt.Sprintf("%v", float64)``: the shortest digits, in ``%e`` form when the
    decimal exponent is below -4 or at least 6 (``1e+06``, ``1.5``, ``1e-05``)."""
    if x == 0:
        return "0"
    d = Decimal(repr(float(x)))
    sign, digits_t, exponent = d.as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digits_t)).rstrip("0") or "0"
    exponent += len("".join(map(str, digits_t))) - len(digits)
    nd = len(digits)
    dp = nd + exponent
    exp = dp - 1
    neg = "-" if sign else ""
    if exp < -4 or exp >= 6:
        mant = digits[0] + ("." + digits[1:] if nd > 1 else "")
        return f"{neg}{mant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if dp <= 0:
        return f"{neg}0.{'0' * -dp}{digits}"
    if dp >= nd:
        return f"{neg}{digits}{'0' * (dp - nd)}"
    return f"{neg}{digits[:dp]}.{digits[dp:]}"


def _scalar_quantity(x: float | int) -> Quantity:
    q = parse_quantity(go_float_text(float(x)))
    if q is None:  # inf / nan
        raise ArithmeticFailure(f"quantities must match the regular expression: {x!r}")
    return q


def operand(value: Any, fn: str) -> Operand:
    """Classify one argument as Kyverno does: number, quantity, then duration."""
    if isinstance(value, bool):
        raise _err(fn, "invalid operands")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        q = parse_quantity(value)
        if q is not None:
            return q
        try:
            return _Duration(parse_duration(value))
        except DurationError:
            pass
    raise _err(fn, "invalid operands")


def number(x: float) -> int | float:
    """A whole, finite float as an int (JSON prints it as Go does), else the float."""
    if isinstance(x, float) and math.isfinite(x) and x.is_integer() and abs(x) < 2**63:
        return int(x)
    return x


def _is_scalar(v: Operand) -> bool:
    return isinstance(v, int | float)


def add(a: Any, b: Any, fn: str = "add") -> Any:
    """Kyverno ``add`` (``fn`` names the function in errors: ``sum`` reuses it)."""
    x, y = operand(a, fn), operand(b, fn)
    if isinstance(x, Quantity) and isinstance(y, Quantity):
        fmt = y.fmt if x.value == 0 else x.fmt
        return format_quantity(x.value + y.value, fmt)
    if isinstance(x, _Duration) and isinstance(y, _Duration):
        return format_duration(x.ns + y.ns)
    if isinstance(x, int | float) and isinstance(y, int | float):
        return number(float(x) + float(y))
    raise _err(fn, "Types mismatch")


def subtract(a: Any, b: Any) -> Any:
    """Kyverno ``subtract``."""
    x, y = operand(a, "subtract"), operand(b, "subtract")
    if isinstance(x, Quantity) and isinstance(y, Quantity):
        fmt = y.fmt if x.value == 0 else x.fmt
        return format_quantity(x.value - y.value, fmt)
    if isinstance(x, _Duration) and isinstance(y, _Duration):
        return format_duration(x.ns - y.ns)
    if isinstance(x, int | float) and isinstance(y, int | float):
        return number(float(x) - float(y))
    raise _err("subtract", "Types mismatch")


def _scale_duration(d: _Duration, factor: float, divide: bool) -> str:
    seconds = _seconds(d.ns) / factor if divide else _seconds(d.ns) * factor
    return format_duration(int(seconds * 1e9))


def multiply(a: Any, b: Any) -> Any:
    """Kyverno ``multiply``."""
    x, y = operand(a, "multiply"), operand(b, "multiply")
    if isinstance(x, int | float) and not _is_scalar(y):
        x, y = y, x
    if isinstance(y, int | float):
        if isinstance(x, Quantity):
            return format_quantity(x.value * _scalar_quantity(y).value, x.fmt)
        if isinstance(x, _Duration):
            return _scale_duration(x, float(y), divide=False)
        if isinstance(x, int | float):
            return number(float(x) * float(y))
    raise _err("multiply", "Types mismatch")


def _quo_round_down(value: Fraction, scale: int) -> Fraction:
    unit = Fraction(1, 10**scale) if scale >= 0 else Fraction(10**-scale)
    steps = value / unit
    whole = math.floor(steps) if steps >= 0 else math.ceil(steps)
    return whole * unit


def divide(a: Any, b: Any) -> Any:
    """Kyverno ``divide``."""
    x, y = operand(a, "divide"), operand(b, "divide")
    zero = _err("divide", "Zero divisor passed")
    if isinstance(x, Quantity):
        if isinstance(y, Quantity):
            if float(y.value) == 0:
                raise zero
            return number(float(x.value) / float(y.value))
        if isinstance(y, int | float):
            if y == 0:
                raise zero
            q = _scalar_quantity(y)
            scale = max(x.scale, q.scale)
            return format_quantity(_quo_round_down(x.value / q.value, scale), x.fmt)
    elif isinstance(x, _Duration):
        if isinstance(y, _Duration):
            if _seconds(y.ns) == 0:
                raise zero
            return number(_seconds(x.ns) / _seconds(y.ns))
        if isinstance(y, int | float):
            if y == 0:
                raise zero
            return _scale_duration(x, float(y), divide=True)
    elif isinstance(y, int | float):
        if y == 0:
            raise zero
        return number(float(x) / float(y))
    raise _err("divide", "Types mismatch")


def _integral(f: float) -> int:
    if not math.isfinite(f) or not f.is_integer():
        raise _err("modulo", "Non-integer argument(s) passed for modulo")
    return int(f)


def modulo(a: Any, b: Any) -> Any:
    """Kyverno ``modulo``."""
    x, y = operand(a, "modulo"), operand(b, "modulo")
    zero = _err("modulo", "Zero divisor passed")
    if isinstance(x, Quantity) and isinstance(y, Quantity):
        i1, i2 = _integral(float(x.value)), _integral(float(y.value))
        if i2 == 0:
            raise zero
        return format_quantity(Fraction(_go_divmod(i1, i2)[1]), x.fmt)
    if isinstance(x, _Duration) and isinstance(y, _Duration):
        if y.ns == 0:
            raise zero
        return format_duration(_go_divmod(x.ns, y.ns)[1])
    if isinstance(x, int | float) and isinstance(y, int | float):
        i1, i2 = _integral(float(x)), _integral(float(y))
        if i2 == 0:
            raise zero
        return _go_divmod(i1, i2)[1]
    raise _err("modulo", "Types mismatch")


def sum_(items: list[Any]) -> Any:
    """Kyverno ``sum``: ``add`` folded over a non-empty array of one kind."""
    if not items:
        raise _err("sum", "at least one element in the array is required")
    result = items[0]
    for item in items[1:]:
        result = add(result, item, "sum")
    return result


def go_round(x: float) -> float:
    """Go's ``math.Round``: half away from zero."""
    if not math.isfinite(x):
        return x
    t = float(math.trunc(x))
    if abs(x - t) >= 0.5:
        t += math.copysign(1, x)
    return t


def is_go_int(text: str) -> bool:
    """Would Go's ``strconv.ParseInt(text, 10, 64)`` accept ``text``."""
    return re.fullmatch(r"[+-]?[0-9]+", text) is not None and -(2**63) <= int(text) <= _INT64_MAX


def round_(value: float, places: float) -> Any:
    """Kyverno ``round(number, places)``: ``places`` a non-negative integer."""
    if not math.isfinite(places) or not float(places).is_integer():
        raise _err("round", "Non-integer argument(s) passed for round off")
    if places < 0:
        raise _err("round", f"argument #2 is out of bounds ({int(places)} < 0)")
    shift = math.pow(10, int(places))
    return number(go_round(float(value) * shift) / shift)
