"""Maven version ordering (``org.apache.maven.artifact.versioning.ComparableVersion``).

Implemented from Maven's published "Version Order Specification" (POM reference):

- the lower-cased string is split into tokens at ``.``, ``-`` and at every transition
  between digits and letters (a transition counts as a ``-``); an empty token is ``0``;
- each ``-`` opens a nested list, so ``1-1.foo-bar1baz-.1`` is ``1-1.foo-bar-1-baz-0.1``;
- trailing "null" items (``0``, ``""``, ``ga``, ``final``, ``release``, empty lists) are
  trimmed at the end of every list: ``1.0.0 = 1``, ``1.0.0-foo.0.0 = 1-foo``;
- numbers compare numerically; qualifiers in the order
  ``alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp``
  and then any other qualifier alphabetically (after ``sp``); ``a``, ``b``, ``m`` directly
  followed by a digit mean ``alpha``, ``beta``, ``milestone``;
- a number is greater than a qualifier or a list; a list is greater than a qualifier;
  a missing item compares as "null" (``1 < 1.1``, ``1-snapshot < 1 < 1-sp``).

Where the specification's text and Maven's own ``ComparableVersion`` disagree (Maven
issues MNG-6420, MNG-7594: ``1.foo`` vs ``1-foo``, ``1-ga-1`` vs ``1-1``), this follows
what Maven actually does: a ``-`` list is greater than a qualifier and lower than a
number, so ``1.foo < 1-foo`` and ``1-ga-1 < 1-1``.

Written for hardhull (no univers, no Maven code); the tests carry the specification's
examples and the cases from Maven's documentation.
"""

from __future__ import annotations

from hardhull.version._common import Scheme, bad

__all__ = ["SCHEME", "MavenVersion", "parse"]

_QUALIFIERS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_ALIASES = {"ga": "", "final": "", "release": "", "cr": "rc"}
_RELEASE_INDEX = "5"
_DIGITS = frozenset("0123456789")

# Items: int (number), str (qualifier, already aliased), list (a nested ``-`` list).
Item = int | str | list["Item"]


def _qualifier_rank(q: str) -> str:
    try:
        return str(_QUALIFIERS.index(q))
    except ValueError:
        return f"{len(_QUALIFIERS)}-{q}"


def _is_null(item: Item) -> bool:
    if isinstance(item, int):
        return item == 0
    if isinstance(item, str):
        return item == ""
    return not item


def _sign(x: int) -> int:
    return (x > 0) - (x < 0)


def _cmp_null(item: Item) -> int:
    """``item`` compared with a missing item."""
    if isinstance(item, int):
        return 0 if item == 0 else 1
    if isinstance(item, str):
        a = _qualifier_rank(item)
        return (a > _RELEASE_INDEX) - (a < _RELEASE_INDEX)
    return _cmp_null(item[0]) if item else 0


def _cmp(a: Item | None, b: Item | None) -> int:
    if a is None:
        return 0 if b is None else -_cmp_null(b)
    if b is None:
        return _cmp_null(a)
    if isinstance(a, int):
        if isinstance(b, int):
            return _sign(a - b)
        return 1
    if isinstance(a, str):
        if isinstance(b, str):
            ra, rb = _qualifier_rank(a), _qualifier_rank(b)
            return (ra > rb) - (ra < rb)
        return -1
    if isinstance(b, int):
        return -1
    if isinstance(b, str):
        return 1
    for i in range(max(len(a), len(b))):
        r = _cmp(a[i] if i < len(a) else None, b[i] if i < len(b) else None)
        if r:
            return r
    return 0


def _string_item(text: str, followed_by_digit: bool) -> str:
    if followed_by_digit and len(text) == 1:
        text = {"a": "alpha", "b": "beta", "m": "milestone"}.get(text, text)
    return _ALIASES.get(text, text)


def _parse_item(is_digit: bool, text: str) -> Item:
    return int(text) if is_digit else _string_item(text, False)


def _normalize(items: list[Item]) -> None:
    for i in range(len(items) - 1, -1, -1):
        item = items[i]
        if _is_null(item):
            del items[i]
        elif not isinstance(item, list):
            break


def _items(version: str) -> list[Item]:
    text = version.lower()
    root: list[Item] = []
    current = root
    stack = [root]
    is_digit = False
    start = 0

    def push() -> None:
        nonlocal current
        new: list[Item] = []
        current.append(new)
        current = new
        stack.append(new)

    for i, c in enumerate(text):
        if c == ".":
            current.append(0 if i == start else _parse_item(is_digit, text[start:i]))
            start = i + 1
        elif c == "-":
            current.append(0 if i == start else _parse_item(is_digit, text[start:i]))
            start = i + 1
            push()
        elif c in _DIGITS:
            if not is_digit and i > start:
                current.append(_string_item(text[start:i], True))
                start = i
                push()
            is_digit = True
        else:
            if is_digit and i > start:
                current.append(int(text[start:i]))
                start = i
                push()
            is_digit = False
    if len(text) > start:
        current.append(_parse_item(is_digit, text[start:]))
    while stack:
        _normalize(stack.pop())
    return root


class MavenVersion:
    """A parsed Maven version; compares like ``ComparableVersion``."""

    __slots__ = ("items", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.items: list[Item] = _items(text)

    def cmp(self, other: MavenVersion) -> int:
        """-1, 0 or 1."""
        return _cmp(self.items, other.items)

    def __lt__(self, other: MavenVersion) -> bool:
        return self.cmp(other) < 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MavenVersion) and self.cmp(other) == 0

    def __repr__(self) -> str:
        return f"MavenVersion({self.text!r})"


def parse(text: str) -> MavenVersion:
    """The ordering key of a Maven version (any non-blank string is a Maven version)."""
    if not text.strip() or any(c.isspace() for c in text):
        raise bad("maven", text, "empty or contains whitespace")
    return MavenVersion(text)


SCHEME = Scheme("maven", parse)
