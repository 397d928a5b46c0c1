"""Restricted-level checks, each written from PSA's documented semantics."""

from __future__ import annotations

from hardhull.posture.pss.baseline import (
    VALID_SECCOMP_TYPES,
    proc_mount_strict,
    seccomp_explicit_bad,
)
from hardhull.posture.pss.helpers import (
    Obj,
    Walk,
    containers_phrase,
    dig,
    is_map,
    is_windows,
    items,
    join_quote,
    mapping,
    name_of,
    pluralize,
    pod_sc,
    text,
)
from hardhull.posture.pss.model import ALLOWED, Outcome, forbid

# --- allowPrivilegeEscalation -----------------------------------------------------


def allow_privilege_escalation_1_8(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """Every container must set allowPrivilegeEscalation=false."""
    bad = [
        name_of(c) for c, sc in cs if sc is None or sc.get("allowPrivilegeEscalation") is not False
    ]
    if bad:
        return forbid(
            "allowPrivilegeEscalation != false",
            f"{containers_phrase(bad)} must set securityContext.allowPrivilegeEscalation=false",
        )
    return ALLOWED


def allow_privilege_escalation_1_25(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """As v1.8; Windows pods are exempt."""
    if is_windows(spec):
        return ALLOWED
    return allow_privilege_escalation_1_8(meta, spec, cs)


# --- capabilities_restricted ------------------------------------------------------


def capabilities_restricted_1_22(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """Drop ALL; only NET_BIND_SERVICE may be added."""
    missing_drop: list[str] = []
    adding: list[str] = []
    caps: set[str] = set()
    for container, sc in cs:
        capabilities = None if sc is None else sc.get("capabilities")
        if not is_map(capabilities):
            missing_drop.append(name_of(container))
            continue
        if not any(text(c) == "ALL" for c in items(capabilities.get("drop"))):
            missing_drop.append(name_of(container))
        forbidden = [
            text(c) for c in items(capabilities.get("add")) if text(c) != "NET_BIND_SERVICE"
        ]
        if forbidden:
            adding.append(name_of(container))
            caps.update(forbidden)
    details: list[str] = []
    if missing_drop:
        details.append(
            f'{containers_phrase(missing_drop)} must set securityContext.capabilities.drop=["ALL"]'
        )
    if adding:
        details.append(
            f"{containers_phrase(adding)} must not include {join_quote(sorted(caps))} "
            "in securityContext.capabilities.add"
        )
    if details:
        return forbid("unrestricted capabilities", "; ".join(details))
    return ALLOWED


def capabilities_restricted_1_25(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """As v1.22; Windows pods are exempt."""
    if is_windows(spec):
        return ALLOWED
    return capabilities_restricted_1_22(meta, spec, cs)


# --- runAsNonRoot -----------------------------------------------------------------


def run_as_non_root_1_0(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """runAsNonRoot=true at pod level or in every container; never explicitly false."""
    setters: list[str] = []
    pod_value = pod_sc(spec).get("runAsNonRoot")
    pod_true = pod_value is True
    if pod_value is False:
        setters.append("pod")
    explicit: list[str] = []
    implicit: list[str] = []
    for container, sc in cs:
        value = None if sc is None else sc.get("runAsNonRoot")
        if value is False:
            explicit.append(name_of(container))
        elif value is None and not pod_true:
            implicit.append(name_of(container))
    if explicit:
        setters.append(containers_phrase(explicit))
    if setters:
        return forbid(
            "runAsNonRoot != true",
            f"{' and '.join(setters)} must not set securityContext.runAsNonRoot=false",
        )
    if implicit:
        return forbid(
            "runAsNonRoot != true",
            f"pod or {containers_phrase(implicit)} must set securityContext.runAsNonRoot=true",
        )
    return ALLOWED


# --- runAsUser --------------------------------------------------------------------


def _is_zero(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value == 0


def run_as_user_1_23(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """runAsUser must not be 0 at pod or container level."""
    setters: list[str] = []
    if _is_zero(pod_sc(spec).get("runAsUser")):
        setters.append("pod")
    bad = [name_of(c) for c, sc in cs if sc is not None and _is_zero(sc.get("runAsUser"))]
    if bad:
        setters.append(containers_phrase(bad))
    if setters:
        return forbid("runAsUser=0", f"{' and '.join(setters)} must not set runAsUser=0")
    return ALLOWED


# --- seccompProfile_restricted ----------------------------------------------------


def seccomp_restricted_1_19(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """seccompProfile.type must be RuntimeDefault or Localhost, at pod level or in every
    container."""
    setters, values, pod_valid = seccomp_explicit_bad(spec)
    explicit: list[str] = []
    implicit: list[str] = []
    for container, sc in cs:
        profile = None if sc is None else sc.get("seccompProfile")
        if is_map(profile):
            if text(profile.get("type")) not in VALID_SECCOMP_TYPES:
                explicit.append(name_of(container))
                values.add(text(profile.get("type")))
        elif not pod_valid:
            implicit.append(name_of(container))
    if explicit:
        setters.append(containers_phrase(explicit))
    if setters:
        return forbid(
            "seccompProfile",
            f"{' and '.join(setters)} must not set securityContext.seccompProfile.type to "
            f"{join_quote(sorted(values))}",
        )
    if implicit:
        return forbid(
            "seccompProfile",
            f"pod or {containers_phrase(implicit)} must set securityContext.seccompProfile.type "
            'to "RuntimeDefault" or "Localhost"',
        )
    return ALLOWED


def seccomp_restricted_1_25(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """As v1.19; Windows pods are exempt."""
    if is_windows(spec):
        return ALLOWED
    return seccomp_restricted_1_19(meta, spec, cs)


# --- procMount_restricted ---------------------------------------------------------


def proc_mount_restricted_1_35(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """procMount unset or ``Default`` even in user-namespaced pods."""
    return proc_mount_strict(meta, spec, cs)


# --- restrictedVolumes ------------------------------------------------------------

ALLOWED_VOLUME_SOURCES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "image",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
FORBIDDEN_VOLUME_SOURCES = (
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "portworxVolume",
    "photonPersistentDisk",
    "scaleIO",
    "storageos",
)


def _volume_type(volume: Obj) -> str | None:
    """``None`` for an allowed volume, else the name of its restricted type."""
    if any(volume.get(key) is not None for key in ALLOWED_VOLUME_SOURCES):
        return None
    for key in FORBIDDEN_VOLUME_SOURCES:
        if volume.get(key) is not None:
            return key
    return "unknown"


def restricted_volumes_1_0(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """Only configMap, csi, downwardAPI, emptyDir, ephemeral, image,
    persistentVolumeClaim, projected and secret volumes."""
    bad: list[str] = []
    kinds: set[str] = set()
    for raw in items(spec.get("volumes")):
        volume = mapping(raw)
        kind = _volume_type(volume)
        if kind is not None:
            bad.append(text(volume.get("name")))
            kinds.add(kind)
    if bad:
        types = sorted(kinds)
        return forbid(
            "restricted volume types",
            f"{pluralize('volume', 'volumes', len(bad))} {join_quote(bad)} "
            f"{pluralize('uses', 'use', len(bad))} "
            f"{pluralize('restricted volume type', 'restricted volume types', len(types))} "
            f"{join_quote(types)}",
        )
    return ALLOWED


# --- cgroupOptions_restricted -----------------------------------------------------


def cgroup_options_1_38(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """From v1.38 containers must not mount their cgroup ``Writable``."""
    bad = [
        name_of(c)
        for c, sc in cs
        if sc is not None and dig(sc, "cgroupOptions", "mountMode") == "Writable"
    ]
    if bad:
        return forbid(
            "cgroupOptions",
            f"{containers_phrase(bad)} must not set securityContext.cgroupOptions.mountMode "
            'to "Writable"',
        )
    return ALLOWED
