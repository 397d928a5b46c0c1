"""A finding's severity from the advisory's own data.

Order of preference:

1. the highest CVSS v4 / v3 base score computed from the vectors the record (or the
   matched ``affected[]`` entry) carries, banded by :meth:`Severity.from_score`;
2. else the distro's own label (Debian urgency, Ubuntu priority, ...);
3. else a CVSS v2 base score;
4. else ``unknown``.

Base scores come from the ``cvss`` library (Red Hat Product Security), which implements
the FIRST specifications for v2, v3.x and v4.0; results are cached per vector.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from cvss import CVSS2, CVSS3, CVSS4, CVSSError

from hardhull.model import Score, Severity, SeverityScore

CVSS_TYPES = ("CVSS_V4", "CVSS_V3", "CVSS_V2")

# Distro labels: Debian urgency, Ubuntu priority, and the usual vendor words.
_LABELS: dict[str, Severity] = {
    "unimportant": Severity.NEGLIGIBLE,
    "negligible": Severity.NEGLIGIBLE,
    "none": Severity.NEGLIGIBLE,
    "low": Severity.LOW,
    "minor": Severity.LOW,
    "medium": Severity.MEDIUM,
    "moderate": Severity.MEDIUM,
    "high": Severity.HIGH,
    "important": Severity.HIGH,
    "critical": Severity.CRITICAL,
}


@lru_cache(maxsize=8192)
def base_score(kind: str, vector: str) -> float | None:
    """The CVSS base score of ``vector`` (``kind`` ``CVSS_V2/V3/V4``); ``None`` if invalid."""
    text = vector.strip()
    try:
        if kind == "CVSS_V4" or text.startswith("CVSS:4"):
            return float(CVSS4(text).base_score)
        if kind == "CVSS_V3" or text.startswith("CVSS:3"):
            return float(CVSS3(text).base_score)
        if kind == "CVSS_V2":
            return float(CVSS2(text).base_score)
    except (CVSSError, ValueError, KeyError, IndexError, TypeError):
        return None
    return None


def label_severity(label: str) -> Severity | None:
    """``"medium"`` -> MEDIUM; ``None`` for words that carry no level (``not yet assigned``)."""
    return _LABELS.get(label.strip().lower())


def scores_of(entries: Iterable[SeverityScore]) -> tuple[Score, ...]:
    """Scores for every severity entry (numeric for CVSS vectors, label otherwise), deduplicated."""
    out: dict[tuple[str, str], Score] = {}
    for entry in entries:
        key = (entry.type, entry.score)
        if key in out:
            continue
        if entry.type.upper().startswith("CVSS"):
            out[key] = Score(entry.type, entry.score, base_score(entry.type.upper(), entry.score))
        else:
            out[key] = Score(entry.type, entry.score, None)
    return tuple(out.values())


def severity_of(scores: Iterable[Score]) -> Severity:
    """The severity the preference order above gives for ``scores``."""
    modern: float | None = None
    v2: float | None = None
    label: Severity | None = None
    for score in scores:
        source = score.source.upper()
        if source in ("CVSS_V3", "CVSS_V4") and score.value is not None:
            modern = score.value if modern is None else max(modern, score.value)
        elif source == "CVSS_V2" and score.value is not None:
            v2 = score.value if v2 is None else max(v2, score.value)
        elif not source.startswith("CVSS"):
            level = label_severity(score.vector)
            if level is not None and (label is None or level.rank > label.rank):
                label = level
    if modern is not None:
        return Severity.from_score(modern)
    if label is not None:
        return label
    if v2 is not None:
        return Severity.from_score(v2)
    return Severity.UNKNOWN
