"""Kyverno's custom JMESPath functions (``pkg/engine/jmespath``), as its documentation
and tests describe them: strings, regular expressions (RE2 syntax), arithmetic on
numbers, quantities and durations, time, semver, image references, x509 and random.

Errors are :class:`~hardhull.errors.HardhullError` subclasses worded as Kyverno's
(``JMESPath function 'divide': Zero divisor passed``); the variable layer turns them
into rule errors.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import yaml
from jmespath import functions

from hardhull.policy.kyverno import gotime, jmes_arith
from hardhull.policy.kyverno.goduration import DurationError, format_duration, parse_duration
from hardhull.policy.kyverno.jmes_extra import (
    FunctionError,
    fn_error,
    go_expand,
    go_regex,
    go_replace_all,
    go_string,
    image_normalize,
    semver_compare,
)
from hardhull.policy.kyverno.jmes_random import random_string
from hardhull.policy.kyverno.values import wildcard_match

if TYPE_CHECKING:
    from jmespath.functions import _Signature

_STR: _Signature = {"types": ["string"]}
_NUM: _Signature = {"types": ["number"]}
_STR_NUM: _Signature = {"types": ["string", "number"]}
_ANY: _Signature = {"types": []}


def _go_upper(s: str) -> str:
    """Go's ``strings.ToUpper``: rune by rune, never changing the length (``ß`` stays)."""
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in s)


def _go_lower(s: str) -> str:
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in s)


def _equal_fold(a: str, b: str) -> bool:
    """Go's ``strings.EqualFold`` (simple case folding, rune by rune)."""
    if len(a) != len(b):
        return False
    return all(
        x == y or _go_lower(x) == _go_lower(y) or _go_upper(x) == _go_upper(y)
        for x, y in zip(a, b, strict=True)
    )


def canonical_path(path: str) -> str:
    """Go's ``filepath.Join(path)`` on slash paths: ``""`` stays ``""``; otherwise
    ``filepath.Clean`` (collapse ``//``, drop ``.``, resolve ``..``; ``.`` when empty)."""
    if path == "":
        return ""
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    body = "/".join(parts)
    if rooted:
        return "/" + body
    return body or "."


class _YamlLoader(yaml.SafeLoader):
    """YAML 1.1 without timestamps (sigs.k8s.io/yaml keeps them as strings)."""


_YamlLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _json_keys(value: Any) -> Any:
    """YAMLToJSON: map keys become strings (``true``, ``1``)."""
    if isinstance(value, dict):
        return {_key(k): _json_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_keys(v) for v in value]
    return value


def _key(k: Any) -> str:
    if isinstance(k, bool):
        return "true" if k else "false"
    if k is None:
        return "null"
    return k if isinstance(k, str) else json.dumps(k)


def _time_arg(fn: str, text: str) -> gotime.GoTime:
    try:
        return gotime.parse_rfc3339(text)
    except gotime.TimeError as exc:
        raise fn_error(fn, str(exc)) from None


def _duration_arg(fn: str, text: str) -> int:
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise fn_error(fn, str(exc)) from None


def _now() -> gotime.GoTime:
    ns = time.time_ns()
    return gotime.GoTime(ns, time.localtime(ns // 1_000_000_000).tm_gmtoff)


class KyvernoFunctions(functions.Functions):
    """The Kyverno JMESPath extensions."""

    # ---------------------------------------------------------------- strings

    @functions.signature(_STR, _STR)
    def _func_compare(self, a: str, b: str) -> int:
        return (a > b) - (a < b)

    @functions.signature(_STR, _STR)
    def _func_equal_fold(self, a: str, b: str) -> bool:
        return _equal_fold(a, b)

    @functions.signature(_STR, _STR, _STR, _NUM)
    def _func_replace(self, s: str, old: str, new: str, n: float) -> str:
        return s.replace(old, new, int(n))

    @functions.signature(_STR, _STR, _STR)
    def _func_replace_all(self, s: str, old: str, new: str) -> str:
        return s.replace(old, new)

    @functions.signature(_STR)
    def _func_to_upper(self, s: str) -> str:
        return _go_upper(s)

    @functions.signature(_STR)
    def _func_to_lower(self, s: str) -> str:
        return _go_lower(s)

    @functions.signature(_STR, _STR)
    def _func_trim(self, s: str, cut: str) -> str:
        return s.strip(cut) if cut else s

    @functions.signature(_STR, _STR)
    def _func_trim_prefix(self, s: str, prefix: str) -> str:
        return s[len(prefix) :] if prefix and s.startswith(prefix) else s

    @functions.signature(_STR, _STR)
    def _func_split(self, s: str, sep: str) -> list[str]:
        return list(s) if sep == "" else s.split(sep)

    @functions.signature(_STR, _NUM)
    def _func_truncate(self, s: str, n: float) -> str:
        return s[: max(0, int(n))]

    @functions.signature(_STR)
    def _func_to_boolean(self, s: str) -> bool:
        low = s.lower()
        if low not in ("true", "false"):
            raise fn_error(
                "to_boolean", f"lowercase argument must be 'true' or 'false' (provided: '{s}')"
            )
        return low == "true"

    @functions.signature(_STR)
    def _func_path_canonicalize(self, path: str) -> str:
        return canonical_path(path)

    @functions.signature(_STR)
    def _func_base64_decode(self, s: str) -> str:
        try:
            raw = base64.b64decode(s.replace("\r", "").replace("\n", ""), validate=True)
        except (binascii.Error, ValueError):
            raise fn_error("base64_decode", "illegal base64 data") from None
        return raw.decode("utf-8", "replace")

    @functions.signature(_STR)
    def _func_base64_encode(self, s: str) -> str:
        return base64.b64encode(s.encode()).decode()

    @functions.signature(_STR)
    def _func_sha256(self, s: str) -> str:
        return hashlib.sha256(s.encode()).hexdigest()

    @functions.signature(_STR)
    def _func_md5(self, s: str) -> str:
        return hashlib.md5(s.encode(), usedforsecurity=False).hexdigest()

    # ---------------------------------------------------------------- patterns

    @functions.signature(_STR, _STR_NUM)
    def _func_regex_match(self, rx: str, s: Any) -> bool:
        return go_regex(rx, "regex_match").search(go_string(s, "regex_match", 2)) is not None

    @functions.signature(_STR, _STR_NUM, _STR_NUM)
    def _func_regex_replace_all(self, rx: str, s: Any, repl: Any) -> str:
        pattern = go_regex(rx, "regex_replace_all")
        template = go_string(repl, "regex_replace_all", 3)
        source = go_string(s, "regex_replace_all", 2)
        return go_replace_all(pattern, source, lambda m: go_expand(m, template))

    @functions.signature(_STR, _STR_NUM, _STR_NUM)
    def _func_regex_replace_all_literal(self, rx: str, s: Any, repl: Any) -> str:
        pattern = go_regex(rx, "regex_replace_all_literal")
        text = go_string(repl, "regex_replace_all_literal", 3)
        source = go_string(s, "regex_replace_all_literal", 2)
        return go_replace_all(pattern, source, lambda _: text)

    @functions.signature(_STR, _STR_NUM)
    def _func_pattern_match(self, pattern: str, s: Any) -> bool:
        return wildcard_match(pattern, go_string(s, "pattern_match", 2))

    @functions.signature({"types": ["object"]}, {"types": ["object"]})
    def _func_label_match(self, selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
        return all(k in labels and labels[k] == v for k, v in selector.items())

    # ---------------------------------------------------------------- documents

    @functions.signature(_STR)
    def _func_parse_json(self, s: str) -> Any:
        try:
            return json.loads(s)
        except ValueError as exc:
            raise fn_error("parse_json", str(exc)) from None

    @functions.signature(_STR)
    def _func_parse_yaml(self, s: str) -> Any:
        try:
            return _json_keys(yaml.load(s, Loader=_YamlLoader))
        except yaml.YAMLError as exc:
            raise fn_error("parse_yaml", str(exc).replace("\n", " ")) from None

    @functions.signature({"types": ["object", "array"]}, _STR_NUM)
    def _func_lookup(self, coll: Any, key: Any) -> Any:
        if isinstance(coll, dict):
            if not isinstance(key, str):
                raise fn_error("lookup", "argument #2 is not of type String")
            return coll.get(key)
        if isinstance(key, str | bool):
            raise fn_error("lookup", "argument #2 is not of type Number")
        if not math.isfinite(key) or not float(key).is_integer():
            raise fn_error("lookup", f"argument #2: expected an integer number but got: {key}")
        i = int(key)
        return coll[i] if 0 <= i < len(coll) else None

    @functions.signature({"types": ["object", "array"]}, _STR, _STR)
    def _func_items(self, coll: Any, k: str, v: str) -> list[dict[str, Any]]:
        if isinstance(coll, dict):
            return [{k: key, v: coll[key]} for key in sorted(coll)]
        return [{k: i, v: val} for i, val in enumerate(coll)]

    @functions.signature({"types": ["array"]}, {"types": ["array"]})
    def _func_object_from_lists(self, keys: list[Any], vals: list[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for i, k in enumerate(keys):
            try:
                name = go_string(k, "object_from_lists", 1)
            except FunctionError:
                raise fn_error(
                    "object_from_lists", "argument #1 is not of type StringArray"
                ) from None
            out[name] = vals[i] if i < len(vals) else None
        return out

    # ---------------------------------------------------------------- arithmetic

    @functions.signature(_ANY, _ANY)
    def _func_add(self, a: Any, b: Any) -> Any:
        return jmes_arith.add(a, b)

    @functions.signature(_ANY, _ANY)
    def _func_subtract(self, a: Any, b: Any) -> Any:
        return jmes_arith.subtract(a, b)

    @functions.signature(_ANY, _ANY)
    def _func_multiply(self, a: Any, b: Any) -> Any:
        return jmes_arith.multiply(a, b)

    @functions.signature(_ANY, _ANY)
    def _func_divide(self, a: Any, b: Any) -> Any:
        return jmes_arith.divide(a, b)

    @functions.signature(_ANY, _ANY)
    def _func_modulo(self, a: Any, b: Any) -> Any:
        return jmes_arith.modulo(a, b)

    @functions.signature({"types": ["array"]})
    def _func_sum(self, items: list[Any]) -> Any:
        return jmes_arith.sum_(items)

    @functions.signature(_NUM, _NUM)
    def _func_round(self, value: float, places: float) -> Any:
        return jmes_arith.round_(value, places)

    # ---------------------------------------------------------------- time

    @functions.signature(_STR, _STR, _STR)
    def _func_time_since(self, layout: str, start: str, end: str) -> str:
        lay = layout or gotime.RFC3339
        try:
            t1 = gotime.parse(lay, start)
            t2 = gotime.parse(lay, end) if end else _now()
        except gotime.TimeError as exc:
            raise fn_error("time_since", str(exc)) from None
        return format_duration(t2.ns - t1.ns)

    @functions.signature()
    def _func_time_now(self) -> str:
        return gotime.format_rfc3339(_now())

    @functions.signature()
    def _func_time_now_utc(self) -> str:
        return gotime.format_rfc3339(gotime.GoTime(time.time_ns()))

    @functions.signature(_STR)
    def _func_time_to_cron(self, t: str) -> str:
        _, month, day, hour, minute, _, _, weekday = gotime.fields(_time_arg("time_to_cron", t))
        return f"{minute} {hour} {day} {month} {weekday}"

    @functions.signature(_STR, _STR)
    def _func_time_add(self, t: str, d: str) -> str:
        base = _time_arg("time_add", t)
        ns = _duration_arg("time_add", d)
        return gotime.format_rfc3339(gotime.GoTime(base.ns + ns, base.offset))

    @functions.signature(_STR, _STR)
    def _func_time_parse(self, layout: str, value: str) -> str:
        if jmes_arith.is_go_int(layout):
            if not jmes_arith.is_go_int(value):
                raise fn_error("time_parse", f'strconv.ParseInt: parsing "{value}": invalid syntax')
            return gotime.format_rfc3339(gotime.GoTime(int(value) * 1_000_000_000))
        try:
            return gotime.format_rfc3339(gotime.parse(layout, value))
        except gotime.TimeError as exc:
            raise fn_error("time_parse", str(exc)) from None

    @functions.signature(_STR)
    def _func_time_utc(self, t: str) -> str:
        return gotime.format_rfc3339(gotime.GoTime(_time_arg("time_utc", t).ns))

    @functions.signature(_STR, _STR)
    def _func_time_diff(self, a: str, b: str) -> str:
        t1, t2 = _time_arg("time_diff", a), _time_arg("time_diff", b)
        return format_duration(t2.ns - t1.ns)

    @functions.signature(_STR, _STR)
    def _func_time_before(self, a: str, b: str) -> bool:
        return _time_arg("time_before", a).ns < _time_arg("time_before", b).ns

    @functions.signature(_STR, _STR)
    def _func_time_after(self, a: str, b: str) -> bool:
        return _time_arg("time_after", a).ns > _time_arg("time_after", b).ns

    @functions.signature(_STR, _STR, _STR)
    def _func_time_between(self, t: str, start: str, end: str) -> bool:
        x = _time_arg("time_between", t).ns
        return _time_arg("time_between", start).ns < x < _time_arg("time_between", end).ns

    @functions.signature(_STR, _STR)
    def _func_time_truncate(self, t: str, d: str) -> str:
        base = _time_arg("time_truncate", t)
        step = _duration_arg("time_truncate", d)
        if step <= 0:
            return gotime.format_rfc3339(base)
        since_year_one = base.ns + 62_135_596_800 * 1_000_000_000
        return gotime.format_rfc3339(gotime.GoTime(base.ns - since_year_one % step, base.offset))

    # ---------------------------------------------------------------- other

    @functions.signature(_STR, _STR)
    def _func_semver_compare(self, version: str, ranges: str) -> bool:
        try:
            return semver_compare(version, ranges)
        except FunctionError as exc:
            raise fn_error("semver_compare", str(exc)) from None

    @functions.signature(_STR)
    def _func_image_normalize(self, image: str) -> str:
        return image_normalize(image)

    @functions.signature(_STR)
    def _func_x509_decode(self, text: str) -> dict[str, Any]:
        # imported on first use: cryptography's x509 module costs ~40 ms to load
        from hardhull.policy.kyverno.x509decode import x509_decode

        try:
            return x509_decode(text)
        except FunctionError as exc:
            raise fn_error("x509_decode", str(exc)) from None

    @functions.signature(_STR)
    def _func_random(self, pattern: str) -> str:
        return random_string(pattern)
