"""Rust crates pinned by ``Cargo.lock`` (format versions 1 to 4, read with ``tomllib``).

Every ``[[package]]`` table with a name and version becomes ``pkg:cargo/<name>@<version>``.
Its ``source`` (``registry+https://...``, ``sparse+https://...``, ``git+https://...#rev``,
absent for workspace and path crates, recorded as ``local``) and ``checksum`` (a field
since v2, the ``[metadata]`` table in v1) are kept in the metadata. Crates compiled into
binaries with cargo-auditable data are the binary cataloger's business.
"""

from __future__ import annotations

import tomllib

from hardhull.catalog.base import CatalogResult
from hardhull.catalog.lang_util import Findings, location, text
from hardhull.catalog.purl import make_purl
from hardhull.model import Distro, FileEntry, Package, PackageType
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree

SELECTOR = "cargo-lock"


def _match(entry: FileEntry) -> bool:
    return entry.path.endswith("/Cargo.lock")


def _load_toml(data: bytes) -> dict[str, object]:
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"invalid TOML: {exc}") from None


def _v1_checksums(doc: dict[str, object]) -> dict[tuple[str, str], str]:
    """v1 keeps checksums as ``"checksum NAME VERSION (SOURCE)" = "hex"`` in ``[metadata]``."""
    meta = doc.get("metadata")
    out: dict[tuple[str, str], str] = {}
    if not isinstance(meta, dict):
        return out
    for key, value in meta.items():
        parts = key.split(" ")
        if len(parts) >= 3 and parts[0] == "checksum" and isinstance(value, str):
            out[(parts[1], parts[2])] = value
    return out


class CargoLockCataloger:
    """Finds Rust crates listed in ``Cargo.lock`` files."""

    name = "cargo"
    version = "1"
    selectors: tuple[Selector, ...] = (Selector(SELECTOR, _match, suffixes=("/Cargo.lock",)),)

    def catalog(self, tree: FileTree, distro: Distro | None) -> CatalogResult:
        """Each lockfile's packages; an unreadable lockfile is an ``unparsable-database`` gap."""
        found = Findings()
        for entry, doc in found.documents(tree, SELECTOR, _load_toml):
            listed = doc.get("package", [])
            if not isinstance(listed, list):
                found.reject(entry, "[package] is not an array of tables")
                continue
            found.databases.append(entry.path)
            checksums = _v1_checksums(doc)
            seen: set[tuple[str, str]] = set()
            for item in listed:
                if not isinstance(item, dict):
                    continue
                name, version = text(item.get("name")), text(item.get("version"))
                if name is None or version is None:
                    continue
                if (name, version) in seen:  # same crate from two sources: one package id
                    continue
                seen.add((name, version))
                source = text(item.get("source")) or "local"
                checksum = text(item.get("checksum")) or checksums.get((name, version))
                meta = [("source", source)]
                if checksum:
                    meta.insert(0, ("checksum", checksum))
                found.packages.append(
                    Package(
                        name=name,
                        version=version,
                        type=PackageType.CARGO,
                        purl=make_purl("cargo", name, version),
                        locations=(location(entry),),
                        found_by=self.name,
                        metadata=tuple(meta),
                    )
                )
        return found.result()
