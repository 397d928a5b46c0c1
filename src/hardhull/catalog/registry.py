"""The explicit, ordered list of catalogers. No import-time registration."""

from __future__ import annotations

from hardhull.catalog.apk import ApkCataloger
from hardhull.catalog.base import Cataloger
from hardhull.catalog.binary import BinaryCataloger
from hardhull.catalog.cargo import CargoLockCataloger
from hardhull.catalog.composer import ComposerCataloger
from hardhull.catalog.dotnet import DotnetCataloger
from hardhull.catalog.dpkg import DpkgCataloger
from hardhull.catalog.gem import GemCataloger
from hardhull.catalog.java import JavaCataloger
from hardhull.catalog.npm import NpmCataloger
from hardhull.catalog.python import PythonCataloger
from hardhull.catalog.rpm import RpmCataloger


def default_catalogers() -> tuple[Cataloger, ...]:
    """Every cataloger, OS formats first."""
    return (
        DpkgCataloger(),
        ApkCataloger(),
        RpmCataloger(),
        PythonCataloger(),
        NpmCataloger(),
        GemCataloger(),
        DotnetCataloger(),
        ComposerCataloger(),
        CargoLockCataloger(),
        BinaryCataloger(),
        JavaCataloger(),
    )
