"""End-of-life dates of base-image distributions.

Each date is the end of the *public* security support a user gets without a paid
contract: Debian including Debian LTS, Ubuntu standard support (not ESM/Pro), Alpine's
main repository, RHEL/UBI maintenance support (not ELS), and so on. Facts come from the
distributions' own lifecycle pages, named above each table; update them when a project
announces or moves a date. Release keys are what ``os-release`` ``VERSION_ID`` reduces to
(:func:`release_key`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from hardhull.model import Distro

_D = dt.date


class Lifecycle(StrEnum):
    """What is known about a distribution release's support."""

    DATED = "dated"  # a known end-of-life date
    ROLLING = "rolling"  # continuously updated, no release to go out of support
    UNKNOWN = "unknown"  # the distribution or release is not in the table


@dataclass(frozen=True, slots=True)
class EolInfo:
    """The lifecycle of one distribution release."""

    distro: str
    release: str
    lifecycle: Lifecycle
    eol: dt.date | None = None
    source: str = ""
    note: str = ""


# Debian: https://wiki.debian.org/DebianReleases and https://wiki.debian.org/LTS
# (end of LTS; regular security support ends about two years earlier).
_DEBIAN = {
    "7": _D(2018, 5, 31),
    "8": _D(2020, 6, 30),
    "9": _D(2022, 6, 30),
    "10": _D(2024, 6, 30),
    "11": _D(2026, 8, 31),
    "12": _D(2028, 6, 30),
    "13": _D(2030, 6, 30),
}
# Ubuntu: https://ubuntu.com/about/release-cycle (end of standard support).
_UBUNTU = {
    "14.04": _D(2019, 4, 25),
    "16.04": _D(2021, 4, 30),
    "18.04": _D(2023, 5, 31),
    "20.04": _D(2025, 5, 29),
    "22.04": _D(2027, 6, 1),
    "23.10": _D(2024, 7, 11),
    "24.04": _D(2029, 5, 31),
    "24.10": _D(2025, 7, 10),
    "25.04": _D(2026, 1, 15),
    "25.10": _D(2026, 7, 9),
    "26.04": _D(2031, 5, 31),
}
# Alpine: https://alpinelinux.org/releases/ (end of main repository support).
_ALPINE = {
    "3.12": _D(2022, 5, 1),
    "3.13": _D(2022, 11, 1),
    "3.14": _D(2023, 5, 1),
    "3.15": _D(2023, 11, 1),
    "3.16": _D(2024, 5, 23),
    "3.17": _D(2024, 11, 22),
    "3.18": _D(2025, 5, 9),
    "3.19": _D(2025, 11, 1),
    "3.20": _D(2026, 4, 1),
    "3.21": _D(2026, 11, 1),
    "3.22": _D(2027, 5, 1),
    "3.23": _D(2027, 11, 1),
}
# RHEL / UBI: https://access.redhat.com/support/policy/updates/errata (end of
# Maintenance Support; Extended Life Cycle Support is a paid add-on).
_RHEL = {
    "7": _D(2024, 6, 30),
    "8": _D(2029, 5, 31),
    "9": _D(2032, 5, 31),
    "10": _D(2035, 5, 31),
}
# Rocky Linux: https://wiki.rockylinux.org/rocky/version/ (end of security support).
_ROCKY = {"8": _D(2029, 5, 31), "9": _D(2032, 5, 31), "10": _D(2035, 5, 31)}
# AlmaLinux: https://wiki.almalinux.org/release-notes/ (security support end).
_ALMA = {"8": _D(2029, 3, 1), "9": _D(2032, 5, 31), "10": _D(2035, 5, 31)}
# CentOS: https://www.centos.org/centos-linux-eol/ and the CentOS Stream pages
# (CentOS Linux 7: 2024-06-30; "8" is CentOS Stream 8's end, after Linux 8's 2021-12-31).
_CENTOS = {"7": _D(2024, 6, 30), "8": _D(2024, 5, 31), "9": _D(2027, 5, 31)}
# Amazon Linux: https://aws.amazon.com/amazon-linux-2/faqs/ and
# https://docs.aws.amazon.com/linux/al2023/ug/release-cadence.html
_AMAZON = {"2018.03": _D(2023, 12, 31), "2": _D(2026, 6, 30), "2023": _D(2029, 6, 30)}

_TABLES: dict[str, tuple[dict[str, dt.date], str]] = {
    "debian": (_DEBIAN, "https://wiki.debian.org/LTS"),
    "ubuntu": (_UBUNTU, "https://ubuntu.com/about/release-cycle"),
    "alpine": (_ALPINE, "https://alpinelinux.org/releases/"),
    "rhel": (_RHEL, "https://access.redhat.com/support/policy/updates/errata"),
    "rocky": (_ROCKY, "https://wiki.rockylinux.org/rocky/version/"),
    "almalinux": (_ALMA, "https://wiki.almalinux.org/release-notes/"),
    "centos": (_CENTOS, "https://www.centos.org/centos-linux-eol/"),
    "amzn": (_AMAZON, "https://aws.amazon.com/amazon-linux-2/faqs/"),
}
# Rolling distributions: always current, so "end of life" means "not updated lately",
# which the vulnerability matching shows better than a date.
_ROLLING = {
    "wolfi": "Wolfi is a rolling distribution (Chainguard images): no release EOL",
    "chainguard": "Chainguard OS is rolling: no release EOL",
    "arch": "Arch Linux is rolling: no release EOL",
    "opensuse-tumbleweed": "openSUSE Tumbleweed is rolling: no release EOL",
}
# Alpine's development branch and Debian testing/unstable have no VERSION_ID.
_ROLLING_RELEASES = {("alpine", "edge"), ("debian", "testing"), ("debian", "sid")}


def release_key(distro_id: str, version_id: str) -> str:
    """Reduce ``VERSION_ID`` to the table key: Alpine ``3.20.3`` -> ``3.20``, RHEL ``9.4`` ->
    ``9``, Ubuntu and Amazon Linux unchanged."""
    version = version_id.strip()
    if distro_id == "alpine":
        parts = version.split(".")
        return ".".join(parts[:2])
    if distro_id in ("ubuntu", "amzn"):
        return version
    return version.split(".")[0]


def lookup(distro: Distro) -> EolInfo:
    """The lifecycle of ``distro`` (``UNKNOWN`` when not in the tables)."""
    distro_id = distro.id.lower()
    if distro_id in _ROLLING:
        return EolInfo(
            distro_id, distro.version_id or "", Lifecycle.ROLLING, note=_ROLLING[distro_id]
        )
    version = distro.version_id or ""
    if not version and distro.version_codename in ("sid", "trixie-sid", "edge"):
        version = distro.version_codename or ""
    if not version and distro.pretty_name and distro.pretty_name.endswith(("/sid", "edge")):
        version = "sid" if distro_id == "debian" else "edge"
    if (distro_id, version) in _ROLLING_RELEASES or (distro_id == "alpine" and "_alpha" in version):
        return EolInfo(
            distro_id,
            version,
            Lifecycle.ROLLING,
            note=f"{distro_id} {version} is a development branch",
        )
    table = _TABLES.get(distro_id)
    if table is None or not version:
        return EolInfo(distro_id, version, Lifecycle.UNKNOWN)
    dates, source = table
    key = release_key(distro_id, version)
    eol = dates.get(key)
    if eol is None:
        return EolInfo(distro_id, key, Lifecycle.UNKNOWN, source=source)
    return EolInfo(distro_id, key, Lifecycle.DATED, eol=eol, source=source)
