"""The bits both of hardhull's HTTPS endpoints use (the admission webhook and the
Kubernetes audit webhook): raw-ASGI type aliases, a size-bounded body reader, a reply,
and the listening socket."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
JSON_HEADERS = [(b"content-type", b"application/json")]


def listen_socket(address: str, port: int, backlog: int = 2048) -> socket.socket:
    """A bound, listening TCP socket (IPv6 when ``address`` has a colon, SO_REUSEADDR);
    the ``OSError`` is the caller's to report."""
    sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The request body, or ``None`` beyond ``limit`` bytes (refused from the declared
    Content-Length before reading when it can be) or when the client left."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                if int(value) > limit:
                    return None
            except ValueError:
                return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def reply(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] = JSON_HEADERS
) -> None:
    """A complete response with its Content-Length."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
