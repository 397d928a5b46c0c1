"""npm range text -> OSV SEMVER ranges: what is translated exactly, what is refused."""

from __future__ import annotations

import pytest

from hardhull.vulndb.importers.npmrange import RangeSyntaxError, translate


def events(vulnerable: str, patched: str | None = None) -> list[list[tuple[str, str]]]:
    return [[(e.kind.value, e.value) for e in r.events] for r in translate(vulnerable, patched)]


@pytest.mark.parametrize(
    ("vulnerable", "patched", "expected"),
    [
        ("<=1.5.1", ">=1.5.2", [[("introduced", "0"), ("last_affected", "1.5.1")]]),
        ("<4.17.5", None, [[("introduced", "0"), ("fixed", "4.17.5")]]),
        ("<= 0.3.3", None, [[("introduced", "0"), ("last_affected", "0.3.3")]]),
        (">=2.0.0 <=4.0.4", None, [[("introduced", "2.0.0"), ("last_affected", "4.0.4")]]),
        ("5.1.1", None, [[("introduced", "5.1.1"), ("last_affected", "5.1.1")]]),
        ("=3.0.0-rc.1", None, [[("introduced", "3.0.0-rc.1"), ("last_affected", "3.0.0-rc.1")]]),
        ("*", None, [[("introduced", "0")]]),
        ("^0.2.3", None, [[("introduced", "0.2.3"), ("fixed", "0.3.0-0")]]),
        ("^1.2.3", None, [[("introduced", "1.2.3"), ("fixed", "2.0.0-0")]]),
        ("~1.2", None, [[("introduced", "1.2.0"), ("fixed", "1.3.0-0")]]),
        ("1.2.3 - 2.x", None, [[("introduced", "1.2.3"), ("fixed", "3.0.0-0")]]),
        # an exclusive lower bound becomes the next SemVer version
        (
            "<1.6.5 || < 2.1.7 > 2.0.0",
            ">=1.6.5 <2.0.0 || >= 2.1.7",
            [
                [("introduced", "0"), ("fixed", "1.6.5")],
                [("introduced", "2.0.1-0"), ("fixed", "2.1.7")],
            ],
        ),
        # Node.js core: whole release lines minus the patched ones
        (
            "20.x || 22.x",
            "^20.19.2 || ^22.15.1",
            [
                [("introduced", "20.0.0"), ("fixed", "20.19.2")],
                [("introduced", "22.0.0"), ("fixed", "22.15.1")],
            ],
        ),
        # "patched: <0.0.0" (nothing) removes only 0.0.0 pre-releases
        ("<1.0.0", "<0.0.0", [[("introduced", "0.0.0"), ("fixed", "1.0.0")]]),
    ],
)
def test_db_npm_ranges_translate_exactly(
    vulnerable: str, patched: str | None, expected: list[list[tuple[str, str]]]
) -> None:
    assert events(vulnerable, patched) == expected


def test_db_npm_empty_intersection_gives_no_range() -> None:
    assert events(">=2.0.0 <1.0.0") == []


@pytest.mark.parametrize("text", ["<1.2.3.4", "latest", "!1.0.0", "x" * 3000])
def test_db_npm_untranslatable_ranges_are_refused(text: str) -> None:
    with pytest.raises(RangeSyntaxError):
        translate(text, None)
