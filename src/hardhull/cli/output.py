"""Writing a command's result: to standard output, or atomically to a file."""

from __future__ import annotations

import sys
from pathlib import Path

from hardhull.errors import UsageError


def emit(data: bytes, output: Path | None) -> None:
    """Write ``data`` to ``output`` atomically (temp file + rename), or to standard output."""
    if output is None:
        sys.stdout.buffer.write(data)
        if not data.endswith(b"\n"):
            sys.stdout.buffer.write(b"\n")
        sys.stdout.flush()
        return
    tmp = output.with_name(output.name + ".tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(output)
    except OSError as exc:
        raise UsageError(f"{output}: cannot write ({exc.strerror})") from exc
