"""Built-in policies: Pod Security Standards levels and image policies.

Each built-in is a :class:`~hardhull.policy.base.Policy`: it applies to objects that run
pods (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job,
CronJob) on CREATE and UPDATE, and returns one :class:`RuleResult` per rule.

- :class:`PssPolicy`: the posture PSS evaluator at ``baseline`` or ``restricted``, one
  result per PSA check (``pass`` or ``fail`` with PSA's forbidden reason and detail).
- :class:`AllowedRegistriesPolicy`: every container image comes from an allowed
  registry (host, host/path prefix or ``*.domain`` wildcard).
- :class:`DigestRequiredPolicy`: every container image is pinned by digest.
- :class:`~hardhull.policy.vulngate.VulnGatePolicy`: no image whose latest scan has
  serious vulnerabilities (see :mod:`hardhull.policy.vulngate`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hardhull.policy.base import (
    Action,
    AdmissionInput,
    Result,
    RuleResult,
    SourcePos,
    container_images,
)
from hardhull.policy.vulngate import VulnGateOptions, VulnGatePolicy
from hardhull.posture.checks.images import parse_image, registry_allowed
from hardhull.posture.pss import evaluate_pod, parse_version, pod_spec_of
from hardhull.posture.pss.version import PssVersion

BUILTIN_KIND = "Builtin"
_POS = SourcePos("<builtin>")
_OPERATIONS = frozenset({"CREATE", "UPDATE"})


def _pod_parts(inp: AdmissionInput) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
    if inp.operation not in _OPERATIONS or inp.obj is None:
        return None
    return pod_spec_of(inp.obj)


@dataclass(frozen=True)
class PssPolicy:
    """A Pod Security Standards level as a policy (``pss-baseline``/``pss-restricted``)."""

    level: str = "restricted"
    version: PssVersion | str = "latest"
    action: Action = Action.DENY
    # The pass result of each check: it names no resource, so one object serves all.
    _passes: dict[str, RuleResult] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if self.level not in ("baseline", "restricted"):
            raise ValueError(f"PSS level must be baseline or restricted, not {self.level!r}")
        object.__setattr__(self, "version", parse_version(str(self.version)))

    @property
    def name(self) -> str:
        """``pss-<level>``."""
        return f"pss-{self.level}"

    def _pass(self, check_id: str) -> RuleResult:
        hit = self._passes.get(check_id)
        if hit is None:
            hit = RuleResult(self.name, check_id, Result.PASS, action=self.action)
            self._passes[check_id] = hit
        return hit

    @property
    def kind(self) -> str:
        """Always ``Builtin``."""
        return BUILTIN_KIND

    @property
    def pos(self) -> SourcePos:
        """Built-ins come from no file."""
        return _POS

    def applies_to(self, inp: AdmissionInput) -> bool:
        """Objects with a pod spec, on CREATE and UPDATE."""
        return _pod_parts(inp) is not None

    def evaluate(self, inp: AdmissionInput) -> Sequence[RuleResult]:
        """One result per PSS check in force at the policy's level and version."""
        parts = _pod_parts(inp)
        if parts is None:
            return ()
        meta, spec = parts
        out: list[RuleResult] = []
        for res in evaluate_pod(meta, spec, self.level, self.version):
            if res.allowed:
                out.append(self._pass(res.check_id))
            else:
                msg = res.forbidden_reason
                if res.forbidden_detail:
                    msg += f" ({res.forbidden_detail})"
                out.append(
                    RuleResult(
                        self.name,
                        res.check_id,
                        Result.FAIL,
                        message=msg,
                        action=self.action,
                        resource=inp.ref,
                        category="Pod Security Standards",
                    )
                )
        return out


class _ImageRule:
    """Shared shape of the image built-ins: one rule over every container image of a pod
    or pod template; subclasses say which images violate it and how to word that."""

    NAME: ClassVar[str]
    RULE: ClassVar[str]
    action: Action

    @property
    def name(self) -> str:
        """The policy name."""
        return self.NAME

    @property
    def kind(self) -> str:
        """Always ``Builtin``."""
        return BUILTIN_KIND

    @property
    def pos(self) -> SourcePos:
        """Built-ins come from no file."""
        return _POS

    def applies_to(self, inp: AdmissionInput) -> bool:
        """Objects with a pod spec, on CREATE and UPDATE."""
        return _pod_parts(inp) is not None

    def _violates(self, image: str) -> bool:
        raise NotImplementedError

    def _message(self, bad: list[str]) -> str:
        raise NotImplementedError

    def evaluate(self, inp: AdmissionInput) -> Sequence[RuleResult]:
        """One result listing every offending image (``where: image``)."""
        parts = _pod_parts(inp)
        if parts is None:
            return ()
        bad = [
            f"{where}: {image or '<no image>'}"
            for where, image in container_images(parts[1])
            if not image or self._violates(image)
        ]
        if not bad:
            return (RuleResult(self.NAME, self.RULE, Result.PASS, action=self.action),)
        return (
            RuleResult(
                self.NAME,
                self.RULE,
                Result.FAIL,
                message=self._message(bad),
                action=self.action,
                resource=inp.ref,
                category="Images",
            ),
        )


@dataclass(frozen=True)
class AllowedRegistriesPolicy(_ImageRule):
    """Container images must come from one of ``registries``."""

    NAME: ClassVar[str] = "allowed-registries"
    RULE: ClassVar[str] = "registry"
    registries: tuple[str, ...]
    action: Action = Action.DENY

    def _violates(self, image: str) -> bool:
        return not registry_allowed(parse_image(image), self.registries)

    def _message(self, bad: list[str]) -> str:
        allowed = ", ".join(self.registries) or "<none>"
        return f"images from registries not allowed ({allowed}): {', '.join(bad)}"


@dataclass(frozen=True)
class DigestRequiredPolicy(_ImageRule):
    """Container images must be pinned by ``@sha256:`` digest."""

    NAME: ClassVar[str] = "require-image-digest"
    RULE: ClassVar[str] = "digest"
    action: Action = Action.DENY

    def _violates(self, image: str) -> bool:
        return not (parse_image(image).digest or "").startswith("sha256:")

    def _message(self, bad: list[str]) -> str:
        return f"images not pinned by digest: {', '.join(bad)}"


BuiltinPolicy = PssPolicy | AllowedRegistriesPolicy | DigestRequiredPolicy | VulnGatePolicy


def builtin_policies(
    *,
    pss: str | None = "restricted",
    pss_version: str = "latest",
    allowed_registries: Sequence[str] | None = None,
    require_digest: bool = False,
    vuln_gate: VulnGateOptions | None = None,
) -> tuple[BuiltinPolicy, ...]:
    """The built-ins a configuration asks for, in a stable order. ``vuln_gate`` reads
    its reports directory now (:class:`~hardhull.policy.vulngate.VulnGateError`)."""
    out: list[BuiltinPolicy] = []
    if pss and pss != "privileged":
        out.append(PssPolicy(pss, pss_version))
    if allowed_registries is not None:
        out.append(AllowedRegistriesPolicy(tuple(allowed_registries)))
    if require_digest:
        out.append(DigestRequiredPolicy())
    if vuln_gate is not None:
        out.append(VulnGatePolicy(vuln_gate))
    return tuple(out)
