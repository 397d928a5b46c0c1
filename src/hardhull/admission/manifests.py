"""Kubernetes manifests to run the webhook: Deployment, Service, TLS Secret (or a
cert-manager Certificate), ConfigMap and the webhook configurations.

The webhook never sees its own namespace (``namespaceSelector`` excludes it), so a
broken webhook cannot stop its own repair.
"""

from __future__ import annotations

import base64
from typing import Any

import yaml

from hardhull.admission.certs import make_ca, make_serving_cert, service_dns_names

NAME = "hardhull"
IMAGE = "ghcr.io/hardhull/hardhull:latest"
MEMORY_LIMIT = "512Mi"
RECYCLE_RSS_MB = 320  # a worker past this is replaced (see admission.recycle)
_RULES = [
    {
        "apiGroups": ["", "apps", "batch"],
        "apiVersions": ["v1"],
        "operations": ["CREATE", "UPDATE"],
        "resources": [
            "pods", "deployments", "statefulsets", "daemonsets", "replicasets",
            "replicationcontrollers", "jobs", "cronjobs",
        ],
        "scope": "Namespaced",
    }
]  # fmt: skip


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _webhook(kind: str, ns: str, path: str, ca_bundle: str | None, failure: str) -> dict[str, Any]:
    client: dict[str, Any] = {"service": {"name": NAME, "namespace": ns, "path": path, "port": 443}}
    if ca_bundle is not None:
        client["caBundle"] = ca_bundle
    hook: dict[str, Any] = {
        "name": f"{path.strip('/')}.hardhull.io",
        "admissionReviewVersions": ["v1"],
        "sideEffects": "NoneOnDryRun",
        "timeoutSeconds": 5,
        "failurePolicy": failure,
        "clientConfig": client,
        "rules": _RULES,
        "namespaceSelector": {
            "matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": [ns]}
            ]
        },
    }
    if kind == "MutatingWebhookConfiguration":
        hook["reinvocationPolicy"] = "Never"
    return hook


def _config_yaml(ns: str) -> str:
    config = {
        "listen": {"address": "0.0.0.0", "port": 8443},
        "tls": {"cert": "/tls/tls.crt", "key": "/tls/tls.key"},
        "builtin": {"pss": "restricted"},
        "self_namespace": ns,
        "failure_policy": "fail-closed",
        "budget_ms": 200,
        "audit_log": {"path": "/var/log/hardhull/admission.jsonl", "max_bytes": 10485760},
        # Below the container's memory limit (MEMORY_LIMIT), leaving room for the
        # supervisor and a replacement worker during a handover.
        "worker_recycle": {"max_rss_mb": RECYCLE_RSS_MB},
    }
    return yaml.safe_dump(config, sort_keys=False)


def build_manifests(
    namespace: str = "hardhull-system",
    *,
    cert_manager: bool = False,
    mutating: bool = False,
    image: str = IMAGE,
) -> list[dict[str, Any]]:
    """The objects, in apply order."""
    ns = namespace
    labels = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/component": "admission"}
    secret_name = f"{NAME}-tls"
    docs: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
    ]
    ca_bundle: str | None = None
    annotations: dict[str, str] = {}
    if cert_manager:
        docs += [
            {
                "apiVersion": "cert-manager.io/v1",
                "kind": "Issuer",
                "metadata": {"name": f"{NAME}-selfsigned", "namespace": ns},
                "spec": {"selfSigned": {}},
            },
            {
                "apiVersion": "cert-manager.io/v1",
                "kind": "Certificate",
                "metadata": {"name": f"{NAME}-serving", "namespace": ns},
                "spec": {
                    "secretName": secret_name,
                    "dnsNames": service_dns_names(NAME, ns),
                    "issuerRef": {"name": f"{NAME}-selfsigned", "kind": "Issuer"},
                    "privateKey": {"algorithm": "ECDSA", "size": 256},
                },
            },
        ]
        annotations = {"cert-manager.io/inject-ca-from": f"{ns}/{NAME}-serving"}
    else:
        ca = make_ca()
        pair = make_serving_cert(ca, service_dns_names(NAME, ns))
        ca_bundle = _b64(ca.cert_pem)
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": secret_name, "namespace": ns, "labels": labels},
                "type": "kubernetes.io/tls",
                "data": {
                    "tls.crt": _b64(pair.cert_pem),
                    "tls.key": _b64(pair.key_pem),
                    "ca.crt": ca_bundle,
                },
            }
        )
    docs.append(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"{NAME}-admission", "namespace": ns, "labels": labels},
            "data": {"config.yaml": _config_yaml(ns)},
        }
    )
    container = {
        "name": "webhook",
        "image": image,
        "args": ["admission", "serve", "--config", "/config/config.yaml"],
        "ports": [{"name": "https", "containerPort": 8443, "protocol": "TCP"}],
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": 8443, "scheme": "HTTPS"}},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8443, "scheme": "HTTPS"}},
        "resources": {
            "requests": {"cpu": "100m", "memory": "64Mi"},
            "limits": {"cpu": "1", "memory": MEMORY_LIMIT},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [
            {"name": "tls", "mountPath": "/tls", "readOnly": True},
            {"name": "config", "mountPath": "/config", "readOnly": True},
            {"name": "audit", "mountPath": "/var/log/hardhull"},
        ],
    }
    docs.append(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": NAME, "namespace": ns, "labels": labels},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "automountServiceAccountToken": False,
                        "securityContext": {
                            "runAsNonRoot": True,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "containers": [container],
                        "volumes": [
                            {"name": "tls", "secret": {"secretName": secret_name}},
                            {"name": "config", "configMap": {"name": f"{NAME}-admission"}},
                            {"name": "audit", "emptyDir": {"sizeLimit": "100Mi"}},
                        ],
                    },
                },
            },
        }
    )
    docs.append(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": NAME, "namespace": ns, "labels": labels},
            "spec": {
                "selector": labels,
                "ports": [{"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"}],
            },
        }
    )
    kinds = ["ValidatingWebhookConfiguration"]
    if mutating:
        kinds.append("MutatingWebhookConfiguration")
    for kind in kinds:
        path = "/validate" if kind.startswith("Validating") else "/mutate"
        meta: dict[str, Any] = {"name": f"{NAME}-{path.strip('/')}", "labels": labels}
        if annotations:
            meta["annotations"] = dict(annotations)
        docs.append(
            {
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": kind,
                "metadata": meta,
                "webhooks": [_webhook(kind, ns, path, ca_bundle, "Fail")],
            }
        )
    return docs


def render(docs: list[dict[str, Any]]) -> str:
    """Multi-document YAML."""
    return yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=False)
