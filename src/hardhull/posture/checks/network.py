"""Network exposure: external Services, Ingresses without TLS, missing default-deny."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hardhull.model import Resource, ResourceRef, Status
from hardhull.posture.base import CheckResult, Control, PostureContext
from hardhull.posture.checks.common import finding, passed, passed_ref
from hardhull.posture.checks.podspec import (
    as_list,
    as_map,
    as_str,
    namespace_of,
    pod_spec,
)
from hardhull.posture.controls_k8s import EXPOSED_SERVICE, INGRESS_TLS, NO_DEFAULT_DENY


class ServiceTypeCheck:
    """HH-K8S-013 (warn): Services of type LoadBalancer or NodePort."""

    @property
    def controls(self) -> tuple[Control, ...]:
        return (EXPOSED_SERVICE,)

    def evaluate(self, resource: Resource, ctx: PostureContext) -> Iterable[CheckResult]:
        if resource.ref.kind != "Service":
            return []
        spec = as_map(resource.obj.get("spec"))
        kind = as_str(spec.get("type")) or "ClusterIP"
        if kind not in ("LoadBalancer", "NodePort"):
            return [passed(EXPOSED_SERVICE)]
        msg = f"{resource.ref.label()} is of type {kind}"
        ranges = [as_str(r) for r in as_list(spec.get("loadBalancerSourceRanges"))]
        if kind == "LoadBalancer" and ranges:
            msg += f" (source ranges {', '.join(ranges)})"
        return [finding(EXPOSED_SERVICE, resource.ref, Status.WARN, msg, path="spec.type")]


class IngressTlsCheck:
    """HH-K8S-014: Ingresses with no ``spec.tls`` or with hosts no TLS entry covers."""

    @property
    def controls(self) -> tuple[Control, ...]:
        return (INGRESS_TLS,)

    def evaluate(self, resource: Resource, ctx: PostureContext) -> Iterable[CheckResult]:
        if resource.ref.kind != "Ingress":
            return []
        spec = as_map(resource.obj.get("spec"))
        tls = [as_map(t) for t in as_list(spec.get("tls"))]
        label = resource.ref.label()
        if not tls:
            msg = f"{label} has no TLS section; traffic is served in clear text"
            return [finding(INGRESS_TLS, resource.ref, Status.FAIL, msg, path="spec.tls")]
        covered = {as_str(h) for t in tls for h in as_list(t.get("hosts"))}
        out: list[CheckResult] = []
        for i, rule in enumerate(as_list(spec.get("rules"))):
            host = as_str(as_map(rule).get("host"))
            if host and host not in covered and not _wildcard_covers(covered, host):
                msg = f"{label} host {host} is not covered by any TLS entry"
                out.append(
                    finding(INGRESS_TLS, resource.ref, Status.FAIL, msg, path=f"spec.rules[{i}]")
                )
        return out or [passed(INGRESS_TLS)]


def _wildcard_covers(covered: set[str], host: str) -> bool:
    _, dot, parent = host.partition(".")
    return bool(dot) and f"*.{parent}" in covered


def is_default_deny_ingress(policy: Mapping[str, Any]) -> bool:
    """An empty ``podSelector``, ``Ingress`` among the policy types, no ingress rules."""
    spec = as_map(policy.get("spec"))
    selector = spec.get("podSelector")
    if not isinstance(selector, Mapping) or any(
        selector.get(k) for k in ("matchLabels", "matchExpressions")
    ):
        return False
    types = [as_str(t) for t in as_list(spec.get("policyTypes"))]
    if not types:
        types = ["Ingress"]  # the API server's default when policyTypes is omitted
    return "Ingress" in types and not as_list(spec.get("ingress"))


class DefaultDenyCheck:
    """HH-K8S-015: every namespace that runs workloads has a default-deny ingress policy.

    Workloads without a namespace are counted in ``default``. The finding's resource is
    the Namespace object when the input has it, else a reference to the namespace by name.
    """

    @property
    def controls(self) -> tuple[Control, ...]:
        return (NO_DEFAULT_DENY,)

    def evaluate_all(self, ctx: PostureContext) -> Iterable[CheckResult]:
        workloads: dict[str, list[Resource]] = {}
        denied: set[str] = set()
        namespaces: dict[str, ResourceRef] = {}
        for r in ctx.resources:
            kind = r.ref.kind
            if kind == "Namespace":
                namespaces[r.ref.name] = r.ref
            elif kind == "NetworkPolicy":
                if is_default_deny_ingress(r.obj):
                    denied.add(namespace_of(r) or "default")
            elif kind != "PodTemplate" and pod_spec(r) is not None:
                workloads.setdefault(namespace_of(r) or "default", []).append(r)
        out: list[CheckResult] = []
        for ns in sorted(workloads):
            ref = namespaces.get(ns) or ResourceRef("Namespace", ns, api_version="v1")
            if ns in denied:
                msg = f"namespace {ns} has a default-deny ingress NetworkPolicy"
                out.append(passed_ref(NO_DEFAULT_DENY, ref, msg))
                continue
            names = sorted(w.ref.label() for w in workloads[ns])
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            msg = f"namespace {ns} runs {shown} but has no default-deny ingress NetworkPolicy"
            out.append(
                finding(
                    NO_DEFAULT_DENY,
                    ref,
                    Status.FAIL,
                    msg,
                    evidence=(("workloads", str(len(names))),),
                )
            )
        return out
