"""Images in registries, through the OCI distribution API (a client of our own on httpx)."""

from __future__ import annotations

from hardhull.sources.registry.reference import Reference, parse_reference
from hardhull.sources.registry.resolve import resolve_registry

__all__ = ["Reference", "parse_reference", "resolve_registry"]
