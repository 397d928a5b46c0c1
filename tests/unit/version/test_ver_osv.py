"""OSV ``affected[]`` semantics on hand-written entries."""

from __future__ import annotations

import pytest

from hardhull.model import Affected, AffectedRange, EventKind, RangeEvent
from hardhull.version import (
    RangeMatch,
    VersionError,
    affected_by,
    compile_affected,
    has_only_git_ranges,
)


def _rng(kind: str, *events: tuple[str, str]) -> AffectedRange:
    return AffectedRange(kind, tuple(RangeEvent(EventKind(k), v) for k, v in events))


def _aff(eco: str, *ranges: AffectedRange, versions: tuple[str, ...] = ()) -> Affected:
    return Affected(eco, "pkg", ranges=ranges, versions=versions)


DEB = _aff("Debian:12", _rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "2.36-9+deb12u4")))


def test_introduced_zero_to_fixed() -> None:
    hit = affected_by("Debian:12", "2.36-9+deb12u3", DEB)
    assert hit == RangeMatch(">=0, <2.36-9+deb12u4", ("2.36-9+deb12u4",))
    assert affected_by("Debian:12", "2.36-9+deb12u4", DEB) is None
    assert affected_by("Debian:12", "2.37-1", DEB) is None
    assert affected_by("Debian:12", "1:0.1", DEB) is None  # epoch 1 is above every 0: version


def test_last_affected_is_inclusive() -> None:
    aff = _aff("npm", _rng("SEMVER", ("introduced", "1.0.0"), ("last_affected", "1.4.2")))
    assert affected_by("npm", "1.4.2", aff) == RangeMatch(">=1.0.0, <=1.4.2")
    assert affected_by("npm", "1.0.0", aff) is not None
    assert affected_by("npm", "0.9.9", aff) is None
    assert affected_by("npm", "1.4.3", aff) is None
    assert affected_by("npm", "1.4.3-beta.1", aff) is None


def test_several_intervals_in_one_range_events_in_any_order() -> None:
    aff = _aff(
        "Go",
        _rng(
            "SEMVER",
            ("fixed", "1.11.3"),
            ("introduced", "1.11.0-0"),
            ("fixed", "1.10.6"),
            ("introduced", "0"),
        ),
    )
    assert affected_by("Go", "go1.10.5", aff) == RangeMatch(">=0, <1.10.6", ("1.10.6", "1.11.3"))
    assert affected_by("Go", "go1.10.6", aff) is None
    assert affected_by("Go", "go1.11rc1", aff) is not None  # 1.11.0-rc.1 > 1.11.0-0
    assert affected_by("Go", "v1.11.2", aff) == RangeMatch(">=1.11.0-0, <1.11.3", ("1.11.3",))
    assert affected_by("Go", "1.11.3", aff) is None


def test_limit() -> None:
    aff = _aff("PyPI", _rng("ECOSYSTEM", ("introduced", "1.0"), ("limit", "2.0")))
    assert affected_by("PyPI", "1.5", aff) == RangeMatch(">=1.0, <2.0")
    assert affected_by("PyPI", "2.0", aff) is None
    star = _aff("PyPI", _rng("ECOSYSTEM", ("introduced", "1.0"), ("limit", "*")))
    assert affected_by("PyPI", "99", star) == RangeMatch(">=1.0, <*")


def test_introduced_only_is_open_ended() -> None:
    aff = _aff("Maven", _rng("ECOSYSTEM", ("introduced", "2.0-beta1")))
    assert affected_by("Maven", "2.0", aff) == RangeMatch(">=2.0-beta1")
    assert affected_by("Maven", "1.9", aff) is None


def test_explicit_versions_are_string_equality() -> None:
    aff = _aff("PyPI", _rng("GIT", ("introduced", "abc"), ("fixed", "def")), versions=("1.0",))
    assert affected_by("PyPI", "1.0", aff) == RangeMatch("listed in versions[]")
    assert affected_by("PyPI", "1.0.0", aff) is None  # equal by PEP 440, not listed
    assert not has_only_git_ranges(aff)


def test_git_ranges_are_not_evaluated_but_visible() -> None:
    aff = _aff("PyPI", _rng("GIT", ("introduced", "0"), ("fixed", "a" * 40)))
    assert affected_by("PyPI", "1.0", aff) is None
    assert has_only_git_ranges(aff)
    assert compile_affected("PyPI", aff).only_git
    assert not has_only_git_ranges(DEB)
    assert not has_only_git_ranges(_aff("PyPI"))


def test_semver_range_in_a_non_semver_ecosystem_uses_semver() -> None:
    aff = _aff("PyPI", _rng("SEMVER", ("introduced", "1.0.0-rc.1"), ("fixed", "1.0.0")))
    assert affected_by("PyPI", "1.0.0-rc.2", aff) == RangeMatch(">=1.0.0-rc.1, <1.0.0", ("1.0.0",))
    # "1.0.0-1" is a pre-release below 1.0.0 in SemVer but a post-release above it in
    # PEP 440: only the SemVer order puts it in the range.
    semver = _aff("PyPI", _rng("SEMVER", ("introduced", "0"), ("fixed", "1.0.0")))
    pep440 = _aff("PyPI", _rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "1.0.0")))
    assert affected_by("PyPI", "1.0.0-1", semver) == RangeMatch(">=0, <1.0.0", ("1.0.0",))
    assert affected_by("PyPI", "1.0.0-1", pep440) is None


def test_unparsable_events_are_skipped_not_fatal() -> None:
    aff = _aff(
        "npm",
        _rng("SEMVER", ("introduced", "0"), ("fixed", "not a version"), ("fixed", "2.0.0")),
    )
    compiled = compile_affected("npm", aff)
    assert compiled.ranges[0].skipped == ("fixed: not a version",)
    assert affected_by("npm", "1.5.0", aff) == RangeMatch(">=0, <2.0.0", ("2.0.0",))


def test_unparsable_installed_version_raises() -> None:
    with pytest.raises(VersionError, match="'one point two'"):
        affected_by("npm", "one point two", _aff("npm", _rng("SEMVER", ("introduced", "0"))))


def test_unknown_ecosystem_raises() -> None:
    with pytest.raises(VersionError):
        affected_by("Nope", "1", _aff("Nope", _rng("ECOSYSTEM", ("introduced", "0"))))


def test_compiled_form_is_reused_and_stays_correct() -> None:
    for _ in range(3):
        assert affected_by("Debian:12", "2.36-9", DEB) == RangeMatch(
            ">=0, <2.36-9+deb12u4", ("2.36-9+deb12u4",)
        )
    other = _aff("Debian:12", _rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "2.0")))
    assert affected_by("Debian:12", "2.36-9", other) is None
