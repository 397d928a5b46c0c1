"""Synthetic version generators for the reference cross-checks (deterministic)."""

from __future__ import annotations

import random

from tests.unit.version.refkit import Pair


def rpm_versions(n: int, seed: int = 7) -> list[str]:
    """RPM EVR strings covering ``~``, ``^``, leading zeros, letters and separators."""
    rnd = random.Random(seed)
    atoms = ["0", "1", "2", "9", "10", "01", "001", "a", "b", "rc", "beta", "Z", "el9", "git"]
    seps = [".", ".", ".", "_", "+", "~", "^", ""]

    def part() -> str:
        out = rnd.choice(["1", "2", "10", "0"])
        for _ in range(rnd.randint(0, 4)):
            out += rnd.choice(seps) + rnd.choice(atoms)
        return out

    out = []
    for _ in range(n):
        v = part()
        if rnd.random() < 0.6:
            v += "-" + part()
        if rnd.random() < 0.15:
            v = f"{rnd.randint(0, 2)}:{v}"
        out.append(v)
    return out


def semver_versions(n: int, seed: int = 11) -> list[str]:
    """SemVer strings with pre-releases, build metadata and a few loose forms."""
    rnd = random.Random(seed)
    ids = ["alpha", "beta", "rc", "0", "1", "2", "10", "x-y", "Alpha", "a1"]
    out = []
    for _ in range(n):
        v = ".".join(str(rnd.choice([0, 1, 2, 10])) for _ in range(3))
        if rnd.random() < 0.5:
            v += "-" + ".".join(rnd.choice(ids) for _ in range(rnd.randint(1, 3)))
        if rnd.random() < 0.1:
            v += "+build." + str(rnd.randint(0, 9))
        if rnd.random() < 0.1:
            v = "v" + v
        out.append(v)
    return out


def pep440_versions(n: int, seed: int = 5) -> list[str]:
    """PEP 440 strings with epochs, pre/post/dev releases and local parts."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        v = ".".join(str(rnd.choice([0, 1, 2, 10])) for _ in range(rnd.randint(1, 4)))
        if rnd.random() < 0.1:
            v = f"{rnd.randint(1, 2)}!{v}"
        if rnd.random() < 0.3:
            v += rnd.choice(["a", "b", "rc", "c", "alpha", "pre"]) + str(rnd.randint(0, 3))
        if rnd.random() < 0.2:
            v += rnd.choice([".post", "-", ".rev"]) + str(rnd.randint(0, 3))
        if rnd.random() < 0.2:
            v += ".dev" + str(rnd.randint(0, 3))
        if rnd.random() < 0.1:
            v += "+local." + str(rnd.randint(0, 3))
        out.append(v)
    return out


def random_pairs(versions: list[str], n: int, seed: int = 1) -> list[Pair]:
    """``n`` random pairs, with equal-looking neighbours mixed in."""
    rnd = random.Random(seed)
    return [(rnd.choice(versions), rnd.choice(versions)) for _ in range(n)]
