"""Package agreement between hardhull and Syft on (type, name, version).

Only ``deb``, ``python`` and ``npm`` are compared. Python names are compared in their
PEP 503 normal form (``PyYAML`` = ``pyyaml``); a name spelled differently by the two tools
is listed, not counted as a difference.

Language packages whose every location is a file a Debian package owns (read from the
image's dpkg lists by :mod:`ownership`, independently of both tools) are reported by Syft
but, by design, not again by hardhull: the issue requires it, so they are listed in their
own category and left out of the agreement figure. Every other difference counts against
agreement and is listed with an explanation.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bench.sbom_vs_syft.ownership import canonical

TYPES = ("deb", "python", "npm")
Key = tuple[str, str, str]


@dataclass(frozen=True)
class Found:
    """One package instance as a tool reported it."""

    type: str
    name: str
    version: str
    paths: tuple[str, ...]

    @property
    def key(self) -> Key:
        """(type, comparable name, version)."""
        return (self.type, norm_name(self.type, self.name), self.version)


def norm_name(ptype: str, name: str) -> str:
    """PEP 503 normal form for Python names; other names as they are."""
    if ptype == "python":
        return re.sub(r"[-_.]+", "-", name).lower()
    return name


def from_hardhull(doc: Mapping[str, Any]) -> list[Found]:
    """Package instances of a hardhull JSON document."""
    return [
        Found(p["type"], p["name"], p["version"], tuple(loc["path"] for loc in p["locations"]))
        for p in doc["packages"]
        if p["type"] in TYPES
    ]


def from_syft(doc: Mapping[str, Any]) -> list[Found]:
    """Package instances of a syft-json document."""
    return [
        Found(a["type"], a["name"], a["version"], tuple(loc["path"] for loc in a["locations"]))
        for a in doc["artifacts"]
        if a["type"] in TYPES
    ]


def owner_of(found: Found, owners: Mapping[str, str]) -> str | None:
    """The Debian package owning every location of a language package, if any."""
    if found.type == "deb" or not found.paths:
        return None
    names = {owners.get(canonical(p)) for p in found.paths}
    if None in names:
        return None
    return ",".join(sorted(n for n in names if n))


def _explain_one_sided(f: Found, tool: str) -> str:
    paths = " ".join(f.paths)
    if f.type == "npm" and "/node_modules/" not in paths:
        return (
            f"{tool} reports a package.json outside node_modules (an application's own "
            "manifest or a bundled module), not an installed dependency"
        )
    if f.type == "python" and ".egg-info" in paths:
        return f"{tool} reads this legacy .egg-info metadata; the other tool does not"
    return "unexplained: inspect the locations"


def compare(
    hardhull: Iterable[Found], syft: Iterable[Found], owners: Mapping[str, str]
) -> dict[str, Any]:
    """Agreement figures and every difference, categorised and explained."""
    hh = list(hardhull)
    sy = list(syft)
    sy_kept: dict[Key, list[Found]] = defaultdict(list)
    sy_owned: dict[Key, list[tuple[Found, str]]] = defaultdict(list)
    for f in sy:
        owner = owner_of(f, owners)
        if owner:
            sy_owned[f.key].append((f, owner))
        else:
            sy_kept[f.key].append(f)
    hh_by_key: dict[Key, list[Found]] = defaultdict(list)
    for f in hh:
        hh_by_key[f.key].append(f)

    both = set(hh_by_key) & set(sy_kept)
    only_sy = set(sy_kept) - set(hh_by_key)
    only_hh = set(hh_by_key) - set(sy_kept)
    owned_only = set(sy_owned) - set(sy_kept) - set(hh_by_key)

    # hardhull packages Syft saw only in OS-owned files: hardhull should have dropped them.
    hh_owned = only_hh & set(sy_owned)
    only_hh -= hh_owned

    differences: list[dict[str, Any]] = []
    # Same (type, name) on both sides, different version.
    by_name_sy = {(k[0], k[1]): k for k in only_sy}
    for k in sorted(only_hh):
        other = by_name_sy.get((k[0], k[1]))
        if other is None:
            continue
        only_hh.discard(k)
        only_sy.discard(other)
        differences.append(
            {
                "category": "version-differs",
                "type": k[0],
                "name": k[1],
                "hardhull": k[2],
                "syft": other[2],
                "paths": sorted({p for f in hh_by_key[k] for p in f.paths}),
                "explanation": "both tools find the package but read a different version "
                "string (version normalisation or a different metadata file)",
            }
        )

    def one_sided(
        category: str, keys: set[Key], by_key: dict[Key, list[Found]], tool: str, why: str = ""
    ) -> None:
        for k in sorted(keys):
            found = by_key[k]
            differences.append(
                {
                    "category": category,
                    "type": k[0],
                    "name": found[0].name,
                    "version": k[2],
                    "paths": sorted({p for g in found for p in g.paths}),
                    "explanation": why or _explain_one_sided(found[0], tool),
                }
            )

    one_sided("only-syft", only_sy, sy_kept, "syft")
    one_sided("only-hardhull", only_hh, hh_by_key, "hardhull")
    one_sided(
        "hardhull-reports-os-owned",
        hh_owned,
        hh_by_key,
        "hardhull",
        "every file of this package belongs to a Debian package, so "
        "hardhull should not report it again (a hardhull bug)",
    )

    spelled = []
    for k in sorted(both):
        hh_names = {f.name for f in hh_by_key[k]}
        sy_names = {f.name for f in sy_kept[k]}
        if hh_names != sy_names:
            spelled.append(
                {"type": k[0], "hardhull": sorted(hh_names), "syft": sorted(sy_names), "key": k[1]}
            )

    owned_list = [
        {
            "type": k[0],
            "name": sy_owned[k][0][0].name,
            "version": k[2],
            "owner": sy_owned[k][0][1],
            "instances": len(sy_owned[k]),
        }
        for k in sorted(owned_only)
    ]
    owned_dupes = sorted(set(sy_owned) & (set(sy_kept) | set(hh_by_key)))

    per_type = {}
    for t in TYPES:
        b = sum(1 for k in both if k[0] == t)
        d = sum(1 for d in differences if d["type"] == t)
        per_type[t] = {
            "agree": b,
            "differ": d,
            "agreement": b / (b + d) if b + d else 1.0,
            "hardhull_unique": sum(1 for k in hh_by_key if k[0] == t),
            "syft_unique": sum(1 for k in set(sy_kept) | set(sy_owned) if k[0] == t),
            "syft_os_owned": sum(1 for k in owned_only if k[0] == t),
        }
    total = len(both) + len(differences)
    return {
        "agreement": len(both) / total if total else 1.0,
        "agree": len(both),
        "differences_count": len(differences),
        "per_type": per_type,
        "instances": {"hardhull": len(hh), "syft": len(sy)},
        "differences": differences,
        "name_spelling": spelled,
        "os_owned_syft_only": owned_list,
        "os_owned_also_elsewhere": [list(k) for k in owned_dupes],
    }
