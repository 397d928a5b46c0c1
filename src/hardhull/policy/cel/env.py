"""The one CEL environment every policy expression is compiled in.

Backend: ``cel-expr-python`` (Google's C++ CEL). The environment declares the
admission variables (all ``dyn``) and the Kubernetes CEL libraries as Python-implemented
functions. cel-expr-python 0.1.3 cannot dispatch ``dyn`` parameters at run time, so each
overload names concrete types; it cannot carry opaque values either, so quantities, URLs,
IPs, CIDRs, semantic versions and formats are tagged ``map<string, string>`` values, and
``compareTo`` / ``isLessThan`` / ``isGreaterThan`` dispatch on the tag. Its Python
functions cannot return optionals either: the format library's optional-returning calls
are rewritten before compiling (:func:`formatlib.rewrite`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cel_expr_python import cel
from cel_expr_python.ext import ext_optional

from hardhull.policy.cel import formatlib, netlib, quantity, regex, semverlib, stdlib

VARIABLES = ("object", "oldObject", "request", "params", "namespaceObject", "authorizer")

_S, _I, _B, _D, _U = cel.Type.STRING, cel.Type.INT, cel.Type.BOOL, cel.Type.DOUBLE, cel.Type.UINT
_DYN = cel.Type.DYN
_LD = cel.Type.List(cel.Type.DYN)
_LS = cel.Type.List(cel.Type.STRING)
_M = cel.Type.Map(cel.Type.STRING, cel.Type.STRING)  # quantity, url, ip, cidr, semver, format


def _by_tag(
    on_quantity: Callable[[Any, Any], Any], on_semver: Callable[[Any, Any], Any]
) -> Callable[[Any, Any], Any]:
    """One implementation of an ordering function shared by quantities and semvers (both
    are ``map<string, string>``, so they share one overload)."""

    def impl(a: Any, b: Any) -> Any:
        return on_semver(a, b) if semverlib.TAG in a else on_quantity(a, b)

    return impl


# (function name, overload id, return type, parameter types, member?, implementation)
_Spec = tuple[str, str, Any, list[Any], bool, Callable[..., Any]]

_FUNCTIONS: list[_Spec] = [
    # strings (cel-go ext.Strings v2)
    ("charAt", "string_char_at_int", _S, [_S, _I], True, stdlib.char_at),
    ("indexOf", "string_index_of_string", _I, [_S, _S], True, stdlib.index_of),
    ("indexOf", "string_index_of_string_int", _I, [_S, _S, _I], True, stdlib.index_of_from),
    ("lastIndexOf", "string_last_index_of_string", _I, [_S, _S], True, stdlib.last_index_of),
    (
        "lastIndexOf",
        "string_last_index_of_string_int",
        _I,
        [_S, _S, _I],
        True,
        stdlib.last_index_of_from,
    ),
    ("lowerAscii", "string_lower_ascii", _S, [_S], True, stdlib.lower_ascii),
    ("upperAscii", "string_upper_ascii", _S, [_S], True, stdlib.upper_ascii),
    ("replace", "string_replace_string_string", _S, [_S, _S, _S], True, stdlib.replace),
    ("replace", "string_replace_string_string_int", _S, [_S, _S, _S, _I], True, stdlib.replace_n),
    ("split", "string_split_string", _LS, [_S, _S], True, stdlib.split),
    ("split", "string_split_string_int", _LS, [_S, _S, _I], True, stdlib.split_n),
    ("substring", "string_substring_int", _S, [_S, _I], True, stdlib.substring),
    ("substring", "string_substring_int_int", _S, [_S, _I, _I], True, stdlib.substring_range),
    ("trim", "string_trim", _S, [_S], True, stdlib.trim),
    ("join", "list_join", _S, [_LD], True, stdlib.join),
    ("join", "list_join_string", _S, [_LD, _S], True, stdlib.join_sep),
    # regex
    (regex.FUNCTION, "string_hh_matches_int", _B, [_S, _I], True, regex.matches),
    ("find", "string_find_string", _S, [_S, _S], True, stdlib.find),
    ("findAll", "string_find_all_string", _LS, [_S, _S], True, stdlib.find_all),
    ("findAll", "string_find_all_string_int", _LS, [_S, _S, _I], True, stdlib.find_all_n),
    # lists
    ("isSorted", "list_is_sorted", _B, [_LD], True, stdlib.is_sorted),
    ("sum", "list_sum", _DYN, [_LD], True, stdlib.list_sum),
    ("min", "list_min", _DYN, [_LD], True, stdlib.list_min),
    ("max", "list_max", _DYN, [_LD], True, stdlib.list_max),
    # quantity
    ("quantity", "string_to_quantity", _M, [_S], False, quantity.make),
    ("isQuantity", "is_quantity_string", _B, [_S], False, quantity.is_quantity),
    ("sign", "quantity_sign", _I, [_M], True, quantity.sign),
    ("isInteger", "quantity_is_integer", _B, [_M], True, quantity.is_integer),
    ("asInteger", "quantity_get_int", _I, [_M], True, quantity.as_integer),
    ("asApproximateFloat", "quantity_get_float", _D, [_M], True, quantity.as_float),
    # quantity or semver
    (
        "compareTo",
        "quantity_semver_compare_to",
        _I,
        [_M, _M],
        True,
        _by_tag(quantity.compare, semverlib.compare),
    ),
    (
        "isLessThan",
        "quantity_semver_less",
        _B,
        [_M, _M],
        True,
        _by_tag(quantity.less, semverlib.less),
    ),
    (
        "isGreaterThan",
        "quantity_semver_greater",
        _B,
        [_M, _M],
        True,
        _by_tag(quantity.greater, semverlib.greater),
    ),
    ("add", "quantity_add", _M, [_M, _M], True, quantity.add),
    ("add", "quantity_add_int", _M, [_M, _I], True, quantity.add_int),
    ("sub", "quantity_sub", _M, [_M, _M], True, quantity.sub),
    ("sub", "quantity_sub_int", _M, [_M, _I], True, quantity.sub_int),
    # url
    ("url", "string_to_url", _M, [_S], False, netlib.url),
    ("isURL", "is_url_string", _B, [_S], False, netlib.is_url),
    ("getScheme", "url_get_scheme", _S, [_M], True, netlib.get_scheme),
    ("getHost", "url_get_host", _S, [_M], True, netlib.get_host),
    ("getHostname", "url_get_hostname", _S, [_M], True, netlib.get_hostname),
    ("getPort", "url_get_port", _S, [_M], True, netlib.get_port),
    ("getEscapedPath", "url_get_escaped_path", _S, [_M], True, netlib.get_escaped_path),
    ("getQuery", "url_get_query", cel.Type.Map(_S, _LS), [_M], True, netlib.get_query),
    # ip / cidr
    ("ip", "string_to_ip", _M, [_S], False, netlib.ip),
    ("ip", "cidr_ip", _M, [_M], True, netlib.cidr_ip),
    ("isIP", "is_ip", _B, [_S], False, netlib.is_ip),
    ("ip.isCanonical", "ip_is_canonical", _B, [_S], False, netlib.is_canonical),
    ("family", "ip_family", _I, [_M], True, netlib.family),
    ("isUnspecified", "ip_is_unspecified", _B, [_M], True, netlib.is_unspecified),
    ("isLoopback", "ip_is_loopback", _B, [_M], True, netlib.is_loopback),
    (
        "isLinkLocalMulticast",
        "ip_is_link_local_multicast",
        _B,
        [_M],
        True,
        netlib.is_link_local_multicast,
    ),
    (
        "isLinkLocalUnicast",
        "ip_is_link_local_unicast",
        _B,
        [_M],
        True,
        netlib.is_link_local_unicast,
    ),
    ("isGlobalUnicast", "ip_is_global_unicast", _B, [_M], True, netlib.is_global_unicast),
    ("cidr", "string_to_cidr", _M, [_S], False, netlib.cidr),
    ("isCIDR", "is_cidr", _B, [_S], False, netlib.is_cidr),
    ("containsIP", "cidr_contains_ip_ip", _B, [_M, _M], True, netlib.contains_ip),
    ("containsIP", "cidr_contains_ip_string", _B, [_M, _S], True, netlib.contains_ip),
    ("containsCIDR", "cidr_contains_cidr", _B, [_M, _M], True, netlib.contains_cidr),
    ("containsCIDR", "cidr_contains_cidr_string", _B, [_M, _S], True, netlib.contains_cidr),
    ("masked", "cidr_masked", _M, [_M], True, netlib.masked),
    ("prefixLength", "cidr_prefix_length", _I, [_M], True, netlib.prefix_length),
    # semver
    ("semver", "string_to_semver", _M, [_S], False, semverlib.make),
    ("semver", "string_bool_to_semver", _M, [_S, _B], False, semverlib.make_normalized),
    ("isSemver", "is_semver_string", _B, [_S], False, semverlib.is_semver),
    ("isSemver", "is_semver_string_bool", _B, [_S, _B], False, semverlib.is_semver_normalized),
    ("major", "semver_major", _I, [_M], True, semverlib.major),
    ("minor", "semver_minor", _I, [_M], True, semverlib.minor),
    ("patch", "semver_patch", _I, [_M], True, semverlib.patch),
    # format (format.named and validate are reached through formatlib.rewrite)
    (formatlib.NAMED, "hh_format_named", _M, [_S], False, formatlib.named),
    (formatlib.VALIDATE, "hh_format_validate", _LS, [_M, _S], True, formatlib.validate),
]

_FUNCTIONS.extend(
    (f"format.{name}", f"format_{name}", _M, [], False, formatlib.constant(name))
    for name in formatlib.FORMATS
)

# list.indexOf / lastIndexOf: one overload per element type (no runtime ``dyn`` dispatch).
for _name, _impl in (("indexOf", stdlib.list_index_of), ("lastIndexOf", stdlib.list_last_index_of)):
    for _tname, _t in (("string", _S), ("int", _I), ("double", _D), ("bool", _B), ("uint", _U)):
        _FUNCTIONS.append((_name, f"list_{_name}_{_tname}", _I, [_LD, _t], True, _impl))


_SCALARS = (_S, _B, _I)


def _declarations() -> list[Any]:
    by_name: dict[str, list[Any]] = {}
    for name, oid, ret, params, member, impl in _FUNCTIONS:
        if ret is _M and all(any(p is t for t in _SCALARS) for p in params):
            # Constructors (quantity('1Gi'), url(...), ip(...), cidr(...), semver(...)):
            # one shared map per distinct argument. The same few strings recur, and
            # cel-expr-python 0.1.3 never releases a value a Python function returns,
            # so returning the same object turns that leak into a reference count.
            impl = lru_cache(maxsize=4096)(impl)
        overload = cel.Overload(oid, ret, params, is_member=member, impl=impl)
        by_name.setdefault(name, []).append(overload)
    return [cel.FunctionDecl(name, overloads) for name, overloads in by_name.items()]


@lru_cache(maxsize=1)
def environment() -> Any:
    """The shared CEL environment (built once per process)."""
    variables = dict.fromkeys((*VARIABLES, "variables"), _DYN)
    return cel.NewEnv(
        variables=variables,
        extensions=[ext_optional.ExtOptional()],
        functions=_declarations(),
    )


_VAR_REF = re.compile(r"\bvariables\s*\.\s*\??([A-Za-z_][A-Za-z0-9_]*)")
_AUTHORIZER = re.compile(r"(?<![\w.])authorizer\b")


@dataclass(frozen=True)
class Compiled:
    """One compiled expression and what it references."""

    source: str
    program: Any
    variables: frozenset[str]
    uses_authorizer: bool


def compile_expression(source: str) -> Compiled:
    """Compile (parse and type-check) once; ``ValueError`` with the checker's message."""
    try:
        program = environment().compile(formatlib.rewrite(source))
    except RuntimeError as exc:
        raise ValueError(_clean(str(exc))) from None
    return Compiled(
        source=source,
        program=program,
        variables=frozenset(_VAR_REF.findall(source)),
        uses_authorizer=_AUTHORIZER.search(source) is not None,
    )


def _clean(message: str) -> str:
    """Drop the status-code decoration cel-cpp adds (``INVALID_ARGUMENT: ... [CODE]``)."""
    message = re.sub(r"\s*\[[A-Z_]+\]\s*$", "", message.strip())
    message = re.sub(r"^[A-Z_]+: ", "", message)
    return message.replace("ERROR: <input>:", "at ")


def clean_error(message: str) -> str:
    """A runtime error message without cel-cpp's status prefix."""
    return _clean(message)
