"""The admission server's configuration: a YAML file, checked strictly at load time.

Example::

    listen: {address: 0.0.0.0, port: 8443}
    tls: {cert: /tls/tls.crt, key: /tls/tls.key}
    policies: [/policies]              # files/directories for the policy loader
    params: [/params]                  # parameter objects for paramRef (also: non-policy
                                       # objects found under `policies`)
    builtin:
      pss: restricted                  # baseline | restricted | null
      pss_version: latest
      allowed_registries: [ghcr.io/acme, registry.example.com]
      require_digest: false
      vulnerability_gate:              # images' latest `hardhull scan image --format json`
        reports: /var/lib/hardhull/scans   # the scan-results cache directory
        severity: high                 # threshold: critical | high | medium | low | ...
        fixable_only: true             # count only findings with fixed_versions
        unscanned: deny                # deny | allow-audit | scan (never-scanned images)
        # with unscanned: scan, images are scanned on demand into `reports`:
        # scan_workers: 2, scan_queue: 32, scan_timeout_s: 300, scan_retry_s: 600,
        # scan_wait_ms: 0 (at most half of budget_ms), while_scanning: deny (| allow-audit),
        # db: /var/lib/hardhull/vulndb.sqlite, scan_source: registry (| podman | docker),
        # insecure_registries: [registry.local:5000], docker_config: /auth/config.json
        action: deny                   # deny | warn
        exemptions:
          - images: [ghcr.io/acme/legacy*]     # globs; and/or advisories
            advisories: [CVE-2023-4911]
            reason: patched kernel-side, ticket SEC-12
            expires: 2026-03-31
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
    worker_recycle: {max_rss_mb: 1024, max_requests: 0}  # replace a worker past either (0: off)
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import yaml

from hardhull.errors import HardhullError
from hardhull.model import Severity
from hardhull.policy.base import Action
from hardhull.policy.vulngate import (
    ScanSettings,
    Unscanned,
    VulnExemption,
    VulnGateError,
    VulnGateOptions,
    WhileScanning,
)
from hardhull.policy.vulngate_scan import SOURCES

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
    param_paths: tuple[Path, ...] = ()
    pss: str | None = "restricted"
    pss_version: str = "latest"
    allowed_registries: tuple[str, ...] | None = None
    require_digest: bool = False
    vuln_gate: VulnGateOptions | None = None
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
    # A worker past either bound is replaced by a fresh one (0: no bound). The CEL binding
    # leaks every argument of a Python-implemented function (see docs/policy.md), so the
    # RSS bound is what keeps a long-running server's memory bounded.
    recycle_rss_mb: int = 1024
    recycle_requests: int = 0


_BUILTIN = frozenset(
    {"pss", "pss_version", "allowed_registries", "require_digest", "vulnerability_gate"}
)
_TOP = frozenset(
    {
        "listen", "tls", "policies", "params", "builtin", "default_mode", "modes", "exemptions",
        "self_namespace", "failure_policy", "budget_ms", "audit_log", "max_request_bytes",
        "worker_recycle",
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


def _number(value: object, where: str, *, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        value = None
    if value is None or value < 0 or (positive and value == 0):
        raise ConfigError(f"{where} must be a {'positive' if positive else '>= 0'} number")
    return float(value)


def _path(value: object, where: str, base: Path) -> Path | None:
    """An optional path; relative ones are relative to ``base``."""
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where} must be a path")
    return base / value


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


#: The on-demand scan options (flat, next to the gate's other options).
_SCAN_KEYS = frozenset(
    {
        "scan_workers", "scan_queue", "scan_timeout_s", "scan_retry_s", "scan_wait_ms",
        "while_scanning", "db", "scan_source", "insecure_registries", "docker_config",
    }
)  # fmt: skip
_GATE_KEYS = (
    frozenset({"reports", "severity", "fixable_only", "unscanned", "action", "exemptions"})
    | _SCAN_KEYS
)
_GATE_EX_KEYS = frozenset({"images", "advisories", "reason", "expires"})


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false")
    return value


def _gate_exemption(item: object, where: str) -> VulnExemption:
    entry = _map(item, where)
    unknown = set(entry) - _GATE_EX_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
    images = _strs(entry.get("images"), f"{where}.images")
    advisories = _strs(entry.get("advisories"), f"{where}.advisories")
    if not images and not advisories:
        raise ConfigError(f"{where} needs images and/or advisories (it would exempt everything)")
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ConfigError(f"{where}.reason must be a non-empty string")
    expires = entry.get("expires")
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError:
            expires = None
    if not isinstance(expires, dt.date) or isinstance(expires, dt.datetime):
        raise ConfigError(f"{where}.expires must be a date (YYYY-MM-DD)")
    return VulnExemption(reason.strip(), images, frozenset(advisories), expires)


def _scan_settings(
    gate: Mapping[str, Any], where: str, base: Path, budget_ms: float
) -> ScanSettings:
    """The on-demand scan options of ``gate`` (``where``); ``scan_wait_ms`` defaults to 0
    and may be at most half of the latency budget ``budget_ms``."""
    d = ScanSettings()
    wait_ms = _number(gate.get("scan_wait_ms", 0), f"{where}.scan_wait_ms", positive=False)
    if wait_ms > budget_ms / 2:
        raise ConfigError(
            f"{where}.scan_wait_ms: {wait_ms:g} is more than half of budget_ms "
            f"({budget_ms:g}); the other policies need the rest of the latency budget"
        )
    registries = gate.get("insecure_registries")
    registries = [] if registries is None else registries
    if not isinstance(registries, list) or not all(isinstance(r, str) for r in registries):
        raise ConfigError(f"{where}.insecure_registries must be a list of registry hosts")
    while_scanning = _enum(
        WhileScanning, gate.get("while_scanning", d.while_scanning.value), f"{where}.while_scanning"
    )
    workers = _int(gate.get("scan_workers", d.workers), f"{where}.scan_workers", 1)
    timeout_s = _number(
        gate.get("scan_timeout_s", d.timeout_s), f"{where}.scan_timeout_s", positive=True
    )
    db = _path(gate.get("db"), f"{where}.db", base)
    source = gate.get("scan_source", d.source)
    if not isinstance(source, str) or source not in SOURCES:
        raise ConfigError(f"{where}.scan_source: {source!r} is not one of {', '.join(SOURCES)}")
    return ScanSettings(
        workers=workers,
        timeout_s=timeout_s,
        wait_ms=wait_ms,
        while_scanning=while_scanning,
        db=db,
        source=source,
        insecure_registries=tuple(registries),
        docker_config=_path(gate.get("docker_config"), f"{where}.docker_config", base),
        max_queue=_int(gate.get("scan_queue", d.max_queue), f"{where}.scan_queue", 1),
        retry_after_s=_number(
            gate.get("scan_retry_s", d.retry_after_s), f"{where}.scan_retry_s", positive=True
        ),
    )


def _vuln_gate(value: object, base: Path, budget_ms: float) -> VulnGateOptions | None:
    """``builtin.vulnerability_gate``; relative paths are relative to ``base``; an
    on-demand scan's wait must leave most of ``budget_ms`` to the other policies."""
    where = "builtin.vulnerability_gate"
    if value is None:
        return None
    gate = _map(value, where)
    unknown = set(gate) - _GATE_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
    reports = gate.get("reports")
    if not isinstance(reports, str) or not reports:
        raise ConfigError(f"{where}.reports must be the scan reports directory")
    action = _enum(Action, gate.get("action", "deny"), f"{where}.action")
    if action is Action.AUDIT:
        raise ConfigError(f"{where}.action: 'audit' is not one of deny, warn")
    raw_ex = gate.get("exemptions")
    raw_ex = [] if raw_ex is None else raw_ex
    if not isinstance(raw_ex, list):
        raise ConfigError(f"{where}.exemptions must be a list")
    unscanned = _enum(Unscanned, gate.get("unscanned", "deny"), f"{where}.unscanned")
    scan_keys = sorted(set(gate) & _SCAN_KEYS)
    if scan_keys and unscanned is not Unscanned.SCAN:
        raise ConfigError(
            f"{where}: {', '.join(scan_keys)} only apply with unscanned: scan "
            f"(unscanned is {unscanned.value})"
        )
    try:
        return VulnGateOptions(
            reports=base / reports,
            severity=_enum(Severity, gate.get("severity", "high"), f"{where}.severity"),
            fixable_only=_bool(gate.get("fixable_only", True), f"{where}.fixable_only"),
            unscanned=unscanned,
            action=action,
            exemptions=tuple(
                _gate_exemption(item, f"{where}.exemptions[{i}]") for i, item in enumerate(raw_ex)
            ),
            scan=_scan_settings(gate, where, base, budget_ms)
            if unscanned is Unscanned.SCAN
            else ScanSettings(),
        )
    except VulnGateError as exc:
        raise ConfigError(f"{where}.{exc.message}") from None


def parse_config(doc: object, base: Path) -> AdmissionConfig:
    """Validate a decoded configuration; relative paths are relative to ``base``."""
    top = _map(doc, "configuration")
    unknown = set(top) - _TOP
    if unknown:
        raise ConfigError(f"unknown configuration keys {sorted(unknown)}")

    listen = _map(top.get("listen"), "listen")
    tls = _map(top.get("tls"), "tls")
    builtin = _map(top.get("builtin"), "builtin")
    audit = _map(top.get("audit_log"), "audit_log")
    unknown = set(builtin) - _BUILTIN
    if unknown:
        raise ConfigError(f"builtin: unknown keys {sorted(unknown)}")
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
    budget = _number(top.get("budget_ms", 200), "budget_ms", positive=True)
    default_mode = top.get("default_mode")
    recycle = _map(top.get("worker_recycle"), "worker_recycle")
    unknown = set(recycle) - {"max_rss_mb", "max_requests"}
    if unknown:
        raise ConfigError(f"worker_recycle: unknown keys {sorted(unknown)}")
    return AdmissionConfig(
        address=str(listen.get("address", "0.0.0.0")),
        port=_int(listen.get("port", 8443), "listen.port", 0),
        cert=_path(tls.get("cert"), "tls.cert", base),
        key=_path(tls.get("key"), "tls.key", base),
        policy_paths=tuple(base / p for p in _strs(top.get("policies"), "policies")),
        param_paths=tuple(base / p for p in _strs(top.get("params"), "params")),
        pss=pss,
        pss_version=str(builtin.get("pss_version", "latest")),
        allowed_registries=(
            None if registries is None else _strs(registries, "builtin.allowed_registries")
        ),
        require_digest=bool(builtin.get("require_digest", False)),
        vuln_gate=_vuln_gate(builtin.get("vulnerability_gate"), base, budget),
        default_mode=None if default_mode is None else _enum(Mode, default_mode, "default_mode"),
        modes=modes,
        exemptions=tuple(_exemption(item, i) for i, item in enumerate(raw_ex)),
        self_namespace=str(top.get("self_namespace", "hardhull-system")),
        failure_policy=_enum(
            FailurePolicy, top.get("failure_policy", "fail-closed"), "failure_policy"
        ),
        budget_ms=budget,
        audit_log=_path(audit.get("path"), "audit_log.path", base),
        audit_max_bytes=_int(audit.get("max_bytes", 10 * 1024 * 1024), "audit_log.max_bytes", 1024),
        audit_backups=_int(audit.get("backups", 3), "audit_log.backups", 0),
        max_request_bytes=_int(
            top.get("max_request_bytes", 3 * 1024 * 1024), "max_request_bytes", 1024
        ),
        recycle_rss_mb=_int(recycle.get("max_rss_mb", 1024), "worker_recycle.max_rss_mb", 0),
        recycle_requests=_int(recycle.get("max_requests", 0), "worker_recycle.max_requests", 0),
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
