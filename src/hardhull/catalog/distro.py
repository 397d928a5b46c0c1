"""OS identity from os-release and friends: placeholder until implemented."""

from __future__ import annotations

from hardhull.model import Distro
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree

DISTRO_SELECTORS: tuple[Selector, ...] = ()


def identify_distro(tree: FileTree) -> Distro | None:
    """The distribution of ``tree``, or ``None`` when nothing identifies one."""
    return None
