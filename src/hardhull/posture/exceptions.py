"""Exceptions file: exempt resources from controls, with a reason and an expiry.

YAML shape::

    exceptions:
      - control: runAsNonRoot          # control / check id, or "*"
        kind: Deployment               # optional; each match field narrows
        name: legacy-*                 # optional, shell-style wildcards
        namespace: payments            # optional, wildcards
        labels: {team: core}           # optional, all must match
        reason: vendor image, ticket SEC-12
        expires: 2025-12-31            # optional, ISO date; after it the exception lapses

A matching unexpired exception turns a ``fail``/``warn`` finding into ``skip`` with
``suppressed`` set: it stays in the report. An expired one stops applying; the finding
keeps its status and its message says which exception lapsed.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from hardhull.errors import UsageError
from hardhull.model import Finding, Resource, Status, Suppression

_ACTIVE = (Status.FAIL, Status.WARN)
_FIELDS = {"control", "kind", "name", "namespace", "labels", "reason", "expires"}


@dataclass(frozen=True, slots=True)
class PostureException:
    """One exemption: which control, which resources, why, until when."""

    control: str
    reason: str
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    expires: dt.date | None = None
    source: str = ""

    def matches(self, finding: Finding, labels: Mapping[str, str]) -> bool:
        """True when this exemption covers ``finding`` (whose resource has ``labels``)."""
        ref = finding.resource
        if ref is None:
            return False
        if self.control != "*" and self.control != finding.rule_id:
            return False
        if self.kind is not None and self.kind != ref.kind:
            return False
        if self.name is not None and not fnmatch.fnmatchcase(ref.name, self.name):
            return False
        if self.namespace is not None and not fnmatch.fnmatchcase(
            ref.namespace or "", self.namespace
        ):
            return False
        return all(labels.get(k) == v for k, v in self.labels)


def _entry(raw: Any, where: str) -> PostureException:
    if not isinstance(raw, dict):
        raise UsageError(f"{where}: an exception must be a mapping")
    unknown = sorted(set(map(str, raw)) - _FIELDS)
    if unknown:
        raise UsageError(f"{where}: unknown field(s) {', '.join(unknown)}")
    control, reason = raw.get("control"), raw.get("reason")
    if not isinstance(control, str) or not control:
        raise UsageError(f"{where}: 'control' is required")
    if not isinstance(reason, str) or not reason.strip():
        raise UsageError(f"{where}: 'reason' is required")
    expires = raw.get("expires")
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError as exc:
            raise UsageError(f"{where}: 'expires' is not an ISO date: {expires!r}") from exc
    elif isinstance(expires, dt.datetime):
        expires = expires.date()
    elif expires is not None and not isinstance(expires, dt.date):
        raise UsageError(f"{where}: 'expires' is not an ISO date: {expires!r}")
    labels = raw.get("labels") or {}
    if not isinstance(labels, dict):
        raise UsageError(f"{where}: 'labels' must be a mapping")
    return PostureException(
        control=control,
        reason=reason.strip(),
        kind=str(raw["kind"]) if raw.get("kind") else None,
        name=str(raw["name"]) if raw.get("name") else None,
        namespace=str(raw["namespace"]) if raw.get("namespace") else None,
        labels=tuple(sorted((str(k), str(v)) for k, v in labels.items())),
        expires=expires,
        source=where,
    )


def load_exceptions(path: Path) -> tuple[PostureException, ...]:
    """Parse an exceptions file; raises :class:`UsageError` naming file and line."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read exceptions file ({exc.strerror})") from exc
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise UsageError(f"{path}:{line}: malformed YAML: {exc.problem}") from exc
    if node is None:
        return ()
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = data.get("exceptions") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise UsageError(f"{path}:1: expected a list under 'exceptions'")
    seq = node
    if isinstance(data, dict):
        seq = next(v for k, v in node.value if getattr(k, "value", None) == "exceptions")
    lines = [item.start_mark.line + 1 for item in getattr(seq, "value", [])]
    return tuple(
        _entry(raw, f"{path}:{lines[i] if i < len(lines) else 1}") for i, raw in enumerate(entries)
    )


def apply_exceptions(
    findings: Iterable[Finding],
    exceptions: Iterable[PostureException],
    resources: Iterable[Resource] = (),
    today: dt.date | None = None,
) -> list[Finding]:
    """Mark findings covered by an unexpired exception; note lapsed ones."""
    rules = tuple(exceptions)
    day = today or dt.date.today()
    labels = {r.ref: dict(r.labels) for r in resources}
    out: list[Finding] = []
    for finding in findings:
        if not rules or finding.status not in _ACTIVE or finding.resource is None:
            out.append(finding)
            continue
        res_labels = labels.get(finding.resource, {})
        hits = [r for r in rules if r.matches(finding, res_labels)]
        live = [r for r in hits if r.expires is None or r.expires >= day]
        if live:
            rule = live[0]
            out.append(
                replace(
                    finding,
                    status=Status.SKIP,
                    suppressed=Suppression(
                        kind="exception",
                        reason=rule.reason,
                        source=rule.source,
                        expires=rule.expires.isoformat() if rule.expires else None,
                    ),
                )
            )
        elif hits:
            lapsed = hits[0]
            note = f"exception {lapsed.source} expired on {lapsed.expires}; no longer applies"
            message = f"{finding.message} ({note})" if finding.message else note
            out.append(replace(finding, message=message))
        else:
            out.append(finding)
    return out


__all__ = ["PostureException", "apply_exceptions", "load_exceptions"]
