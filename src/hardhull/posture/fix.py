"""Minimal Pod Security Standards fixes on decoded (round-trip) Kubernetes objects.

:func:`fix_object` edits one object in place so that its pod spec passes the chosen PSS
level (``baseline`` or ``restricted``), and returns a :class:`FixNote` per change, or per
problem that needs a human decision (``fixable=False``: hostPath volumes, ``runAsUser:
0``, unsafe sysctls, SELinux options, Windows host processes, non-restricted volume types).
Nothing outside the fields a failing check names is touched. ``check_id`` is the id
pod-security-admission uses for the check the note is about.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, MutableSequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from hardhull.posture.checks.podspec import POD_SPEC_PATHS
from hardhull.posture.pss.baseline import (
    BASELINE_CAPABILITIES,
    SELINUX_TYPES_1_31,
    VALID_SECCOMP_TYPES,
)
from hardhull.posture.pss.helpers import CONTAINER_LISTS
from hardhull.posture.pss.kernel import SYSCTLS_1_29
from hardhull.posture.pss.restricted import ALLOWED_VOLUME_SOURCES

LEVELS = ("baseline", "restricted")
RESTRICTED_CAPS = frozenset({"NET_BIND_SERVICE"})
#: PSS restricted volume sources, less ``image`` (which PSS allows; this fixer, as first
#: written, still reports it for a human).
RESTRICTED_VOLUMES = ALLOWED_VOLUME_SOURCES - {"image"}
Map = MutableMapping[str, Any]


@dataclass(frozen=True, slots=True)
class FixNote:
    """One change made (``fixable``) or one problem left for a human (not ``fixable``)."""

    resource: str
    check_id: str
    path: str
    action: str
    fixable: bool = True
    line: int | None = None


class _Fixer:
    def __init__(self, label: str, level: str, line_offset: int) -> None:
        self.label = label
        self.level = level
        self.offset = line_offset
        self.notes: list[FixNote] = []

    def line(self, node: object, key: object = None) -> int | None:
        lc = getattr(node, "lc", None)
        if lc is None:
            return None
        try:
            row = lc.key(key)[0] if key is not None else lc.line
        except (KeyError, TypeError, AttributeError):
            row = lc.line
        return None if row is None else int(row) + 1 + self.offset

    def changed(self, check: str, path: str, action: str, node: object, key: object) -> None:
        self.notes.append(FixNote(self.label, check, path, action, True, self.line(node, key)))

    def manual(self, check: str, path: str, why: str, node: object, key: object = None) -> None:
        self.notes.append(FixNote(self.label, check, path, why, False, self.line(node, key)))

    def set(self, node: Map, key: str, value: Any, check: str, path: str) -> None:
        """Set ``node[key] = value`` unless it already is; record the change."""
        if key in node and node[key] == value:
            return
        old = node.get(key, "<unset>")
        node[key] = value
        self.changed(check, f"{path}.{key}", f"{_show(old)} -> {_show(value)}", node, key)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, MutableMapping):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, MutableSequence):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _child(
    fixer: _Fixer, node: Map, key: str, path: str, check: str, create: bool = True
) -> Map | None:
    """``node[key]`` as a mapping, created empty when missing and ``create``."""
    value = node.get(key)
    if isinstance(value, MutableMapping):
        return value
    if value is not None:
        fixer.manual(check, f"{path}.{key}", "is not a mapping", node, key)
        return None
    if not create:
        return None
    node[key] = CommentedMap()
    return node[key]  # type: ignore[no-any-return]


def pod_spec_path(obj: Map) -> tuple[str, ...] | None:
    """Where ``obj``'s pod spec lives, or None for kinds that have none."""
    kind = obj.get("kind")
    return POD_SPEC_PATHS.get(kind) if isinstance(kind, str) else None


def fix_object(obj: Map, level: str, line_offset: int = 0) -> list[FixNote]:
    """Fix ``obj`` (any workload kind, or a ``List`` of them) in place for ``level``."""
    if obj.get("kind") == "List" and isinstance(obj.get("items"), MutableSequence):
        notes: list[FixNote] = []
        for item in obj["items"]:
            if isinstance(item, MutableMapping):
                notes.extend(fix_object(item, level, line_offset))
        return notes
    path = pod_spec_path(obj)
    if path is None:
        return []
    raw_meta = obj.get("metadata")
    meta: Map = raw_meta if isinstance(raw_meta, MutableMapping) else {}
    namespace = meta.get("namespace")
    label = f"{obj['kind']} {namespace + '/' if namespace else ''}{meta.get('name', '?')}"
    node: Any = obj
    for key in path:
        if not isinstance(node, MutableMapping) or not isinstance(node.get(key), MutableMapping):
            return []
        node = node[key]
    parent: Any = obj
    for key in path[:-1]:
        parent = parent[key]
    pod_meta = parent.get("metadata") if path[:-1] else obj.get("metadata")
    fixer = _Fixer(label, level, line_offset)
    _fix_pod(
        fixer, pod_meta if isinstance(pod_meta, MutableMapping) else None, node, ".".join(path)
    )
    return fixer.notes


def _containers(spec: Map, path: str) -> list[tuple[Map, str]]:
    out: list[tuple[Map, str]] = []
    for field in CONTAINER_LISTS:
        items = spec.get(field)
        if isinstance(items, MutableSequence):
            for index, item in enumerate(items):
                if isinstance(item, MutableMapping):
                    out.append((item, f"{path}.{field}[{index}]"))
    return out


def _fix_pod(fixer: _Fixer, meta: Map | None, spec: Map, path: str) -> None:
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key) is True:
            fixer.set(spec, key, False, "hostNamespaces", path)
    if meta is not None:
        _fix_annotations(fixer, meta, path)
    _check_volumes(fixer, spec, path)
    windows = isinstance(spec.get("os"), MutableMapping) and spec["os"].get("name") == "windows"
    psc = _child(fixer, spec, "securityContext", path, "securityContext", create=False)
    if psc is not None:
        _fix_common_sc(fixer, psc, f"{path}.securityContext")
        sysctls = psc.get("sysctls")
        if isinstance(sysctls, MutableSequence):
            for item in sysctls:
                name = item.get("name") if isinstance(item, MutableMapping) else None
                if name not in SYSCTLS_1_29:
                    fixer.manual(
                        "sysctls",
                        f"{path}.securityContext.sysctls",
                        f"unsafe sysctl {name!r}: remove it or allow it in the cluster",
                        psc,
                        "sysctls",
                    )
    containers = _containers(spec, path)
    for container, cpath in containers:
        _fix_container(fixer, container, cpath, windows)
    if fixer.level == "restricted":
        _restricted_pod(fixer, spec, path, containers, windows)


def _fix_annotations(fixer: _Fixer, meta: Map, path: str) -> None:
    notes = meta.get("annotations")
    if not isinstance(notes, MutableMapping):
        return
    for key in list(notes):
        value = notes[key]
        if not isinstance(key, str) or not isinstance(value, str):
            continue
        if key.startswith(
            (
                "seccomp.security.alpha.kubernetes.io/pod",
                "container.seccomp.security.alpha.kubernetes.io/",
            )
        ):
            if value == "unconfined":
                fixer.set(
                    notes, key, "runtime/default", "seccompProfile_baseline", "metadata.annotations"
                )
        elif (
            key.startswith("container.apparmor.security.beta.kubernetes.io/")
            and value
            and value != "runtime/default"
            and not value.startswith("localhost/")
        ):
            fixer.set(notes, key, "runtime/default", "appArmorProfile", "metadata.annotations")


def _check_volumes(fixer: _Fixer, spec: Map, path: str) -> None:
    volumes = spec.get("volumes")
    if not isinstance(volumes, MutableSequence):
        return
    for index, volume in enumerate(volumes):
        if not isinstance(volume, MutableMapping):
            continue
        vpath = f"{path}.volumes[{index}]"
        if "hostPath" in volume:
            fixer.manual(
                "hostPathVolumes",
                vpath,
                f"hostPath volume {volume.get('name')!r}: "
                "not fixable automatically (replace it or exempt the workload)",
                volume,
            )
        elif fixer.level == "restricted":
            kinds = [k for k in volume if k != "name"]
            bad = [k for k in kinds if k not in RESTRICTED_VOLUMES]
            if bad:
                fixer.manual(
                    "restrictedVolumes",
                    vpath,
                    f"volume type {bad[0]!r} is not "
                    "allowed by restricted: not fixable automatically",
                    volume,
                )


def _fix_common_sc(fixer: _Fixer, sc: Map, path: str) -> None:
    """Fields that pod and container security contexts share."""
    for key, check in (
        ("seccompProfile", "seccompProfile_baseline"),
        ("appArmorProfile", "appArmorProfile"),
    ):
        profile = sc.get(key)
        if isinstance(profile, MutableMapping) and profile.get("type") == "Unconfined":
            fixer.set(profile, "type", "RuntimeDefault", check, f"{path}.{key}")
    se = sc.get("seLinuxOptions")
    if isinstance(se, MutableMapping) and (
        se.get("type", "") not in SELINUX_TYPES_1_31 or se.get("user") or se.get("role")
    ):
        fixer.manual(
            "seLinuxOptions",
            f"{path}.seLinuxOptions",
            "custom SELinux type, user or role: not fixable automatically",
            sc,
            "seLinuxOptions",
        )
    win = sc.get("windowsOptions")
    if isinstance(win, MutableMapping) and win.get("hostProcess") is True:
        fixer.manual(
            "windowsHostProcess",
            f"{path}.windowsOptions.hostProcess",
            "Windows host process: not fixable automatically",
            win,
            "hostProcess",
        )
    if fixer.level == "restricted" and sc.get("runAsUser") == 0:
        fixer.manual(
            "runAsUser",
            f"{path}.runAsUser",
            "runAsUser: 0 needs a non-root uid chosen by a human: not fixable automatically",
            sc,
            "runAsUser",
        )


def _fix_container(fixer: _Fixer, c: Map, path: str, windows: bool) -> None:
    ports = c.get("ports")
    if isinstance(ports, MutableSequence):
        for index, port in enumerate(ports):
            if isinstance(port, MutableMapping) and port.get("hostPort"):
                fixer.changed(
                    "hostPorts",
                    f"{path}.ports[{index}].hostPort",
                    f"removed {port['hostPort']}",
                    port,
                    "hostPort",
                )
                del port["hostPort"]
    restricted = fixer.level == "restricted"
    create = restricted and not windows
    sc = _child(fixer, c, "securityContext", path, "securityContext", create=create)
    if sc is None:
        return
    spath = f"{path}.securityContext"
    if sc.get("privileged") is True:
        fixer.set(sc, "privileged", False, "privileged", spath)
    if sc.get("procMount") not in (None, "Default"):
        fixer.set(sc, "procMount", "Default", "procMount", spath)
    _fix_common_sc(fixer, sc, spath)
    allowed = RESTRICTED_CAPS if restricted and not windows else BASELINE_CAPABILITIES
    caps = sc.get("capabilities")
    if isinstance(caps, MutableMapping) and isinstance(caps.get("add"), MutableSequence):
        add: MutableSequence[Any] = caps["add"]
        for cap in [x for x in add if str(x).upper().removeprefix("CAP_") not in allowed]:
            fixer.changed(
                "capabilities_restricted" if restricted else "capabilities_baseline",
                f"{spath}.capabilities.add",
                f"removed {cap}",
                caps,
                "add",
            )
            add.remove(cap)
        if not add:
            del caps["add"]
    if restricted and sc.get("runAsNonRoot") is False:
        fixer.set(sc, "runAsNonRoot", True, "runAsNonRoot", spath)
    if not restricted or windows:
        return
    if sc.get("allowPrivilegeEscalation") is not False:
        fixer.set(sc, "allowPrivilegeEscalation", False, "allowPrivilegeEscalation", spath)
    caps_map = _child(fixer, sc, "capabilities", spath, "capabilities_restricted")
    if caps_map is None:
        return
    drop = caps_map.get("drop")
    if not isinstance(drop, MutableSequence):
        fixer.set(
            caps_map,
            "drop",
            CommentedSeq(["ALL"]),
            "capabilities_restricted",
            f"{spath}.capabilities",
        )
    elif "ALL" not in drop:
        drop.append("ALL")
        fixer.changed(
            "capabilities_restricted", f"{spath}.capabilities.drop", "added ALL", caps_map, "drop"
        )
    if not sc["capabilities"]:
        del sc["capabilities"]


def _restricted_pod(
    fixer: _Fixer, spec: Map, path: str, containers: list[tuple[Map, str]], windows: bool
) -> None:
    psc_now = spec.get("securityContext")
    psc_value: Callable[[str], Any] = (
        psc_now.get if isinstance(psc_now, MutableMapping) else (lambda _k: None)
    )
    scs: list[Map] = []
    for container, _ in containers:
        sc = container.get("securityContext")
        scs.append(sc if isinstance(sc, MutableMapping) else {})
    pod_non_root = psc_value("runAsNonRoot")
    if pod_non_root is False or (
        pod_non_root is not True and not all(s.get("runAsNonRoot") is True for s in scs)
    ):
        psc = _child(fixer, spec, "securityContext", path, "runAsNonRoot")
        if psc is not None:
            fixer.set(psc, "runAsNonRoot", True, "runAsNonRoot", f"{path}.securityContext")
    if windows:
        return
    pod_profile = psc_value("seccompProfile")
    pod_ok = (
        isinstance(pod_profile, MutableMapping) and pod_profile.get("type") in VALID_SECCOMP_TYPES
    )

    def container_ok(s: Map) -> bool:
        p = s.get("seccompProfile")
        return isinstance(p, MutableMapping) and p.get("type") in VALID_SECCOMP_TYPES

    if not pod_ok and not all(container_ok(s) for s in scs):
        psc = _child(fixer, spec, "securityContext", path, "seccompProfile_restricted")
        if psc is not None:
            profile = psc.get("seccompProfile")
            if isinstance(profile, MutableMapping):
                fixer.set(
                    profile,
                    "type",
                    "RuntimeDefault",
                    "seccompProfile_restricted",
                    f"{path}.securityContext.seccompProfile",
                )
            else:
                fixer.set(
                    psc,
                    "seccompProfile",
                    CommentedMap(type="RuntimeDefault"),
                    "seccompProfile_restricted",
                    f"{path}.securityContext",
                )


__all__ = ["LEVELS", "POD_SPEC_PATHS", "FixNote", "fix_object", "pod_spec_path"]
