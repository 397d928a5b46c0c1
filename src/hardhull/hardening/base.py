"""The hardening check interface; the explicit list is in ``hardening/registry.py``."""

from __future__ import annotations

from typing import Protocol

from hardhull.model import Finding, Sbom
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree


class HardeningCheck(Protocol):
    """One baseline rule: an id (``HH-IMG-001``), what it needs to see, one method.

    ``evaluate`` returns one finding per violation (status ``fail``/``warn``) or a single
    ``pass`` finding; a check that could not look (no config, nothing captured) returns a
    ``skip``/``error`` finding saying why, never a silent pass.
    """

    @property
    def id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def selectors(self) -> tuple[Selector, ...]: ...

    def evaluate(self, sbom: Sbom, tree: FileTree) -> list[Finding]: ...
