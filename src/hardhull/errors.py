"""The one exception root of hardhull.

Every failure a user can cause ends up as a :class:`HardhullError` subclass whose ``str``
is one clear line: what went wrong, where, and (when known) what to do about it. The CLI
prints that line and exits non-zero; it never shows a traceback for these.
"""

from __future__ import annotations


class HardhullError(Exception):
    """Root of every error hardhull raises on purpose."""

    exit_code: int = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class UsageError(HardhullError):
    """The command line itself is wrong (unknown scheme, bad option value)."""


class SourceError(HardhullError):
    """An image, archive, registry, engine or directory could not be read."""


class DigestMismatchError(SourceError):
    """A blob's content does not hash to the digest its manifest promised."""


class UnsafeContentError(SourceError):
    """Image content tried to escape its root or exceeded a safety limit."""


class RegistryError(SourceError):
    """A registry answered with an error, garbage, or not at all."""


class CatalogError(HardhullError):
    """A package database or manifest could not be parsed."""


class FormatError(HardhullError):
    """An SBOM document could not be written or read back."""


class RuleLoadError(HardhullError):
    """A runtime rule file could not be loaded (syntax, unknown field, macro cycle...)."""


class SensorError(HardhullError):
    """An event source could not start or read (no eBPF permission, bad events file...)."""


class ResponseError(HardhullError):
    """A response action could not be configured or carried out."""
