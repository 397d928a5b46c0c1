"""Baseline-level checks, each written from PSA's documented semantics."""

from __future__ import annotations

from hardhull.posture.pss.helpers import (
    Obj,
    Walk,
    containers_phrase,
    dig,
    is_map,
    items,
    join_quote,
    mapping,
    name_of,
    pluralize,
    pod_sc,
    text,
    user_namespaced,
)
from hardhull.posture.pss.model import ALLOWED, Outcome, forbid

# --- privileged -------------------------------------------------------------------


def privileged_1_0(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """Containers must not run privileged."""
    bad = [name_of(c) for c, sc in cs if sc is not None and sc.get("privileged") is True]
    if bad:
        return forbid(
            "privileged", f"{containers_phrase(bad)} must not set securityContext.privileged=true"
        )
    return ALLOWED


# --- hostNamespaces ---------------------------------------------------------------


def host_namespaces_1_0(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """The pod must not share the host's network, PID or IPC namespace."""
    bad = [f"{key}=true" for key in ("hostNetwork", "hostPID", "hostIPC") if spec.get(key) is True]
    if bad:
        return forbid("host namespaces", ", ".join(bad))
    return ALLOWED


# --- hostPorts --------------------------------------------------------------------


def host_ports_1_0(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """No container port may bind a host port."""
    bad: list[str] = []
    ports: set[str] = set()
    for container, _ in cs:
        found = False
        for port in items(container.get("ports")):
            host_port = mapping(port).get("hostPort")
            if isinstance(host_port, int) and host_port != 0:
                found = True
                ports.add(str(host_port))
        if found:
            bad.append(name_of(container))
    if bad:
        return forbid(
            "hostPort",
            f"{containers_phrase(bad)} {pluralize('uses', 'use', len(bad))} "
            f"{pluralize('hostPort', 'hostPorts', len(ports))} {', '.join(sorted(ports))}",
        )
    return ALLOWED


# --- hostPathVolumes --------------------------------------------------------------


def host_path_volumes_1_0(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """No hostPath volumes."""
    bad = [
        text(mapping(v).get("name"))
        for v in items(spec.get("volumes"))
        if mapping(v).get("hostPath") is not None
    ]
    if bad:
        return forbid(
            "hostPath volumes", f"{pluralize('volume', 'volumes', len(bad))} {join_quote(bad)}"
        )
    return ALLOWED


# --- hostProbesAndHostLifecycle ---------------------------------------------------


def _handler_hosts(handler: object) -> list[str]:
    hosts: list[str] = []
    if not is_map(handler):
        return hosts
    for kind in ("httpGet", "tcpSocket"):
        action = handler.get(kind)
        host = "" if action is None else text(dig(action, "host"))
        if host:
            hosts.append(host)
    return hosts


def host_probes_1_34(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """Probes and lifecycle handlers must not target another host."""
    bad: set[str] = set()
    hosts: set[str] = set()
    for container, _ in cs:
        found: list[str] = []
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            handler = container.get(probe)
            if handler is not None:
                found += _handler_hosts(handler)
        lifecycle = container.get("lifecycle")
        if lifecycle is not None:
            for hook in ("postStart", "preStop"):
                found += _handler_hosts(dig(lifecycle, hook))
        if found:
            bad.add(name_of(container))
            hosts.update(found)
    if bad:
        names = sorted(bad)
        return forbid(
            "probe or lifecycle host",
            f"{containers_phrase(names)} {pluralize('uses', 'use', len(names))} "
            f"{pluralize('probe or lifecycle host', 'probe or lifecycle hosts', len(hosts))} "
            f"{join_quote(sorted(hosts))}",
        )
    return ALLOWED


# --- capabilities_baseline --------------------------------------------------------

BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)


def capabilities_baseline_1_0(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """Containers may only add capabilities from the default container set."""
    bad: list[str] = []
    caps: set[str] = set()
    for container, sc in cs:
        if sc is None:
            continue
        added = [text(c) for c in items(dig(sc, "capabilities", "add"))]
        forbidden = [c for c in added if c not in BASELINE_CAPABILITIES]
        if forbidden:
            bad.append(name_of(container))
            caps.update(forbidden)
    if bad:
        return forbid(
            "non-default capabilities",
            f"{containers_phrase(bad)} must not include {join_quote(sorted(caps))} "
            "in securityContext.capabilities.add",
        )
    return ALLOWED


# --- seccompProfile_baseline ------------------------------------------------------

SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"
VALID_SECCOMP_TYPES = frozenset({"RuntimeDefault", "Localhost"})


def _valid_seccomp_annotation(value: str) -> bool:
    return value in ("runtime/default", "docker/default") or value.startswith("localhost/")


def seccomp_baseline_1_0(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """Before v1.19: the seccomp annotations must not ask for ``unconfined``."""
    annotations = mapping(meta.get("annotations"))
    bad: set[str] = set()
    keys = [SECCOMP_POD_ANNOTATION]
    keys += [SECCOMP_CONTAINER_PREFIX + name_of(c) for c, _ in cs]
    for key in keys:
        if key in annotations:
            value = text(annotations[key])
            if not _valid_seccomp_annotation(value):
                bad.add(f'{key}="{value}"')
    if bad:
        return forbid(
            "seccompProfile",
            f"forbidden {pluralize('annotation', 'annotations', len(bad))} "
            f"{', '.join(sorted(bad))}",
        )
    return ALLOWED


def seccomp_explicit_bad(spec: Obj) -> tuple[list[str], set[str], bool]:
    """Setters of a bad seccompProfile.type, the bad values, and whether the pod sets a
    valid one (shared with the restricted variant)."""
    setters: list[str] = []
    values: set[str] = set()
    pod_profile = pod_sc(spec).get("seccompProfile")
    pod_valid = False
    if is_map(pod_profile):
        kind = text(pod_profile.get("type"))
        if kind in VALID_SECCOMP_TYPES:
            pod_valid = True
        else:
            setters.append("pod")
            values.add(kind)
    return setters, values, pod_valid


def seccomp_baseline_1_19(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """From v1.19: securityContext.seccompProfile.type must not be ``Unconfined``."""
    setters, values, _ = seccomp_explicit_bad(spec)
    bad: list[str] = []
    for container, sc in cs:
        if sc is None:
            continue
        profile = sc.get("seccompProfile")
        if is_map(profile) and text(profile.get("type")) not in VALID_SECCOMP_TYPES:
            bad.append(name_of(container))
            values.add(text(profile.get("type")))
    if bad:
        setters.append(containers_phrase(bad))
    if setters:
        return forbid(
            "seccompProfile",
            f"{' and '.join(setters)} must not set securityContext.seccompProfile.type to "
            f"{join_quote(sorted(values))}",
        )
    return ALLOWED


# --- appArmorProfile --------------------------------------------------------------

APPARMOR_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
VALID_APPARMOR_TYPES = frozenset({"RuntimeDefault", "Localhost"})


def _valid_apparmor_annotation(value: str) -> bool:
    return value in ("", "runtime/default") or value.startswith("localhost/")


def apparmor_1_0(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """AppArmor must not be disabled: annotations and (v1.30+) appArmorProfile fields."""
    setters: list[str] = []
    values: set[str] = set()
    pod_profile = pod_sc(spec).get("appArmorProfile")
    if is_map(pod_profile) and text(pod_profile.get("type")) not in VALID_APPARMOR_TYPES:
        setters.append("pod")
        values.add(text(pod_profile.get("type")))
    bad: list[str] = []
    for container, sc in cs:
        if sc is None:
            continue
        profile = sc.get("appArmorProfile")
        if is_map(profile) and text(profile.get("type")) not in VALID_APPARMOR_TYPES:
            bad.append(name_of(container))
            values.add(text(profile.get("type")))
    if bad:
        setters.append(containers_phrase(bad))
    found = meta.get("annotations")
    annotations = sorted(
        f'{key}="{text(value)}"'
        for key, value in (mapping(found).items() if found else ())
        if isinstance(key, str)
        and key.startswith(APPARMOR_PREFIX)
        and not _valid_apparmor_annotation(text(value))
    )
    listed = sorted(values) + annotations
    if annotations:
        setters.append(pluralize("annotation", "annotations", len(annotations)))
    if setters:
        return forbid(
            pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", len(listed)),
            f"{' and '.join(setters)} must not set AppArmor profile type to {join_quote(listed)}",
        )
    return ALLOWED


# --- seLinuxOptions ---------------------------------------------------------------

SELINUX_TYPES_1_0 = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
SELINUX_TYPES_1_31 = SELINUX_TYPES_1_0 | {"container_engine_t"}


def _selinux(spec: Obj, cs: Walk, allowed: frozenset[str]) -> Outcome:
    setters: list[str] = []
    bad_types: set[str] = set()
    flags = {"user": False, "role": False}

    def valid(opts: Obj) -> bool:
        ok = True
        kind = text(opts.get("type"))
        if kind not in allowed:
            ok = False
            bad_types.add(kind)
        for key in ("user", "role"):
            if text(opts.get(key)):
                ok = False
                flags[key] = True
        return ok

    pod_opts = pod_sc(spec).get("seLinuxOptions")
    if is_map(pod_opts) and not valid(pod_opts):
        setters.append("pod")
    bad: list[str] = []
    for container, sc in cs:
        if sc is None:
            continue
        opts = sc.get("seLinuxOptions")
        if is_map(opts) and not valid(opts):
            bad.append(name_of(container))
    if bad:
        setters.append(containers_phrase(bad))
    if not setters:
        return ALLOWED
    data: list[str] = []
    if bad_types:
        types = sorted(bad_types)
        data.append(f"{pluralize('type', 'types', len(types))} {join_quote(types)}")
    data += [f"{key} may not be set" for key in ("user", "role") if flags[key]]
    return forbid(
        "seLinuxOptions",
        f"{' and '.join(setters)} set forbidden securityContext.seLinuxOptions: {'; '.join(data)}",
    )


def selinux_1_0(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """SELinux type limited to the container types; user and role unset."""
    return _selinux(spec, cs, SELINUX_TYPES_1_0)


def selinux_1_31(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """As v1.0, with ``container_engine_t`` allowed too."""
    return _selinux(spec, cs, SELINUX_TYPES_1_31)


# --- procMount --------------------------------------------------------------------


def proc_mount_strict(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """procMount must be unset or ``Default``."""
    bad: list[str] = []
    kinds: set[str] = set()
    for container, sc in cs:
        if sc is None or sc.get("procMount") is None:
            continue
        kind = text(sc.get("procMount"))
        if kind != "Default":
            bad.append(name_of(container))
            kinds.add(kind)
    if bad:
        return forbid(
            "procMount",
            f"{containers_phrase(bad)} must not set securityContext.procMount to "
            f"{join_quote(sorted(kinds))}",
        )
    return ALLOWED


def proc_mount_1_35(meta: Obj, spec: Obj, cs: Walk) -> Outcome:
    """From v1.35 any procMount is allowed in a user-namespaced pod (``hostUsers: false``)."""
    if user_namespaced(spec):
        return ALLOWED
    return proc_mount_strict(meta, spec, cs)
