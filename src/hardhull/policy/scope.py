"""Which resource kinds are cluster-scoped, and the namespace a manifest lands in.

A namespaced object applied without ``metadata.namespace`` is created in the
``default`` namespace, so that is the namespace a policy sees for it when resources
are evaluated from files (``policy test``): ``request.namespace``, the
``namespaceObject`` of CEL rules and the ``namespace/name`` a test result may name.
Kinds not listed here (custom resources included) are taken to be namespaced.
"""

from __future__ import annotations

CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterCleanupPolicy",
        "ClusterPolicy",
        "ClusterRole",
        "ClusterRoleBinding",
        "ComponentStatus",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "FlowSchema",
        "IngressClass",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PodSecurityPolicy",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingPolicy",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)

DEFAULT_NAMESPACE = "default"


def effective_namespace(kind: str, namespace: str | None) -> str:
    """The namespace an object of ``kind`` is in: its own, ``default`` for a namespaced
    kind that names none, "" for a cluster-scoped kind."""
    if kind in CLUSTER_SCOPED_KINDS:
        return ""
    return namespace or DEFAULT_NAMESPACE
