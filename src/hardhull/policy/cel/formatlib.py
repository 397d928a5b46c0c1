"""The Kubernetes CEL ``format`` library (``k8s.io/apiserver/pkg/cel/library/format.go``).

``format.<name>()`` gives a named format, ``format.named(string)`` an optional format
(none for an unknown name) and ``<format>.validate(string)`` ``optional.none()`` when
the string is valid, else an optional list of messages. The messages are those of
``k8s.io/apimachinery`` validation (``IsDNS1123Label``, ``IsQualifiedName``, ...),
Go's ``url.ParseRequestURI`` and kube-openapi's ``strfmt`` checks.

A format travels through CEL as a tagged ``map<string, string>``. Python functions of
cel-expr-python cannot return optional values, so :func:`rewrite` turns every
``format.named(x)`` into ``optional.ofNonZeroValue(hhFormatNamed(x))`` and every
``<recv>.validate(x)`` into ``optional.ofNonZeroValue(<recv>.hhFormatValidate(x))``
before compiling: the Python functions return an empty map / list for "none", and the
expression sees real optionals.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from hardhull.policy.cel.gourl import URLError, parse_request_uri
from hardhull.policy.cel.inline import mask

TAG = "__format__"
NAMED = "hhFormatNamed"
VALIDATE = "hhFormatValidate"

_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN_FMT = _LABEL_FMT + "(\\." + _LABEL_FMT + ")*"
_DNS1035_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_VALUE_FMT = "(" + _KEY_FMT + ")?"

_LABEL = re.compile(_LABEL_FMT)
_SUBDOMAIN = re.compile(_SUBDOMAIN_FMT)
_DNS1035 = re.compile(_DNS1035_FMT)
_KEY = re.compile(_KEY_FMT)
_VALUE = re.compile(_VALUE_FMT)
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)
_BASE64 = re.compile(
    r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})"
)
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_TIME = re.compile(r"([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))\Z")

_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character"
)
_DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
    "an alphabetic character, and end with an alphanumeric character"
)
_KEY_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
    "an alphanumeric character"
)
_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
    "or '.', and must start and end with an alphanumeric character"
)


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """apimachinery's ``RegexError`` text."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


def max_len_error(length: int) -> str:
    """apimachinery's ``MaxLenError`` text."""
    return f"must be no more than {length} characters"


def _too_long(value: str, limit: int) -> list[str]:
    return [max_len_error(limit)] if len(value.encode()) > limit else []


def dns1123_label(value: str) -> list[str]:
    """``IsDNS1123Label``."""
    errs = _too_long(value, 63)
    if not _LABEL.fullmatch(value):
        if _SUBDOMAIN.fullmatch(value):
            errs.append("must not contain dots")
        else:
            errs.append(regex_error(_LABEL_MSG, _LABEL_FMT, "my-name", "123-abc"))
    return errs


def dns1123_subdomain(value: str) -> list[str]:
    """``IsDNS1123Subdomain``."""
    errs = _too_long(value, 253)
    if not _SUBDOMAIN.fullmatch(value):
        errs.append(regex_error(_SUBDOMAIN_MSG, _SUBDOMAIN_FMT, "example.com"))
    return errs


def dns1035_label(value: str) -> list[str]:
    """``IsDNS1035Label``."""
    errs = _too_long(value, 63)
    if not _DNS1035.fullmatch(value):
        errs.append(regex_error(_DNS1035_MSG, _DNS1035_FMT, "my-name", "abc-123"))
    return errs


def qualified_name(value: str) -> list[str]:
    """``IsQualifiedName`` (a label key: optional DNS subdomain prefix and ``/``)."""
    parts = value.split("/")
    errs: list[str] = []
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs += ["prefix part " + m for m in dns1123_subdomain(prefix)]
    else:
        return [
            "a valid label key "
            + regex_error(_KEY_MSG, _KEY_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name.encode()) > 63:
        errs.append("name part " + max_len_error(63))
    if not _KEY.fullmatch(name):
        errs.append("name part " + regex_error(_KEY_MSG, _KEY_FMT, "MyName", "my.name", "123-abc"))
    return errs


def label_value(value: str) -> list[str]:
    """``IsValidLabelValue``."""
    errs = _too_long(value, 63)
    if not _VALUE.fullmatch(value):
        errs.append(regex_error(_VALUE_MSG, _VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def _mask_trailing_dash(name: str) -> str:
    """apimachinery's ``maskTrailingDash``: ``"ab-"`` becomes ``"aa"``. On ``"-"`` Go
    slices out of range and panics; that is an evaluation error here."""
    if name.endswith("-"):
        if len(name) < 2:
            raise ValueError(f"cannot validate {name!r} as a name prefix")
        return name[:-2] + "a"
    return name


def _prefixed(check: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    return lambda value: check(_mask_trailing_dash(value))


def uri(value: str) -> list[str]:
    """``url.ParseRequestURI`` succeeds."""
    try:
        parse_request_uri(value)
    except URLError as exc:
        return [str(exc)]
    return []


def uuid(value: str) -> list[str]:
    """kube-openapi ``strfmt`` ``uuid``."""
    return [] if _UUID.fullmatch(value) else ["does not match the UUID format"]


def byte(value: str) -> list[str]:
    """kube-openapi ``strfmt`` ``byte`` (standard base64 with padding)."""
    return [] if _BASE64.fullmatch(value) else ["invalid base64"]


def _is_date(value: str) -> bool:
    """Go's ``time.Parse("2006-01-02", value)`` succeeds."""
    m = _DATE.fullmatch(value)
    if m is None:
        return False
    year, month, day = (int(g) for g in m.groups())
    if not 1 <= month <= 12:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return 1 <= day <= days


def date(value: str) -> list[str]:
    """kube-openapi ``strfmt`` ``date`` (RFC 3339 full-date)."""
    return [] if _is_date(value) else ["invalid date"]


def datetime(value: str) -> list[str]:
    """kube-openapi ``strfmt`` ``datetime``: a date, ``T``, and an RFC 3339 time with
    ``Z`` or a numeric offset (case-insensitive)."""
    parts = value.lower().split("t")
    ok = len(value) >= 4 and len(parts) >= 2 and _is_date(parts[0])
    m = _TIME.match(parts[1]) if ok else None
    if m is None or not (m.group(1) <= "23" and m.group(2) <= "59" and m.group(3) <= "59"):
        return ["invalid datetime"]
    return []


FORMATS: dict[str, Callable[[str], list[str]]] = {
    "dns1123Label": dns1123_label,
    "dns1123Subdomain": dns1123_subdomain,
    "dns1035Label": dns1035_label,
    "qualifiedName": qualified_name,
    "dns1123LabelPrefix": _prefixed(dns1123_label),
    "dns1123SubdomainPrefix": _prefixed(dns1123_subdomain),
    "dns1035LabelPrefix": _prefixed(dns1035_label),
    "labelValue": label_value,
    "uri": uri,
    "uuid": uuid,
    "byte": byte,
    "date": date,
    "datetime": datetime,
}


def constant(name: str) -> Callable[[], dict[str, str]]:
    """The implementation of ``format.<name>()``."""
    value = {TAG: name}
    return lambda: dict(value)


def named(name: str) -> dict[str, str]:
    """``format.named(name)`` before wrapping: the format, or ``{}`` (none)."""
    return {TAG: name} if name in FORMATS else {}


def validate(fmt: Mapping[str, str], value: str) -> list[str]:
    """``<format>.validate(value)`` before wrapping: the messages (``[]`` = none)."""
    if not isinstance(fmt, Mapping) or fmt.get(TAG) not in FORMATS:
        raise ValueError("no such overload: validate() needs a format")
    return FORMATS[fmt[TAG]](value)


_NAMED_CALL = re.compile(r"(?<![\w.])format\s*\.\s*named\s*\(")
_VALIDATE_CALL = re.compile(r"\.\s*validate\s*\(")
_CLOSE = {")": "(", "]": "[", "}": "{"}


def _call_end(masked: str, open_paren: int) -> int | None:
    """Index just past the ``)`` matching ``masked[open_paren]``."""
    depth = 0
    for i in range(open_paren, len(masked)):
        ch = masked[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def _receiver_start(masked: str, dot: int) -> int:
    """Start of the member-call chain (``a.b(c)[d].?e``) that ends just before ``dot``."""
    i = dot
    while True:
        j = i - 1
        while j >= 0 and masked[j].isspace():
            j -= 1
        if j >= 0 and masked[j] in _CLOSE:
            depth = 0
            while j >= 0:
                if masked[j] in _CLOSE:
                    depth += 1
                elif masked[j] in "([{":
                    depth -= 1
                    if depth == 0:
                        break
                j -= 1
            start = max(j, 0)
            k = start - 1
            while k >= 0 and (masked[k].isalnum() or masked[k] == "_"):
                k -= 1
            start = k + 1
        else:
            k = j
            while k >= 0 and (masked[k].isalnum() or masked[k] == "_"):
                k -= 1
            start = k + 1
            if start > j:
                return i  # nothing before the dot we recognise
        k = start - 1
        while k >= 0 and masked[k].isspace():
            k -= 1
        if k >= 0 and masked[k] == "?" and k > 0 and masked[k - 1] == ".":
            k -= 1
        if k >= 0 and masked[k] == ".":
            i = k
            continue
        return start


def _rewrite_once(source: str) -> str | None:
    masked = mask(source)[0]
    found = [(m.start(), m, True) for m in _NAMED_CALL.finditer(masked)]
    found += [(m.start(), m, False) for m in _VALIDATE_CALL.finditer(masked)]
    for _, m, is_named in sorted(found, key=lambda f: f[0]):
        end = _call_end(masked, m.end() - 1)
        if end is None:
            continue
        args = source[m.end() : end]
        if is_named:
            return f"{source[: m.start()]}optional.ofNonZeroValue({NAMED}({args}){source[end:]}"
        start = _receiver_start(masked, m.start())
        recv = source[start : m.start()]
        call = f"optional.ofNonZeroValue({recv}.{VALIDATE}({args})"
        return f"{source[:start]}{call}{source[end:]}"
    return None


def rewrite(source: str) -> str:
    """``source`` with the optional-returning format calls wrapped (see the module
    docstring); unchanged when it has none."""
    if "format" not in source and "validate" not in source:
        return source
    while (out := _rewrite_once(source)) is not None:
        source = out
    return source
