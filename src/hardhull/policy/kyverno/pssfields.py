"""The restricted fields behind a failing Pod Security Standards check.

hardhull's PSS engine (:mod:`hardhull.posture.pss`) says *whether* a check forbids a pod;
Kyverno's ``podSecurity.exclude`` needs to know *which fields* (and which bad values)
made it fail, to exempt some of them: the fields of a container whose image matches, a
``restrictedField`` with given ``values``. :func:`violations` lists them for one check,
following the same inheritance rules as the checks themselves (a container that does not
set ``runAsNonRoot``/``seccompProfile`` violates only when the pod does not set a valid
value). Field paths are written as Kyverno's ``restrictedField`` spells them, with the
concrete container index kept separately.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from hardhull.posture.pss import baseline as b
from hardhull.posture.pss import restricted as r
from hardhull.posture.pss.helpers import (
    CONTAINER_LISTS,
    container_sc,
    dig,
    is_map,
    items,
    mapping,
    pod_sc,
    text,
)
from hardhull.posture.pss.version import PssVersion

_SC = "securityContext"


@dataclass(frozen=True, slots=True)
class Violation:
    """One forbidden field. ``container`` is ``(list name, index)`` for container-level
    fields, ``None`` for pod-level (``spec.*`` and ``metadata.annotations``) ones."""

    check_id: str
    field: str  # e.g. "spec.containers[*].securityContext.privileged"
    bad: tuple[str, ...] = ()
    container: tuple[str, int] | None = None
    image: str = ""

    def describe(self) -> str:
        """The field with its index and bad values, for messages."""
        where = self.field
        if self.container is not None:
            kind, index = self.container
            where = where.replace(f"spec.{kind}[*]", f"spec.{kind}[{index}]", 1)
        if self.bad:
            return f"{where}={list(self.bad)}"
        return f"{where} (unset)"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Collect:
    """Accumulates the violations of one check on one pod."""

    def __init__(self, check_id: str) -> None:
        self.check_id = check_id
        self.out: list[Violation] = []

    def pod(self, field: str, *bad: Any) -> None:
        self.out.append(Violation(self.check_id, field, tuple(_value(v) for v in bad)))

    def container(self, ref: tuple[str, int, Mapping[str, Any]], suffix: str, *bad: Any) -> None:
        kind, index, container = ref
        self.out.append(
            Violation(
                self.check_id,
                f"spec.{kind}[*].{suffix}",
                tuple(_value(v) for v in bad),
                (kind, index),
                text(container.get("image")),
            )
        )


_Ref = tuple[str, int, Mapping[str, Any]]


def _containers(spec: Mapping[str, Any]) -> Iterator[tuple[_Ref, Mapping[str, Any] | None]]:
    for kind in CONTAINER_LISTS:
        for index, raw in enumerate(items(spec.get(kind))):
            if is_map(raw):
                yield (kind, index, raw), container_sc(raw)


Extractor = Callable[[_Collect, Mapping[str, Any], Mapping[str, Any], PssVersion], None]


def _privileged(c: _Collect, meta: Any, spec: Any, ver: PssVersion) -> None:
    for ref, sc in _containers(spec):
        if sc is not None and sc.get("privileged") is True:
            c.container(ref, f"{_SC}.privileged", True)


def _host_namespaces(c: _Collect, meta: Any, spec: Any, ver: PssVersion) -> None:
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key) is True:
            c.pod(f"spec.{key}", True)


def _host_ports(c: _Collect, meta: Any, spec: Any, ver: PssVersion) -> None:
    for ref, _ in _containers(spec):
        ports = [dig(p, "hostPort") for p in items(ref[2].get("ports"))]
        bad = [p for p in ports if isinstance(p, int) and not isinstance(p, bool) and p != 0]
        if bad:
            c.container(ref, "ports[*].hostPort", *bad)


def _host_path(c: _Collect, meta: Any, spec: Any, ver: PssVersion) -> None:
    for raw in items(spec.get("volumes")):
        volume = mapping(raw)
        if volume.get("hostPath") is not None:
            c.pod("spec.volumes[*].hostPath", text(dig(volume, "hostPath", "path")))


_HANDLERS = (
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle.postStart",
    "lifecycle.preStop",
)


def _host_probes(c: _Collect, meta: Any, spec: Any, ver: PssVersion) -> None:
    for ref, _ in _containers(spec):
        for handler in _HANDLERS:
            for action in ("httpGet", "tcpSocket"):
                host = text(dig(ref[2], *handler.split("."), action, "host"))
                if host:
                    c.container(ref, f"{handler}.{action}.host", host)


def _caps_baseline(c: _Collect, meta: Any, spec: Any, ver: PssVersion) -> None:
    for ref, sc in _containers(spec):
        added = [text(x) for x in items(dig(sc, "capabilities", "add"))]
        bad = [x for x in added if x not in b.BASELINE_CAPABILITIES]
        if bad:
            c.container(ref, f"{_SC}.capabilities.add", *bad)


def _caps_restricted(c: _Collect, meta: Any, spec: Any, ver: PssVersion) -> None:
    for ref, sc in _containers(spec):
        dropped = [text(x) for x in items(dig(sc, "capabilities", "drop"))]
        if "ALL" not in dropped:
            c.container(ref, f"{_SC}.capabilities.drop", *dropped)
        added = [text(x) for x in items(dig(sc, "capabilities", "add"))]
        bad = [x for x in added if x != "NET_BIND_SERVICE"]
        if bad:
            c.container(ref, f"{_SC}.capabilities.add", *bad)


def _seccomp_baseline(c: _Collect, meta: Any, spec: Any, ver: PssVersion) -> None:
    if not ver.at_least(19):
        for key, value in mapping(meta.get("annotations")).items():
            name = str(key)
            seccomp = name == b.SECCOMP_POD_ANNOTATION or name.startswith(
                b.SECCOMP_CONTAINER_PREFIX
            )
            val = text(value)
            if seccomp and not (
                val in ("runtime/default", "docker/default") or val.startswith("localhost/")
            ):
                c.pod("metadata.annotations", f"{name}={text(value)}")
        return
    field = f"{_SC}.seccompProfile.type"
    if text(dig(pod_sc(spec), "seccompProfile", "type")) == "Unconfined":
        c.pod(f"spec.{field}", "Unconfined")
    for ref, sc in _containers(spec):
        if text(dig(sc, "seccompProfile", "type")) == "Unconfined":
            c.container(ref, field, "Unconfined")


def _seccomp_restricted(c: _Collect, meta: Any, spec: Any, ver: PssVersion) -> None:
    field = f"{_SC}.seccompProfile.type"
    profile = pod_sc(spec).get("seccompProfile")
    pod_valid = False
    if is_map(profile):
        kind = text(profile.get("type"))
        pod_valid = kind in b.VALID_SECCOMP_TYPES
        if not pod_valid:
            c.pod(f"spec.{field}", kind)
    for ref, sc in _containers(spec):
        own = None if sc is None else sc.get("seccompProfile")
        if is_map(own):
            kind = text(own.get("type"))
            if kind not in b.VALID_SECCOMP_TYPES:
                c.container(ref, field, kind)
        elif not pod_valid:
            c.container(ref, field)


def _apparmor(c: _Collect, meta: Any, spec: Any, ver: PssVersion) -> None:
    for key, value in mapping(meta.get("annotations")).items():
        name = str(key)
        val = text(value)
        if name.startswith(b.APPARMOR_PREFIX) and not (
            val in ("", "runtime/default") or val.startswith("localhost/")
        ):
            c.pod("metadata.annotations", f"{name}={val}")
    field = f"{_SC}.appArmorProfile.type"
    profile = pod_sc(spec).get("appArmorProfile")
    if is_map(profile) and text(profile.get("type")) not in b.VALID_APPARMOR_TYPES:
        c.pod(f"spec.{field}", text(profile.get("type")))
    for ref, sc in _containers(spec):
        own = None if sc is None else sc.get("appArmorProfile")
        if is_map(own) and text(own.get("type")) not in b.VALID_APPARMOR_TYPES:
            c.container(ref, field, text(own.get("type")))


def _selinux(c: _Collect, meta: Any, spec: Any, ver: PssVersion) -> None:
    allowed = b.SELINUX_TYPES_1_31 if ver.at_least(31) else b.SELINUX_TYPES_1_0

    def bad(opts: Any) -> list[tuple[str, str]]:
        if not is_map(opts):
            return []
        out = [("type", text(opts.get("type")))] if text(opts.get("type")) not in allowed else []
        return out + [(k, text(opts.get(k))) for k in ("user", "role") if text(opts.get(k))]

    for key, value in bad(pod_sc(spec).get("seLinuxOptions")):
        c.pod(f"spec.{_SC}.seLinuxOptions.{key}", value)
    for ref, sc in _containers(spec):
        for key, value in bad(None if sc is None else sc.get("seLinuxOptions")):
            c.container(ref, f"{_SC}.seLinuxOptions.{key}", value)


def _proc_mount(c: _Collect, meta: Any, spec: Any, ver: PssVersion) -> None:
    for ref, sc in _containers(spec):
        mount = None if sc is None else sc.get("procMount")
        if mount is not None and text(mount) != "Default":
            c.container(ref, f"{_SC}.procMount", text(mount))


def _sysctls(c: _Collect, meta: Any, spec: Any, ver: PssVersion) -> None:
    from hardhull.posture.pss import kernel as k

    if ver.at_least(32):
        allowed = k.SYSCTLS_1_32
    elif ver.at_least(29):
        allowed = k.SYSCTLS_1_29
    elif ver.at_least(27):
        allowed = k.SYSCTLS_1_27
    else:
        allowed = k.SYSCTLS_1_0
    bad = [
        text(mapping(s).get("name"))
        for s in items(pod_sc(spec).get("sysctls"))
        if text(mapping(s).get("name")) not in allowed
    ]
    if bad:
        c.pod(f"spec.{_SC}.sysctls[*].name", *bad)


def _host_process(c: _Collect, meta: Any, spec: Any, ver: PssVersion) -> None:
    field = f"{_SC}.windowsOptions.hostProcess"
    if dig(pod_sc(spec), "windowsOptions", "hostProcess") is True:
        c.pod(f"spec.{field}", True)
    for ref, sc in _containers(spec):
        if dig(sc, "windowsOptions", "hostProcess") is True:
            c.container(ref, field, True)


def _privilege_escalation(c: _Collect, meta: Any, spec: Any, ver: PssVersion) -> None:
    for ref, sc in _containers(spec):
        value = None if sc is None else sc.get("allowPrivilegeEscalation")
        if value is not False:
            bad = () if value is None else (value,)
            c.container(ref, f"{_SC}.allowPrivilegeEscalation", *bad)


def _run_as_non_root(c: _Collect, meta: Any, spec: Any, ver: PssVersion) -> None:
    pod_value = pod_sc(spec).get("runAsNonRoot")
    if pod_value is False:
        c.pod(f"spec.{_SC}.runAsNonRoot", False)
    for ref, sc in _containers(spec):
        value = None if sc is None else sc.get("runAsNonRoot")
        if value is False:
            c.container(ref, f"{_SC}.runAsNonRoot", False)
        elif value is None and pod_value is not True:
            c.container(ref, f"{_SC}.runAsNonRoot")


def _zero(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value == 0


def _run_as_user(c: _Collect, meta: Any, spec: Any, ver: PssVersion) -> None:
    if _zero(pod_sc(spec).get("runAsUser")):
        c.pod(f"spec.{_SC}.runAsUser", 0)
    for ref, sc in _containers(spec):
        if sc is not None and _zero(sc.get("runAsUser")):
            c.container(ref, f"{_SC}.runAsUser", 0)


def _volumes(c: _Collect, meta: Any, spec: Any, ver: PssVersion) -> None:
    for raw in items(spec.get("volumes")):
        volume = mapping(raw)
        if any(volume.get(key) is not None for key in r.ALLOWED_VOLUME_SOURCES):
            continue
        kind = next((k for k in r.FORBIDDEN_VOLUME_SOURCES if volume.get(k) is not None), "")
        c.pod("spec.volumes[*]", kind or "unknown")


EXTRACTORS: Mapping[str, Extractor] = {
    "privileged": _privileged,
    "hostNamespaces": _host_namespaces,
    "hostPorts": _host_ports,
    "hostPathVolumes": _host_path,
    "hostProbesAndHostLifecycle": _host_probes,
    "capabilities_baseline": _caps_baseline,
    "capabilities_restricted": _caps_restricted,
    "seccompProfile_baseline": _seccomp_baseline,
    "seccompProfile_restricted": _seccomp_restricted,
    "appArmorProfile": _apparmor,
    "seLinuxOptions": _selinux,
    "procMount": _proc_mount,
    "procMount_restricted": _proc_mount,
    "sysctls": _sysctls,
    "windowsHostProcess": _host_process,
    "allowPrivilegeEscalation": _privilege_escalation,
    "runAsNonRoot": _run_as_non_root,
    "runAsUser": _run_as_user,
    "restrictedVolumes": _volumes,
}


def _container_fields(*suffixes: str) -> frozenset[str]:
    return frozenset(f"spec.{k}[*].{s}" for k in CONTAINER_LISTS for s in suffixes)


#: Every ``restrictedField`` a check can report (what ``exclude.restrictedField`` may name).
FIELDS: Mapping[str, frozenset[str]] = {
    "privileged": _container_fields(f"{_SC}.privileged"),
    "hostNamespaces": frozenset({"spec.hostNetwork", "spec.hostPID", "spec.hostIPC"}),
    "hostPorts": _container_fields("ports[*].hostPort"),
    "hostPathVolumes": frozenset({"spec.volumes[*].hostPath"}),
    "hostProbesAndHostLifecycle": _container_fields(
        *(f"{h}.{a}.host" for h in _HANDLERS for a in ("httpGet", "tcpSocket"))
    ),
    "capabilities_baseline": _container_fields(f"{_SC}.capabilities.add"),
    "capabilities_restricted": _container_fields(
        f"{_SC}.capabilities.add", f"{_SC}.capabilities.drop"
    ),
    "seccompProfile_baseline": frozenset(
        {"metadata.annotations", f"spec.{_SC}.seccompProfile.type"}
    )
    | _container_fields(f"{_SC}.seccompProfile.type"),
    "seccompProfile_restricted": frozenset({f"spec.{_SC}.seccompProfile.type"})
    | _container_fields(f"{_SC}.seccompProfile.type"),
    "appArmorProfile": frozenset({"metadata.annotations", f"spec.{_SC}.appArmorProfile.type"})
    | _container_fields(f"{_SC}.appArmorProfile.type"),
    "seLinuxOptions": frozenset(f"spec.{_SC}.seLinuxOptions.{k}" for k in ("type", "user", "role"))
    | _container_fields(*(f"{_SC}.seLinuxOptions.{k}" for k in ("type", "user", "role"))),
    "procMount": _container_fields(f"{_SC}.procMount"),
    "procMount_restricted": _container_fields(f"{_SC}.procMount"),
    "sysctls": frozenset({f"spec.{_SC}.sysctls[*].name"}),
    "windowsHostProcess": frozenset({f"spec.{_SC}.windowsOptions.hostProcess"})
    | _container_fields(f"{_SC}.windowsOptions.hostProcess"),
    "allowPrivilegeEscalation": _container_fields(f"{_SC}.allowPrivilegeEscalation"),
    "runAsNonRoot": frozenset({f"spec.{_SC}.runAsNonRoot"})
    | _container_fields(f"{_SC}.runAsNonRoot"),
    "runAsUser": frozenset({f"spec.{_SC}.runAsUser"}) | _container_fields(f"{_SC}.runAsUser"),
    "restrictedVolumes": frozenset({"spec.volumes[*]"}),
}


def violations(
    check_id: str, meta: Mapping[str, Any], spec: Mapping[str, Any], version: PssVersion
) -> list[Violation]:
    """The forbidden fields of a check that forbids this pod (empty when hardhull cannot
    attribute the check to fields: such a check cannot be exempted field by field)."""
    extractor = EXTRACTORS.get(check_id)
    if extractor is None:
        return []
    collect = _Collect(check_id)
    extractor(collect, meta, spec, version)
    return collect.out
