"""Pod Security Standards, evaluated the way Kubernetes' pod-security-admission does.

Public API: :func:`evaluate_pod`, :class:`PssResult`, :func:`parse_version`,
:data:`LATEST_VERSION`, :data:`CHECKS` (check metadata and per-version variants),
:func:`pod_spec_of` (the pod template of a workload), :func:`active_checks` and
:func:`walk` (the evaluator's parts, for callers that evaluate many pods).
"""

from __future__ import annotations

from hardhull.posture.pss.helpers import walk
from hardhull.posture.pss.model import (
    BASELINE,
    PRIVILEGED,
    RESTRICTED,
    PssCheck,
    PssResult,
    Variant,
)
from hardhull.posture.pss.registry import (
    CHECKS,
    CHECKS_BY_ID,
    active_checks,
    evaluate_pod,
    failing_check_ids,
    pod_outcomes,
)
from hardhull.posture.pss.version import (
    LATEST_VERSION,
    PssVersion,
    PssVersionError,
    parse_version,
)
from hardhull.posture.pss.workload import pod_spec_of

__all__ = [
    "BASELINE",
    "CHECKS",
    "CHECKS_BY_ID",
    "LATEST_VERSION",
    "PRIVILEGED",
    "RESTRICTED",
    "PssCheck",
    "PssResult",
    "PssVersion",
    "PssVersionError",
    "Variant",
    "active_checks",
    "evaluate_pod",
    "failing_check_ids",
    "parse_version",
    "pod_outcomes",
    "pod_spec_of",
    "walk",
]
