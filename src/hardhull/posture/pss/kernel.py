"""Baseline checks on kernel-facing settings: sysctls, Windows HostProcess, ulimits."""

from __future__ import annotations

from hardhull.posture.pss.helpers import (
    Obj,
    Walk,
    containers_phrase,
    dig,
    items,
    mapping,
    name_of,
    pod_sc,
    text,
)
from hardhull.posture.pss.model import ALLOWED, Outcome, forbid

# --- sysctls ----------------------------------------------------------------------

SYSCTLS_1_0 = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
    }
)
SYSCTLS_1_27 = SYSCTLS_1_0 | {"net.ipv4.ip_local_reserved_ports"}
SYSCTLS_1_29 = SYSCTLS_1_27 | {
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
SYSCTLS_1_32 = SYSCTLS_1_29 | {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}


def _sysctls(spec: Obj, allowed: frozenset[str]) -> Outcome:
    bad = [
        text(mapping(s).get("name"))
        for s in items(pod_sc(spec).get("sysctls"))
        if text(mapping(s).get("name")) not in allowed
    ]
    if bad:
        return forbid("forbidden sysctls", ", ".join(bad))
    return ALLOWED


def sysctls_1_0(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """Only the namespaced, safe sysctls of v1.0."""
    return _sysctls(spec, SYSCTLS_1_0)


def sysctls_1_27(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """v1.27 adds ``net.ipv4.ip_local_reserved_ports``."""
    return _sysctls(spec, SYSCTLS_1_27)


def sysctls_1_29(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """v1.29 adds the TCP keepalive and fin_timeout sysctls."""
    return _sysctls(spec, SYSCTLS_1_29)


def sysctls_1_32(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """v1.32 adds ``net.ipv4.tcp_rmem`` and ``net.ipv4.tcp_wmem``."""
    return _sysctls(spec, SYSCTLS_1_32)


# --- windowsHostProcess -----------------------------------------------------------


def windows_host_process_1_0(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """No Windows HostProcess pods or containers."""
    setters: list[str] = []
    if dig(pod_sc(spec), "windowsOptions", "hostProcess") is True:
        setters.append("pod")
    bad = [
        name_of(c)
        for c, sc in cs
        if sc is not None and dig(sc, "windowsOptions", "hostProcess") is True
    ]
    if bad:
        setters.append(containers_phrase(bad))
    if setters:
        return forbid(
            "hostProcess",
            f"{' and '.join(setters)} must not set securityContext.windowsOptions.hostProcess=true",
        )
    return ALLOWED


# --- ulimits ----------------------------------------------------------------------


def ulimits_1_37(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """From v1.37 containers must not set securityContext.ulimits."""
    bad = [name_of(c) for c, sc in cs if sc is not None and sc.get("ulimits") is not None]
    if bad:
        return forbid("ulimits", f"{containers_phrase(bad)} must not set securityContext.ulimits")
    return ALLOWED
