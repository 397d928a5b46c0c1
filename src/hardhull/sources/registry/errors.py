"""Turn HTTP answers and transport failures into one-line :class:`RegistryError` messages."""

from __future__ import annotations

import json
import socket
import ssl

import httpx

from hardhull.errors import RegistryError

_MAX_ERROR_BODY = 64 * 1024


def _clean(text: str, limit: int = 160) -> str:
    """One printable line, at most ``limit`` characters."""
    line = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def registry_message(response: httpx.Response) -> str:
    """The registry's own error code and message, if its (streamed) body has them."""
    try:
        body = b""
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > _MAX_ERROR_BODY:
                return ""
    except httpx.HTTPError:
        return ""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return ""
    errors = doc.get("errors") if isinstance(doc, dict) else None
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return ""
    code, message = errors[0].get("code"), errors[0].get("message")
    parts = [str(p) for p in (code, message) if isinstance(p, str) and p]
    return _clean(": ".join(parts))


def status_error(
    response: httpx.Response, host: str, what: str, *, had_credentials: bool
) -> RegistryError:
    """The error for an unexpected HTTP status while fetching ``what`` from ``host``."""
    status = response.status_code
    detail = registry_message(response)
    said = f" ({detail})" if detail else ""
    if status == 401:
        if had_credentials:
            return RegistryError(
                f"registry {host} rejected the credentials for {what}{said}",
                hint="check --username/--password-stdin or the Docker config entry",
            )
        return RegistryError(
            f"registry {host} requires authentication for {what}{said}",
            hint="pass --username and --password-stdin, or log in with `podman login`",
        )
    if status == 403:
        return RegistryError(
            f"registry {host} denied access to {what}{said}",
            hint="the account may lack pull permission on this repository",
        )
    if status == 404:
        return RegistryError(f"{what} not found on registry {host}{said}")
    if status == 429:
        return RegistryError(
            f"registry {host} is rate-limiting requests for {what}{said}",
            hint="wait and retry, or log in to get a higher limit",
        )
    if status >= 500:
        return RegistryError(
            f"registry {host} failed with HTTP {status} {response.reason_phrase} "
            f"while serving {what}{said}",
            hint="a server-side problem; retry later",
        )
    return RegistryError(f"registry {host} answered HTTP {status} for {what}{said}")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen and len(seen) < 20:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def transport_error(exc: httpx.HTTPError, host: str, what: str) -> RegistryError:
    """The error for a failure below HTTP (refused, DNS, TLS, timeout, garbage)."""
    chain = _chain(exc)
    text = " ".join(str(e) for e in chain)
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or (
        "CERTIFICATE_VERIFY_FAILED" in text
    ):
        reason = next(
            (e.verify_message for e in chain if isinstance(e, ssl.SSLCertVerificationError)),
            "certificate verify failed",
        )
        return RegistryError(
            f"TLS verification of registry {host} failed ({_clean(str(reason), 80)})",
            hint="point SSL_CERT_FILE at its CA bundle, or pass --insecure to skip verification",
        )
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return RegistryError(
            f"TLS handshake with registry {host} failed ({_clean(text, 100)})",
            hint="if it speaks plain HTTP, pass --insecure",
        )
    if isinstance(exc, httpx.TimeoutException):
        return RegistryError(f"registry {host} timed out while fetching {what}")
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text.lower():
        return RegistryError(
            f"cannot connect to registry {host}: connection refused",
            hint="is the registry running and the host:port right?",
        )
    if any(isinstance(e, socket.gaierror) for e in chain):
        return RegistryError(f"cannot resolve registry host {host}")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.DecodingError):
        return RegistryError(
            f"registry {host} sent a malformed HTTP answer for {what} ({_clean(str(exc), 80)})"
        )
    if isinstance(exc, httpx.TooManyRedirects):
        return RegistryError(f"registry {host} redirected too many times for {what}")
    return RegistryError(f"cannot fetch {what} from registry {host} ({_clean(text, 120)})")
