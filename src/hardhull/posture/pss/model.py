"""Values of the PSS evaluator: outcomes, results, check variants and check metadata."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hardhull.posture.pss.helpers import Walk
from hardhull.posture.pss.version import PssVersion

BASELINE = "baseline"
RESTRICTED = "restricted"
PRIVILEGED = "privileged"
LEVELS = (PRIVILEGED, BASELINE, RESTRICTED)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one check variant says about a pod."""

    allowed: bool
    forbidden_reason: str = ""
    forbidden_detail: str = ""


ALLOWED = Outcome(allowed=True)

#: The pseudo-key of :attr:`Variant.needs` for "the pod has annotations".
ANNOTATIONS = "@annotations"


def forbid(reason: str, detail: str) -> Outcome:
    """A forbidding outcome."""
    return Outcome(allowed=False, forbidden_reason=reason, forbidden_detail=detail)


#: ``fn(metadata, spec, walk)``: ``walk`` is the pod's containers with their security
#: contexts (:func:`hardhull.posture.pss.helpers.walk`), computed once per pod.
CheckFn = Callable[[Mapping[str, Any], Mapping[str, Any], Walk], Outcome]


@dataclass(frozen=True, slots=True)
class PssResult:
    """One check's verdict on one pod (``allowed`` results are reported too)."""

    check_id: str
    level: str
    allowed: bool
    forbidden_reason: str = ""
    forbidden_detail: str = ""


@dataclass(frozen=True, slots=True)
class Variant:
    """The implementation of a check from ``min_version`` until the next variant.

    ``overrides`` names baseline checks that this (restricted) variant replaces when the
    restricted level is evaluated, as PSA's ``OverrideCheckIDs`` do.

    ``needs``: when not empty, the variant can only forbid a pod that has at least one of
    these keys in its or a container's securityContext (or, for :data:`ANNOTATIONS`,
    non-empty annotations); other pods are allowed without calling ``fn`` (most pods
    set few of the fields the baseline checks look at). Checks that forbid an *unset*
    field (``runAsNonRoot``, ``allowPrivilegeEscalation``...) have none.
    ``tests/unit/pss/test_pss_api.py`` checks the claim on every fixture pod."""

    min_version: PssVersion
    fn: CheckFn
    overrides: tuple[str, ...] = ()
    summary: str = ""
    needs: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class PssCheck:
    """A Pod Security Standards check: PSA id, level, description and its variants
    (sorted by ``min_version``)."""

    id: str
    level: str
    description: str
    variants: tuple[Variant, ...]

    def variant_for(self, version: PssVersion) -> Variant | None:
        """The variant in force at ``version`` (``None`` before the first one)."""
        chosen: Variant | None = None
        for variant in self.variants:
            if variant.min_version <= version:
                chosen = variant
        return chosen

    def version_ranges(self) -> tuple[tuple[str, str | None], ...]:
        """``(first, last)`` version per variant; ``last`` is ``None`` for open-ended."""
        out: list[tuple[str, str | None]] = []
        for i, variant in enumerate(self.variants):
            nxt = self.variants[i + 1].min_version if i + 1 < len(self.variants) else None
            last = None if nxt is None else f"v1.{nxt.minor - 1}"
            out.append((str(variant.min_version), last))
        return tuple(out)
