"""The Kubernetes CEL ``url``, ``ip`` and ``cidr`` libraries.

Values travel through CEL as tagged ``map<string, string>`` (``{"__url__": text}``, ...),
because the CEL runtime binding cannot carry opaque Python objects; every accessor
re-parses the (small) text, which keeps the encoding trivially hashable and comparable.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import SplitResult, parse_qs, quote, urlsplit

URL_TAG = "__url__"
IP_TAG = "__ip__"
CIDR_TAG = "__cidr__"

IPAddr = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNet = ipaddress.IPv4Network | ipaddress.IPv6Network


def _split(text: str) -> SplitResult:
    """Go's ``url.ParseRequestURI``: an absolute URI or an absolute path."""
    parts = urlsplit(text)
    if not parts.scheme and not text.startswith("/"):
        raise ValueError(f"URL parse error during conversion from string: {text!r}")
    if any(ch in text for ch in " \t\n"):
        raise ValueError(f"URL parse error during conversion from string: {text!r}")
    return parts


def url(text: str) -> dict[str, str]:
    """``url(string)``."""
    _split(text)
    return {URL_TAG: text}


def is_url(text: str) -> bool:
    """``isURL(string)``."""
    try:
        _split(text)
    except ValueError:
        return False
    return True


def _url(value: Mapping[str, str]) -> SplitResult:
    if not isinstance(value, Mapping) or URL_TAG not in value:
        raise ValueError("no such overload: expected a URL")
    return _split(value[URL_TAG])


def get_scheme(value: Mapping[str, str]) -> str:
    """``url.getScheme()``."""
    return _url(value).scheme


def get_host(value: Mapping[str, str]) -> str:
    """``url.getHost()``: host and port, IPv6 literals in brackets."""
    return _url(value).netloc.rpartition("@")[2]


def get_hostname(value: Mapping[str, str]) -> str:
    """``url.getHostname()``: host without port or IPv6 brackets."""
    host = get_host(value)
    if host.startswith("["):
        return host[1 : host.find("]")]
    return host.rpartition(":")[0] if ":" in host else host


def get_port(value: Mapping[str, str]) -> str:
    """``url.getPort()``: the port as written, or empty."""
    host = get_host(value)
    tail = host[host.find("]") + 1 :] if host.startswith("[") else host
    return tail.rpartition(":")[2] if ":" in tail else ""


def get_escaped_path(value: Mapping[str, str]) -> str:
    """``url.getEscapedPath()``."""
    return quote(_url(value).path, safe="/%:@!$&'()*+,;=-._~")


def get_query(value: Mapping[str, str]) -> dict[str, list[str]]:
    """``url.getQuery()``: map of parameter to all its values."""
    return parse_qs(_url(value).query, keep_blank_values=True)


def _parse_ip(text: str) -> IPAddr:
    if "%" in text:
        raise ValueError(f"IP address with zone value is not allowed: {text!r}")
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(f"IP Address {text!r} parse error during conversion from string") from None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        raise ValueError(f"IPv4-mapped IPv6 address is not allowed: {text!r}")
    return addr


def ip(text: str) -> dict[str, str]:
    """``ip(string)``."""
    return {IP_TAG: str(_parse_ip(text))}


def is_ip(text: str) -> bool:
    """``isIP(string)``."""
    try:
        _parse_ip(text)
    except ValueError:
        return False
    return True


def is_canonical(text: str) -> bool:
    """``ip.isCanonical(string)``."""
    return str(_parse_ip(text)) == text


def _ip(value: Mapping[str, str]) -> IPAddr:
    if not isinstance(value, Mapping) or IP_TAG not in value:
        raise ValueError("no such overload: expected an IP address")
    return ipaddress.ip_address(value[IP_TAG])


def family(value: Mapping[str, str]) -> int:
    """``ip.family()``: 4 or 6."""
    return _ip(value).version


def is_unspecified(value: Mapping[str, str]) -> bool:
    """``ip.isUnspecified()``."""
    return _ip(value).is_unspecified


def is_loopback(value: Mapping[str, str]) -> bool:
    """``ip.isLoopback()``."""
    return _ip(value).is_loopback


def is_link_local_multicast(value: Mapping[str, str]) -> bool:
    """``ip.isLinkLocalMulticast()`` (224.0.0.0/24, ff02::/16)."""
    addr = _ip(value)
    net = "224.0.0.0/24" if addr.version == 4 else "ff02::/16"
    return addr in ipaddress.ip_network(net)


def is_link_local_unicast(value: Mapping[str, str]) -> bool:
    """``ip.isLinkLocalUnicast()`` (169.254.0.0/16, fe80::/10)."""
    addr = _ip(value)
    net = "169.254.0.0/16" if addr.version == 4 else "fe80::/10"
    return addr in ipaddress.ip_network(net)


def is_global_unicast(value: Mapping[str, str]) -> bool:
    """``ip.isGlobalUnicast()`` with Go's meaning (private ranges count as global)."""
    addr = _ip(value)
    if addr.is_unspecified or addr.is_loopback or addr.is_multicast:
        return False
    if is_link_local_unicast(value):
        return False
    return not (addr.version == 4 and str(addr) == "255.255.255.255")


def _parse_cidr(text: str) -> tuple[IPAddr, IPNet]:
    address, sep, prefix = text.partition("/")
    if not sep or not prefix.isdigit():
        raise ValueError(f"network address {text!r} parse error during conversion from string")
    addr = _parse_ip(address)
    return addr, ipaddress.ip_network(f"{addr}/{int(prefix)}", strict=False)


def cidr(text: str) -> dict[str, str]:
    """``cidr(string)``."""
    addr, net = _parse_cidr(text)
    return {CIDR_TAG: f"{addr}/{net.prefixlen}"}


def is_cidr(text: str) -> bool:
    """``isCIDR(string)``."""
    try:
        _parse_cidr(text)
    except ValueError:
        return False
    return True


def _cidr(value: Mapping[str, str]) -> tuple[IPAddr, IPNet]:
    if not isinstance(value, Mapping) or CIDR_TAG not in value:
        raise ValueError("no such overload: expected a CIDR")
    return _parse_cidr(value[CIDR_TAG])


def contains_ip(value: Mapping[str, str], other: Mapping[str, str] | str) -> bool:
    """``cidr.containsIP(ip | string)``."""
    addr = _parse_ip(other) if isinstance(other, str) else _ip(other)
    net = _cidr(value)[1]
    return addr.version == net.version and addr in net


def contains_cidr(value: Mapping[str, str], other: Mapping[str, str] | str) -> bool:
    """``cidr.containsCIDR(cidr | string)``."""
    inner = _parse_cidr(other)[1] if isinstance(other, str) else _cidr(other)[1]
    net = _cidr(value)[1]
    return inner.version == net.version and inner.subnet_of(net)  # type: ignore[arg-type]


def cidr_ip(value: Mapping[str, str]) -> dict[str, str]:
    """``cidr.ip()``: the address as written."""
    return {IP_TAG: str(_cidr(value)[0])}


def masked(value: Mapping[str, str]) -> dict[str, str]:
    """``cidr.masked()``: the network address with the prefix."""
    return {CIDR_TAG: str(_cidr(value)[1])}


def prefix_length(value: Mapping[str, str]) -> int:
    """``cidr.prefixLength()``."""
    return _cidr(value)[1].prefixlen
