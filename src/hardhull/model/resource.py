"""Kubernetes (and Dockerfile) resources as the posture and policy stages see them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ResourceRef:
    """Which object, and where it came from (``file``/``line`` of its document start;
    ``file`` is ``cluster:<context>`` for objects read from a live cluster)."""

    kind: str
    name: str
    namespace: str | None = None
    api_version: str = ""
    file: str | None = None
    line: int | None = None

    def label(self) -> str:
        """``Deployment default/web`` style short name."""
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


@dataclass(frozen=True, slots=True)
class Resource:
    """One object: its reference and its decoded content (treat ``obj`` as read-only)."""

    ref: ResourceRef
    obj: Mapping[str, Any] = field(compare=False, hash=False)
    labels: tuple[tuple[str, str], ...] = ()
