"""Typed access to a decoded JSON SBOM, failing with the file and JSON path of the problem."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from packageurl import PackageURL

from hardhull.errors import FormatError
from hardhull.model import Coverage, Distro, Gap, Package, PackageType
from hardhull.sbomfmt.common import SBOM_INPUT_GAP

_PURL_TYPES = {
    "deb": PackageType.DEB,
    "apk": PackageType.APK,
    "rpm": PackageType.RPM,
    "pypi": PackageType.PYTHON,
    "npm": PackageType.NPM,
    "golang": PackageType.GO,
    "maven": PackageType.JAVA,
    "gem": PackageType.GEM,
    "cargo": PackageType.CARGO,
    "nuget": PackageType.NUGET,
    "composer": PackageType.COMPOSER,
}

_KINDS = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return _KINDS.get(type(value), type(value).__name__)


class DocReader:
    """Reads fields of one document; every failure names the file and the JSON path."""

    def __init__(self, source: Path, fmt: str) -> None:
        self.source = source
        self.fmt = fmt

    def error(self, path: str, problem: str) -> FormatError:
        """A one-line error: ``FILE: FORMAT document, at PATH: PROBLEM``."""
        return FormatError(f"{self.source}: {self.fmt} document, at {path}: {problem}")

    def obj(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(path, f"expected an object, found {_kind(value)}")
        return value

    def arr(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.error(path, f"expected an array, found {_kind(value)}")
        return value

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise self.error(path, f"expected a string, found {_kind(value)}")
        return value

    def integer(self, value: Any, path: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.error(path, f"expected an integer, found {_kind(value)}")
        return value

    def req_str(self, obj: dict[str, Any], key: str, path: str) -> str:
        if key not in obj:
            raise self.error(f"{path}.{key}", "required field is missing")
        return self.string(obj[key], f"{path}.{key}")

    def opt_str(self, obj: dict[str, Any], key: str, path: str) -> str | None:
        value = obj.get(key)
        return None if value is None else self.string(value, f"{path}.{key}")

    def opt_list(self, obj: dict[str, Any], key: str, path: str) -> list[Any]:
        value = obj.get(key)
        return [] if value is None else self.arr(value, f"{path}.{key}")

    def opt_obj(self, obj: dict[str, Any], key: str, path: str) -> dict[str, Any] | None:
        value = obj.get(key)
        return None if value is None else self.obj(value, f"{path}.{key}")

    def objects(
        self, obj: dict[str, Any], key: str, path: str
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(path, object)`` for each item of the optional array ``key``."""
        for i, item in enumerate(self.opt_list(obj, key, path)):
            where = f"{path}.{key}[{i}]"
            yield where, self.obj(item, where)

    def str_list(self, obj: dict[str, Any], key: str, path: str) -> tuple[str, ...]:
        items = self.opt_list(obj, key, path)
        return tuple(self.string(v, f"{path}.{key}[{i}]") for i, v in enumerate(items))


def parse_purl(purl: str) -> PackageURL | None:
    """The parsed purl, or None when it is not a valid package URL."""
    try:
        return PackageURL.from_string(purl)
    except ValueError:
        return None


def type_from_purl(purl: PackageURL | None) -> PackageType:
    """The hardhull package type a purl's type stands for (``binary`` when unknown)."""
    if purl is None:
        return PackageType.BINARY
    return _PURL_TYPES.get(str(purl.type).lower(), PackageType.BINARY)


def os_details(
    pkg_type: PackageType, name: str, version: str, purl: PackageURL | None
) -> dict[str, str | None]:
    """arch, distro and source package of an OS package, from its purl's qualifiers."""
    if not pkg_type.is_os:
        return {}
    quals: dict[str, str] = dict(purl.qualifiers or {}) if purl is not None else {}
    source_name, source_version = name, version
    upstream = quals.get("upstream")
    if upstream:
        if pkg_type is PackageType.RPM and upstream.endswith(".src.rpm"):
            parts = upstream[: -len(".src.rpm")].rsplit("-", 2)
            if len(parts) == 3:
                source_name, source_version = parts[0], f"{parts[1]}-{parts[2]}"
        else:
            up_name, sep, up_version = upstream.partition("@")
            source_name = up_name or name
            if sep and up_version:
                source_version = up_version
    return {
        "arch": quals.get("arch"),
        "distro": quals.get("distro"),
        "source_name": source_name,
        "source_version": source_version,
    }


def third_party_coverage(source: Path) -> Coverage:
    """Honest coverage for an inventory read from someone else's SBOM."""
    return Coverage(
        package_databases=(str(source),),
        gaps=(
            Gap(
                SBOM_INPUT_GAP,
                str(source),
                "inventory taken from an SBOM document; image contents were not examined",
            ),
        ),
    )


def tool_from_creator(creator: str) -> tuple[str, str]:
    """``Tool: syft-1.18.1`` -> (``syft``, ``1.18.1``)."""
    text = creator.removeprefix("Tool:").strip()
    name, sep, version = text.rpartition("-")
    if sep and version[:1].isdigit():
        return name, version
    return text, ""


def distro_from_packages(packages: list[Package]) -> Distro | None:
    """The distro most OS packages name in their ``distro=`` qualifier (``debian-12``)."""
    counts = Counter(p.distro for p in packages if p.type.is_os and p.distro)
    if not counts:
        return None
    qualifier = min(counts, key=lambda q: (-counts[q], q))
    ident, sep, version = qualifier.rpartition("-")
    if sep and ident and version[:1].isdigit():
        return Distro(id=ident, version_id=version)
    return Distro(id=qualifier)
