"""Textual inlining of ``variables.<name>`` references into CEL sources.

Evaluating a policy's variables one by one means a fresh CEL activation per policy that
has variables, and a fresh activation converts the request's objects from Python again
(tens of microseconds for a Deployment). An expression whose variables are inlined as
parenthesised sub-expressions evaluates directly on the request's shared activation.

CEL is side-effect free, so ``variables.x`` and ``(<x's expression>)`` have the same
value; like Kubernetes' lazily evaluated variables, a variable that fails only makes the
expressions fail that actually reach it. String literals and comments are never
rewritten. When a source cannot be inlined safely (``variables.?x``, ``has(variables.x)``
, ``variables['x']``, a comprehension variable named ``variables``, an unknown
variable, a result too long) :func:`inline_variables` returns ``None`` and the caller
keeps evaluating variable by variable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

MAX_INLINED_CHARS = 16 * 1024

_REF = re.compile(r"variables\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)")
_BARE = re.compile(r"variables(?![A-Za-z0-9_])")
_QUOTES = ('"""', "'''", '"', "'")


def mask(source: str) -> tuple[str, list[tuple[int, int]]]:
    """``source`` with string literals blanked (same length) and the comment spans."""
    out = list(source)
    comments: list[tuple[int, int]] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "/" and source.startswith("//", i):
            end = source.find("\n", i)
            end = n if end < 0 else end
            comments.append((i, end))
            for k in range(i, end):
                out[k] = " "
            i = end
            continue
        if ch in "\"'":
            quote = next(q for q in _QUOTES if source.startswith(q, i))
            j = i - 1
            raw = False
            while j >= 0 and source[j] in "rRbB":
                raw = raw or source[j] in "rR"
                j -= 1
            k = i + len(quote)
            while k < n and not source.startswith(quote, k):
                if source[k] == "\\" and not raw:
                    k += 1
                elif len(quote) == 1 and source[k] == "\n":
                    break  # unterminated: the compiler reports it
                k += 1
            end = min(n, k + len(quote))
            for m in range(i, end):
                out[m] = " "
            i = end
            continue
        i += 1
    return "".join(out), comments


def _after_dot(masked: str, start: int) -> bool:
    """Whether the identifier at ``start`` is not the top-level ``variables``: part of a
    longer identifier, or a field selected with ``.``."""
    if start > 0 and (masked[start - 1].isalnum() or masked[start - 1] == "_"):
        return True
    j = start - 1
    while j >= 0 and masked[j].isspace():
        j -= 1
    return j >= 0 and masked[j] == "."


def strip_comments(source: str) -> str:
    """``source`` without its ``//`` comments (line breaks kept)."""
    _, comments = mask(source)
    for start, end in reversed(comments):
        source = source[:start] + source[end:]
    return source


def inline_variables(source: str, variables: Mapping[str, str | None]) -> str | None:
    """``source`` with each ``variables.<name>`` replaced by ``(<inlined source>)``;
    ``variables`` maps names to their already inlined, comment-free sources (``None`` for
    one that could not be inlined). ``None`` when the result would not be equivalent."""
    masked, _ = mask(source)
    spans: list[tuple[int, int, str]] = []
    for m in _REF.finditer(masked):
        if _after_dot(masked, m.start()):
            continue  # a field called "variables" of some object
        inner = variables.get(m.group(1))
        if inner is None:
            return None
        spans.append((m.start(), m.end(), f"({inner})"))
    covered = {s for s, _, _ in spans}
    for m in _BARE.finditer(masked):
        if m.start() not in covered and not _after_dot(masked, m.start()):
            return None  # variables.?x, variables['x'], has(...), shadowing, ...
    if not spans:
        return source
    parts: list[str] = []
    last = 0
    for start, end, text in spans:
        parts.append(source[last:start])
        parts.append(text)
        last = end
    parts.append(source[last:])
    out = "".join(parts)
    return out if len(out) <= MAX_INLINED_CHARS else None
