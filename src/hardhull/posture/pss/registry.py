"""The PSS check registry (an explicit tuple) and the evaluator.

Level semantics follow pod-security-admission: ``restricted`` runs every baseline check
plus the restricted ones, except the baseline checks that a restricted variant in force
at the evaluated version overrides (e.g. ``restrictedVolumes`` replaces
``hostPathVolumes``). Overridden checks are not reported.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from hardhull.posture.pss import baseline as b
from hardhull.posture.pss import kernel as k
from hardhull.posture.pss import restricted as r
from hardhull.posture.pss.helpers import mapping, present_keys, walk
from hardhull.posture.pss.model import (
    ALLOWED,
    ANNOTATIONS,
    BASELINE,
    LEVELS,
    PRIVILEGED,
    RESTRICTED,
    Outcome,
    PssCheck,
    PssResult,
    Variant,
)
from hardhull.posture.pss.version import PssVersion, PssVersionError, parse_version, v1


def _keys(*keys: str) -> frozenset[str]:
    return frozenset(keys)


CHECKS: tuple[PssCheck, ...] = (
    PssCheck(
        "privileged",
        BASELINE,
        "Privileged containers are disallowed.",
        (Variant(v1(0), b.privileged_1_0, needs=_keys("privileged")),),
    ),
    PssCheck(
        "hostNamespaces",
        BASELINE,
        "Sharing the host network, PID or IPC namespace is disallowed.",
        (Variant(v1(0), b.host_namespaces_1_0),),
    ),
    PssCheck(
        "hostPorts",
        BASELINE,
        "Host ports are disallowed.",
        (Variant(v1(0), b.host_ports_1_0),),
    ),
    PssCheck(
        "hostPathVolumes",
        BASELINE,
        "HostPath volumes are disallowed.",
        (Variant(v1(0), b.host_path_volumes_1_0),),
    ),
    PssCheck(
        "hostProbesAndHostLifecycle",
        BASELINE,
        "Probes and lifecycle handlers must not set a host (v1.34+).",
        (Variant(v1(34), b.host_probes_1_34),),
    ),
    PssCheck(
        "capabilities_baseline",
        BASELINE,
        "Adding capabilities beyond the default set is disallowed.",
        (Variant(v1(0), b.capabilities_baseline_1_0, needs=_keys("capabilities")),),
    ),
    PssCheck(
        "seccompProfile_baseline",
        BASELINE,
        "Seccomp must not be set to Unconfined.",
        (
            Variant(
                v1(0),
                b.seccomp_baseline_1_0,
                summary="seccomp annotations",
                needs=_keys(ANNOTATIONS),
            ),
            Variant(
                v1(19),
                b.seccomp_baseline_1_19,
                summary="securityContext.seccompProfile",
                needs=_keys("seccompProfile"),
            ),
        ),
    ),
    PssCheck(
        "appArmorProfile",
        BASELINE,
        "AppArmor must not be disabled (annotations and appArmorProfile fields).",
        (Variant(v1(0), b.apparmor_1_0, needs=_keys("appArmorProfile", ANNOTATIONS)),),
    ),
    PssCheck(
        "seLinuxOptions",
        BASELINE,
        "SELinux type is limited to container types; custom user and role are disallowed.",
        (
            Variant(v1(0), b.selinux_1_0, needs=_keys("seLinuxOptions")),
            Variant(
                v1(31),
                b.selinux_1_31,
                summary="container_engine_t allowed",
                needs=_keys("seLinuxOptions"),
            ),
        ),
    ),
    PssCheck(
        "procMount",
        BASELINE,
        "The default /proc masks are required (relaxed for hostUsers: false from v1.35).",
        (
            Variant(v1(0), b.proc_mount_strict, needs=_keys("procMount")),
            Variant(
                v1(35),
                b.proc_mount_1_35,
                summary="user-namespaced pods exempt",
                needs=_keys("procMount"),
            ),
        ),
    ),
    PssCheck(
        "sysctls",
        BASELINE,
        "Only the safe, namespaced sysctls are allowed.",
        (
            Variant(v1(0), k.sysctls_1_0, needs=_keys("sysctls")),
            Variant(
                v1(27), k.sysctls_1_27, summary="+ip_local_reserved_ports", needs=_keys("sysctls")
            ),
            Variant(
                v1(29), k.sysctls_1_29, summary="+tcp keepalive/fin_timeout", needs=_keys("sysctls")
            ),
            Variant(v1(32), k.sysctls_1_32, summary="+tcp_rmem/tcp_wmem", needs=_keys("sysctls")),
        ),
    ),
    PssCheck(
        "windowsHostProcess",
        BASELINE,
        "Windows HostProcess containers are disallowed.",
        (Variant(v1(0), k.windows_host_process_1_0, needs=_keys("windowsOptions")),),
    ),
    PssCheck(
        "ulimits",
        BASELINE,
        "Container ulimits are disallowed (v1.37+).",
        (Variant(v1(37), k.ulimits_1_37, needs=_keys("ulimits")),),
    ),
    PssCheck(
        "allowPrivilegeEscalation",
        RESTRICTED,
        "Privilege escalation must be disallowed (v1.8+; Windows pods exempt from v1.25).",
        (
            Variant(v1(8), r.allow_privilege_escalation_1_8),
            Variant(v1(25), r.allow_privilege_escalation_1_25, summary="Windows exempt"),
        ),
    ),
    PssCheck(
        "capabilities_restricted",
        RESTRICTED,
        "Containers must drop ALL capabilities and may only add NET_BIND_SERVICE (v1.22+).",
        (
            Variant(v1(22), r.capabilities_restricted_1_22, ("capabilities_baseline",)),
            Variant(
                v1(25),
                r.capabilities_restricted_1_25,
                ("capabilities_baseline",),
                summary="Windows exempt",
            ),
        ),
    ),
    PssCheck(
        "runAsNonRoot",
        RESTRICTED,
        "Containers must run as non-root (runAsNonRoot=true).",
        (Variant(v1(0), r.run_as_non_root_1_0),),
    ),
    PssCheck(
        "runAsUser",
        RESTRICTED,
        "Containers must not set runAsUser=0 (v1.23+).",
        (Variant(v1(23), r.run_as_user_1_23, needs=_keys("runAsUser")),),
    ),
    PssCheck(
        "seccompProfile_restricted",
        RESTRICTED,
        "Seccomp must be RuntimeDefault or Localhost (v1.19+; Windows pods exempt from v1.25).",
        (
            Variant(v1(19), r.seccomp_restricted_1_19, ("seccompProfile_baseline",)),
            Variant(
                v1(25),
                r.seccomp_restricted_1_25,
                ("seccompProfile_baseline",),
                summary="Windows exempt",
            ),
        ),
    ),
    PssCheck(
        "procMount_restricted",
        RESTRICTED,
        "The default /proc masks are required even with hostUsers: false (v1.35+).",
        (Variant(v1(35), r.proc_mount_restricted_1_35, ("procMount",), needs=_keys("procMount")),),
    ),
    PssCheck(
        "restrictedVolumes",
        RESTRICTED,
        "Only non-host, ephemeral or API-backed volume types are allowed.",
        (Variant(v1(0), r.restricted_volumes_1_0, ("hostPathVolumes",)),),
    ),
    PssCheck(
        "cgroupOptions_restricted",
        RESTRICTED,
        "Writable cgroup mounts are disallowed (v1.38+).",
        (Variant(v1(38), r.cgroup_options_1_38, needs=_keys("cgroupOptions")),),
    ),
)

CHECKS_BY_ID: Mapping[str, PssCheck] = {check.id: check for check in CHECKS}


def _version(version: str | PssVersion) -> PssVersion:
    return version if isinstance(version, PssVersion) else parse_version(version)


def _level(level: str) -> str:
    value = level.strip().lower() if isinstance(level, str) else ""
    if value not in LEVELS:
        raise PssVersionError(
            f"invalid Pod Security Standards level {level!r}",
            hint="use privileged, baseline or restricted",
        )
    return value


@functools.lru_cache(maxsize=64)
def _active(lvl: str, ver: PssVersion) -> tuple[tuple[PssCheck, Variant], ...]:
    """The (check, variant) pairs in force at ``lvl``/``ver``, in registry order, minus
    the baseline checks a restricted variant overrides (the same for every pod)."""
    active = [
        (check, variant)
        for check in CHECKS
        if (lvl == RESTRICTED or check.level == BASELINE)
        and (variant := check.variant_for(ver)) is not None
    ]
    overridden = {
        check_id
        for check, variant in active
        if check.level == RESTRICTED
        for check_id in variant.overrides
    }
    return tuple(pair for pair in active if pair[0].id not in overridden)


def active_checks(
    level: str, version: str | PssVersion = "latest"
) -> tuple[tuple[PssCheck, Variant], ...]:
    """The ``(check, variant)`` pairs evaluated at ``level``/``version``, in registry
    order (none for ``privileged``); raises :class:`PssVersionError` for a bad level or
    version. Each variant's ``fn`` takes ``(metadata, spec, walk(spec))``."""
    lvl = _level(level)
    ver = _version(version)
    if lvl == PRIVILEGED:
        return ()
    return _active(lvl, ver)


def pod_outcomes(
    metadata: Mapping[str, Any] | None,
    spec: Mapping[str, Any] | None,
    level: str,
    version: str | PssVersion = "latest",
) -> list[tuple[PssCheck, Outcome]]:
    """Like :func:`evaluate_pod`, as ``(check, outcome)`` pairs: the same checks in the
    same order, without building a result object per check (the posture engine's path)."""
    active = active_checks(level, version)
    if not active:
        return []
    meta = mapping(metadata)
    pod = mapping(spec)
    cs = walk(pod)
    present = present_keys(meta, pod, cs)
    return [
        (
            check,
            ALLOWED
            if variant.needs and variant.needs.isdisjoint(present)
            else variant.fn(meta, pod, cs),
        )
        for check, variant in active
    ]


def evaluate_pod(
    metadata: Mapping[str, Any] | None,
    spec: Mapping[str, Any] | None,
    level: str,
    version: str | PssVersion = "latest",
) -> list[PssResult]:
    """Evaluate a pod (metadata + spec) at a PSS ``level`` and ``version``.

    Returns one :class:`PssResult` per check that applies (allowed ones included), in
    registry order: baseline checks first, then restricted ones."""
    return [
        PssResult(
            check_id=check.id,
            level=check.level,
            allowed=outcome.allowed,
            forbidden_reason=outcome.forbidden_reason,
            forbidden_detail=outcome.forbidden_detail,
        )
        for check, outcome in pod_outcomes(metadata, spec, level, version)
    ]


def failing_check_ids(results: list[PssResult]) -> set[str]:
    """The ids of the checks that forbid the pod."""
    return {result.check_id for result in results if not result.allowed}
