"""Go's ``net/url.ParseRequestURI`` validation, with Go's error texts.

The format library's ``uri`` format reports the error Go's parser gives
(``parse "x": invalid URI for request``); this module reproduces that parser's accept /
reject decisions and messages for request URIs: an absolute URI (``scheme:...``) or an
absolute path, no fragment stripping, a strictly checked host and port, valid ``%``
escapes.
"""

from __future__ import annotations

_HEX = frozenset("0123456789abcdefABCDEF")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_SCHEME_TAIL = frozenset("0123456789+-.")
_HOST_OK = _ALNUM | frozenset("!$&'()*+,;=:[]<>\"-_.~")
_USERINFO_OK = _ALNUM | frozenset("-._:~!$&'()*+,;=%@")


def go_quote(s: str) -> str:
    """Go's ``strconv.Quote`` (``%q``) for the strings that appear in error messages."""
    out = []
    for ch in s:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


class URLError(ValueError):
    """A parse failure; ``str()`` is Go's ``*url.Error`` text."""


def _scheme(raw: str) -> tuple[str, str]:
    for i, ch in enumerate(raw):
        if ch.isascii() and ch.isalpha():
            continue
        if ch in _SCHEME_TAIL:
            if i == 0:
                return "", raw
            continue
        if ch == ":":
            if i == 0:
                raise ValueError("missing protocol scheme")
            return raw[:i], raw[i + 1 :]
        return "", raw
    return "", raw


def _unescape(s: str, host: bool) -> None:
    i = 0
    while i < len(s):
        ch = s[i]
        if ch == "%":
            if i + 2 >= len(s) or s[i + 1] not in _HEX or s[i + 2] not in _HEX:
                raise ValueError(f"invalid URL escape {go_quote(s[i : i + 3])}")
            if host and int(s[i + 1], 16) < 8 and s[i : i + 3] != "%25":
                raise ValueError(f"invalid URL escape {go_quote(s[i : i + 3])}")
            i += 3
            continue
        if host and ch.isascii() and ch not in _HOST_OK:
            raise ValueError(f"invalid character {go_quote(ch)} in host name")
        i += 1


def _valid_port(colon_port: str) -> bool:
    if not colon_port:
        return True
    return colon_port[0] == ":" and all(c in "0123456789" for c in colon_port[1:])


def _host(host: str) -> None:
    if host.startswith("["):
        end = host.rfind("]")
        if end < 0:
            raise ValueError("missing ']' in host")
        if not _valid_port(host[end + 1 :]):
            raise ValueError(f"invalid port {go_quote(host[end + 1 :])} after host")
    else:
        colon = host.rfind(":")
        if colon != -1 and not _valid_port(host[colon:]):
            raise ValueError(f"invalid port {go_quote(host[colon:])} after host")
    _unescape(host, host=True)


def _authority(authority: str) -> None:
    at = authority.rfind("@")
    _host(authority[at + 1 :])
    if at < 0:
        return
    userinfo = authority[:at]
    if any(ch.isascii() and ch not in _USERINFO_OK for ch in userinfo):
        raise ValueError("net/url: invalid userinfo")
    _unescape(userinfo, host=False)


def _check(raw: str) -> None:
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in raw):
        raise ValueError("net/url: invalid control character in URL")
    if raw == "":
        raise ValueError("empty url")
    if raw == "*":
        return
    scheme, rest = _scheme(raw)
    rest = rest.partition("?")[0]  # the query is not validated
    if not rest.startswith("/"):
        if scheme:
            return  # opaque
        raise ValueError("invalid URI for request")
    if scheme and rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        _authority(authority)
        rest = slash + path
    _unescape(rest, host=False)


def parse_request_uri(raw: str) -> None:
    """Validate like ``url.ParseRequestURI``; :class:`URLError` with Go's message."""
    try:
        _check(raw)
    except ValueError as exc:
        raise URLError(f"parse {go_quote(raw)}: {exc}") from None
