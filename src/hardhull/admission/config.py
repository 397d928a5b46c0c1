"""The admission server's configuration: a YAML file, checked strictly at load time.

Example::

    listen: {address: 0.0.0.0, port: 8443}
    tls: {cert: /tls/tls.crt, key: /tls/tls.key}
    policies: [/policies]              # files/directories for the policy loader
    builtin:
      pss: restricted                  # baseline | restricted | null
      pss_version: latest
      allowed_registries: [ghcr.io/acme, registry.example.com]
      require_digest: false
    default_mode: null                 # enforce | warn | audit (null: the policy's own)
    modes: {allowed-registries: warn}  # per policy, overrides the policy and default
    exemptions:
      - namespaces: [kube-system]
      - labels: {hardhull.io/exempt: "true"}
        policies: [require-image-digest]
    self_namespace: hardhull-system
    failure_policy: fail-closed        # or fail-open
    budget_ms: 200
    audit_log: {path: /var/log/hardhull/admission.jsonl, max_bytes: 10485760, backups: 3}
    max_request_bytes: 3145728
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import yaml

from hardhull.errors import HardhullError
from hardhull.policy.base import Action

_E = TypeVar("_E", bound=StrEnum)


class ConfigError(HardhullError):
    """The admission configuration file is wrong."""


class Mode(StrEnum):
    """What a policy's failures do: deny the request, warn the client, or only audit."""

    ENFORCE = "enforce"
    WARN = "warn"
    AUDIT = "audit"

    @classmethod
    def from_action(cls, action: Action) -> Mode:
        """The mode a policy asks for through its rules' action."""
        if action is Action.WARN:
            return cls.WARN
        if action is Action.AUDIT:
            return cls.AUDIT
        return cls.ENFORCE


class FailurePolicy(StrEnum):
    """What happens when evaluation fails or runs out of time."""

    FAIL_OPEN = "fail-open"
    FAIL_CLOSED = "fail-closed"


@dataclass(frozen=True, slots=True)
class Exemption:
    """Requests in ``namespaces`` (globs) or whose object carries all ``labels`` are
    exempt from ``policies`` (every policy when empty). An exemption with neither
    namespaces nor labels exempts nothing."""

    namespaces: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    policies: frozenset[str] = frozenset()

    def covers(self, namespace: str, labels: Mapping[str, Any]) -> bool:
        """Whether this exemption matches a request's namespace or object labels."""
        if self.namespaces and any(fnmatch.fnmatchcase(namespace, p) for p in self.namespaces):
            return True
        return bool(self.labels) and all(labels.get(k) == v for k, v in self.labels)


@dataclass(frozen=True)
class AdmissionConfig:
    """Everything ``hardhull admission serve`` needs."""

    address: str = "0.0.0.0"
    port: int = 8443
    cert: Path | None = None
    key: Path | None = None
    policy_paths: tuple[Path, ...] = ()
    pss: str | None = "restricted"
    pss_version: str = "latest"
    allowed_registries: tuple[str, ...] | None = None
    require_digest: bool = False
    default_mode: Mode | None = None
    modes: Mapping[str, Mode] = field(default_factory=dict)
    exemptions: tuple[Exemption, ...] = ()
    self_namespace: str = "hardhull-system"
    failure_policy: FailurePolicy = FailurePolicy.FAIL_CLOSED
    budget_ms: float = 200.0
    audit_log: Path | None = None
    audit_max_bytes: int = 10 * 1024 * 1024
    audit_backups: int = 3
    max_request_bytes: int = 3 * 1024 * 1024


_TOP = frozenset(
    {
        "listen", "tls", "policies", "builtin", "default_mode", "modes", "exemptions",
        "self_namespace", "failure_policy", "budget_ms", "audit_log", "max_request_bytes",
    }
)  # fmt: skip


def _map(value: object, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a mapping")
    return value


def _strs(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings")
    return tuple(value)


def _enum(cls: type[_E], value: object, where: str) -> _E:
    try:
        return cls(str(value))
    except ValueError:
        choices = ", ".join(m.value for m in cls)
        raise ConfigError(f"{where}: {value!r} is not one of {choices}") from None


def _int(value: object, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{where} must be an integer >= {minimum}")
    return value


def _exemption(item: object, i: int) -> Exemption:
    where = f"exemptions[{i}]"
    entry = _map(item, where)
    unknown = set(entry) - {"namespaces", "labels", "policies"}
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
    labels = _map(entry.get("labels"), f"{where}.labels")
    if not all(isinstance(v, str) for v in labels.values()):
        raise ConfigError(f"{where}.labels values must be strings")
    return Exemption(
        _strs(entry.get("namespaces"), f"{where}.namespaces"),
        tuple(sorted((str(k), str(v)) for k, v in labels.items())),
        frozenset(_strs(entry.get("policies"), f"{where}.policies")),
    )


def parse_config(doc: object, base: Path) -> AdmissionConfig:
    """Validate a decoded configuration; relative paths are relative to ``base``."""
    top = _map(doc, "configuration")
    unknown = set(top) - _TOP
    if unknown:
        raise ConfigError(f"unknown configuration keys {sorted(unknown)}")

    def path(value: object, where: str) -> Path | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where} must be a path")
        return base / value

    listen = _map(top.get("listen"), "listen")
    tls = _map(top.get("tls"), "tls")
    builtin = _map(top.get("builtin"), "builtin")
    audit = _map(top.get("audit_log"), "audit_log")
    pss = builtin.get("pss", "restricted")
    if pss not in (None, "baseline", "restricted", "privileged"):
        raise ConfigError(f"builtin.pss: {pss!r} is not baseline, restricted or null")
    registries = builtin.get("allowed_registries")
    modes = {
        str(k): _enum(Mode, v, f"modes.{k}") for k, v in _map(top.get("modes"), "modes").items()
    }
    raw_ex = top.get("exemptions") or []
    if not isinstance(raw_ex, list):
        raise ConfigError("exemptions must be a list")
    budget = top.get("budget_ms", 200)
    if isinstance(budget, bool) or not isinstance(budget, int | float) or budget <= 0:
        raise ConfigError("budget_ms must be a positive number")
    default_mode = top.get("default_mode")
    return AdmissionConfig(
        address=str(listen.get("address", "0.0.0.0")),
        port=_int(listen.get("port", 8443), "listen.port", 0),
        cert=path(tls.get("cert"), "tls.cert"),
        key=path(tls.get("key"), "tls.key"),
        policy_paths=tuple(base / p for p in _strs(top.get("policies"), "policies")),
        pss=pss,
        pss_version=str(builtin.get("pss_version", "latest")),
        allowed_registries=(
            None if registries is None else _strs(registries, "builtin.allowed_registries")
        ),
        require_digest=bool(builtin.get("require_digest", False)),
        default_mode=None if default_mode is None else _enum(Mode, default_mode, "default_mode"),
        modes=modes,
        exemptions=tuple(_exemption(item, i) for i, item in enumerate(raw_ex)),
        self_namespace=str(top.get("self_namespace", "hardhull-system")),
        failure_policy=_enum(
            FailurePolicy, top.get("failure_policy", "fail-closed"), "failure_policy"
        ),
        budget_ms=float(budget),
        audit_log=path(audit.get("path"), "audit_log.path"),
        audit_max_bytes=_int(audit.get("max_bytes", 10 * 1024 * 1024), "audit_log.max_bytes", 1024),
        audit_backups=_int(audit.get("backups", 3), "audit_log.backups", 0),
        max_request_bytes=_int(
            top.get("max_request_bytes", 3 * 1024 * 1024), "max_request_bytes", 1024
        ),
    )


def load_config(path: Path) -> AdmissionConfig:
    """Read and validate a YAML configuration file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read configuration {path}: {exc.strerror}") from None
    try:
        doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise ConfigError(f"configuration {path} is not valid YAML: {exc}") from None
    try:
        return parse_config(doc, path.parent)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc.message}") from None
