"""The on-demand scan options of the vulnerability gate, read from a configuration map.

The keys (flat, next to the gate's other options): ``scan_workers``, ``scan_queue``,
``scan_timeout_s``, ``scan_retry_s``, ``scan_wait_ms``, ``while_scanning``, ``db``,
``scan_source``, ``insecure_registries``, ``docker_config``. Errors are
:class:`~hardhull.policy.vulngate_reports.VulnGateError` whose message starts with the
key, so callers can prefix where the map came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hardhull.policy.vulngate_reports import VulnGateError
from hardhull.policy.vulngate_scan import SOURCES, ScanSettings, WhileScanning

SCAN_KEYS = frozenset(
    {
        "scan_workers", "scan_queue", "scan_timeout_s", "scan_retry_s", "scan_wait_ms",
        "while_scanning", "db", "scan_source", "insecure_registries", "docker_config",
    }
)  # fmt: skip


def _number(value: object, key: str, *, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        value = None
    if value is None or value < 0 or (positive and value == 0):
        raise VulnGateError(f"{key} must be a {'positive' if positive else '>= 0'} number")
    return float(value)


def _int(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise VulnGateError(f"{key} must be an integer >= 1")
    return value


def _path(value: object, key: str, base: Path) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise VulnGateError(f"{key} must be a path")
    return base / value


def _choice(value: object, key: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise VulnGateError(f"{key}: {value!r} is not one of {', '.join(choices)}")
    return value


def scan_settings(gate: Mapping[str, Any], base: Path, budget_ms: float) -> ScanSettings:
    """:class:`ScanSettings` from ``gate``; relative paths are relative to ``base``.
    ``scan_wait_ms`` defaults to 0 and may be at most half of the latency budget
    ``budget_ms`` (an evaluation that waits for its scans to finish is built from Python
    with ``ScanSettings(wait_ms=None)``)."""
    d = ScanSettings()
    wait_ms = _number(gate.get("scan_wait_ms", 0), "scan_wait_ms", positive=False)
    if wait_ms > budget_ms / 2:
        raise VulnGateError(
            f"scan_wait_ms: {wait_ms:g} is more than half of budget_ms ({budget_ms:g}); "
            "the other policies need the rest of the latency budget"
        )
    registries = gate.get("insecure_registries")
    registries = [] if registries is None else registries
    if not isinstance(registries, list) or not all(isinstance(r, str) for r in registries):
        raise VulnGateError("insecure_registries must be a list of registry hosts")
    answer = _choice(
        gate.get("while_scanning", d.while_scanning.value),
        "while_scanning",
        tuple(w.value for w in WhileScanning),
    )
    return ScanSettings(
        workers=_int(gate.get("scan_workers", d.workers), "scan_workers"),
        timeout_s=_number(gate.get("scan_timeout_s", d.timeout_s), "scan_timeout_s", positive=True),
        wait_ms=wait_ms,
        while_scanning=WhileScanning(answer),
        db=_path(gate.get("db"), "db", base),
        source=_choice(gate.get("scan_source", d.source), "scan_source", SOURCES),
        insecure_registries=tuple(registries),
        docker_config=_path(gate.get("docker_config"), "docker_config", base),
        max_queue=_int(gate.get("scan_queue", d.max_queue), "scan_queue"),
        retry_after_s=_number(
            gate.get("scan_retry_s", d.retry_after_s), "scan_retry_s", positive=True
        ),
    )
