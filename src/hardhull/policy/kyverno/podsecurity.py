"""Kyverno's ``validate.podSecurity`` subrule, evaluated with hardhull's own Pod Security
Standards engine (:mod:`hardhull.posture.pss`).

``level`` (privileged | baseline | restricted) and ``version`` (``latest`` or ``v1.N``)
select the checks; ``exclude`` entries exempt a control (``controlName``, a PSS control
name as Kyverno spells it), optionally only for containers whose image matches
``images`` (wildcards), only for one ``restrictedField`` and only when every forbidden
value of that field matches ``values``. As Kyverno documents: ``controlName`` alone
exempts the control's pod-level fields (``spec.*``, ``metadata.annotations``), with
``images`` the fields of the matching containers; container-level controls require
``images``, pod-level controls forbid it. The pod of a Pod controller
(``spec.template``, a CronJob's ``spec.jobTemplate.spec.template``) is evaluated, so
autogen rules work as they do for patterns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hardhull.errors import HardhullError
from hardhull.policy.base import Result
from hardhull.policy.kyverno.pssfields import FIELDS, Violation, violations
from hardhull.policy.kyverno.values import wildcard_match
from hardhull.posture.pss import (
    PssVersion,
    PssVersionError,
    evaluate_pod,
    parse_version,
    pod_spec_of,
)

#: Kyverno's PSS control names -> hardhull's (PSA's) check ids.
CONTROLS: Mapping[str, tuple[str, ...]] = {
    "Capabilities": ("capabilities_baseline", "capabilities_restricted"),
    "Seccomp": ("seccompProfile_baseline", "seccompProfile_restricted"),
    "Privileged Containers": ("privileged",),
    "Host Ports": ("hostPorts",),
    "/proc Mount Type": ("procMount", "procMount_restricted"),
    "Host Probes / Lifecycle Hooks": ("hostProbesAndHostLifecycle",),
    "HostProcess": ("windowsHostProcess",),
    "SELinux": ("seLinuxOptions",),
    "Host Namespaces": ("hostNamespaces",),
    "HostPath Volumes": ("hostPathVolumes",),
    "Sysctls": ("sysctls",),
    "AppArmor": ("appArmorProfile",),
    "Privilege Escalation": ("allowPrivilegeEscalation",),
    "Running as Non-root": ("runAsNonRoot",),
    "Running as Non-root user": ("runAsUser",),
    "Volume Types": ("restrictedVolumes",),
}
#: Controls whose fields are all in containers: an exclusion must name ``images``.
CONTAINER_LEVEL = frozenset(
    {
        "Capabilities",
        "Privileged Containers",
        "Host Ports",
        "/proc Mount Type",
        "Privilege Escalation",
        "Host Probes / Lifecycle Hooks",
    }
)
#: Controls whose fields are all pod-level: an exclusion must not name ``images``.
POD_LEVEL = frozenset({"Host Namespaces", "HostPath Volumes", "Sysctls", "Volume Types"})
LEVELS = ("privileged", "baseline", "restricted")
_CONTROL_OF = {check: name for name, checks in CONTROLS.items() for check in checks}


@dataclass(frozen=True, slots=True)
class Exclusion:
    """One ``podSecurity.exclude`` entry."""

    control: str
    images: tuple[str, ...] = ()
    restricted_field: str = ""
    values: tuple[str, ...] = ()

    def exempts(self, v: Violation) -> bool:
        """Whether this entry exempts one forbidden field."""
        if v.check_id not in CONTROLS[self.control]:
            return False
        if self.images:
            if v.container is None or not any(wildcard_match(p, v.image) for p in self.images):
                return False
        elif v.container is not None:
            return False
        if self.restricted_field and v.field != self.restricted_field:
            return False
        if self.values:
            return all(any(wildcard_match(p, bad) for p in self.values) for bad in v.bad)
        return True


@dataclass(frozen=True, slots=True)
class PodSecurity:
    """A compiled ``validate.podSecurity`` block."""

    level: str
    version: PssVersion
    exclusions: tuple[Exclusion, ...] = ()

    @property
    def label(self) -> str:
        """``restricted:latest`` (as Kyverno's messages name the profile)."""
        return f"{self.level}:{self.version}"


def _strings(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str | int | bool) for x in raw):
        raise HardhullError(f"{where} must be a list of strings")
    return tuple(str(x).lower() if isinstance(x, bool) else str(x) for x in raw)


def _exclusion(raw: Any, i: int) -> Exclusion:
    where = f"validate.podSecurity.exclude[{i}]"
    if not isinstance(raw, Mapping):
        raise HardhullError(f"{where} must be a map")
    unknown = sorted(set(raw) - {"controlName", "images", "restrictedField", "values"})
    if unknown:
        raise HardhullError(f"{where}: unknown field(s) {', '.join(unknown)}")
    control = raw.get("controlName")
    if not isinstance(control, str) or control not in CONTROLS:
        raise HardhullError(
            f"{where}.controlName {control!r} is not a Pod Security Standards control "
            f"(one of: {', '.join(sorted(CONTROLS))})"
        )
    images = _strings(raw.get("images"), f"{where}.images")
    if control in CONTAINER_LEVEL and not images:
        raise HardhullError(f"{where}: images must be set for the container-level {control}")
    if control in POD_LEVEL and images:
        raise HardhullError(f"{where}: images must not be set for the pod-level {control}")
    field = raw.get("restrictedField")
    values = _strings(raw.get("values"), f"{where}.values")
    if field is not None and not isinstance(field, str):
        raise HardhullError(f"{where}.restrictedField must be a string")
    field = field or ""
    if field and not values:
        raise HardhullError(f"{where}: values are required with restrictedField")
    if values and not field:
        raise HardhullError(f"{where}: restrictedField is required with values")
    if field:
        known = set().union(*(FIELDS.get(c, frozenset()) for c in CONTROLS[control]))
        if field not in known:
            raise HardhullError(f"{where}.restrictedField {field!r} is not a field of {control}")
        if images and not field.startswith(("spec.containers", "spec.initContainers", "spec.eph")):
            raise HardhullError(f"{where}: with images, restrictedField must be a container field")
        if not images and field.startswith(("spec.containers", "spec.initContainers", "spec.eph")):
            raise HardhullError(f"{where}: a container restrictedField needs images")
    return Exclusion(str(control), images, field, values)


def compile_block(block: Any) -> PodSecurity:
    """``validate.podSecurity`` -> :class:`PodSecurity`; raises :class:`HardhullError`
    for malformed or unsupported content."""
    if not isinstance(block, Mapping):
        raise HardhullError("validate.podSecurity must be a map")
    unknown = sorted(set(block) - {"level", "version", "exclude"})
    if unknown:
        raise HardhullError(f"validate.podSecurity: unknown field(s) {', '.join(unknown)}")
    level = block.get("level")
    if level not in LEVELS:
        raise HardhullError(
            f"validate.podSecurity.level must be one of {', '.join(LEVELS)}, not {level!r}"
        )
    raw_version = block.get("version")
    try:
        version = parse_version("latest" if raw_version in (None, "") else str(raw_version))
    except PssVersionError as exc:
        raise HardhullError(f"validate.podSecurity.version: {exc}") from exc
    excludes = block.get("exclude")
    if excludes is not None and not isinstance(excludes, list):
        raise HardhullError("validate.podSecurity.exclude must be a list")
    exclusions = tuple(_exclusion(raw, i) for i, raw in enumerate(excludes or []))
    return PodSecurity(str(level), version, exclusions)


@dataclass(frozen=True, slots=True)
class _Failure:
    check_id: str
    reason: str
    detail: str
    remaining: tuple[Violation, ...]


def _describe(f: _Failure) -> str:
    control = _CONTROL_OF.get(f.check_id, f.check_id)
    fields = ", ".join(v.describe() for v in f.remaining)
    text = f"{control} ({f.check_id}): {f.reason}: {f.detail}"
    return f"({text}; fields: {fields})" if fields else f"({text})"


def failures(rule: PodSecurity, meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[str]:
    """The violated controls that no exclusion exempts, one description each."""
    out: list[_Failure] = []
    for result in evaluate_pod(meta, spec, rule.level, rule.version):
        if result.allowed:
            continue
        found = violations(result.check_id, meta, spec, rule.version)
        remaining = tuple(v for v in found if not any(e.exempts(v) for e in rule.exclusions))
        if found and not remaining:
            continue  # every forbidden field is exempted
        out.append(
            _Failure(result.check_id, result.forbidden_reason, result.forbidden_detail, remaining)
        )
    return [_describe(f) for f in out]


def evaluate(rule: PodSecurity, resource: Any) -> tuple[Result, str]:
    """(pass|fail|error, message) for a Pod or a Pod controller."""
    parts = pod_spec_of(resource) if isinstance(resource, Mapping) else None
    if parts is None:
        kind = resource.get("kind") if isinstance(resource, Mapping) else None
        return Result.ERROR, f"podSecurity: a {kind or 'resource'} has no pod spec"
    found = failures(rule, *parts)
    if not found:
        return Result.PASS, ""
    return Result.FAIL, f'It violates PodSecurity "{rule.label}": ' + " ".join(found)
