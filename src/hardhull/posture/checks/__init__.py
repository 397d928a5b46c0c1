"""The Kubernetes checks beyond the Pod Security Standards, as explicit tuples.

``CHECKS`` evaluate one resource at a time; ``CLUSTER_CHECKS`` look at the whole input
(namespaces and their NetworkPolicies, RBAC bindings -> service accounts -> workloads).
"""

from __future__ import annotations

from hardhull.posture.base import ClusterCheck, ResourceCheck
from hardhull.posture.checks.exposure import (
    AutomountTokenCheck,
    EnvSecretsCheck,
    HostPathCheck,
)
from hardhull.posture.checks.images import ImageCheck
from hardhull.posture.checks.network import DefaultDenyCheck, IngressTlsCheck, ServiceTypeCheck
from hardhull.posture.checks.rbac_checks import BindingCheck, RoleRulesCheck
from hardhull.posture.checks.workload import (
    DefaultNamespaceCheck,
    DefaultServiceAccountCheck,
    ProbesCheck,
    ReadOnlyRootCheck,
    ResourcesCheck,
)

__all__ = ["CHECKS", "CLUSTER_CHECKS"]

CHECKS: tuple[ResourceCheck, ...] = (
    ImageCheck(),
    ResourcesCheck(),
    ProbesCheck(),
    AutomountTokenCheck(),
    EnvSecretsCheck(),
    DefaultNamespaceCheck(),
    DefaultServiceAccountCheck(),
    ReadOnlyRootCheck(),
    HostPathCheck(),
    ServiceTypeCheck(),
    IngressTlsCheck(),
    RoleRulesCheck(),
)

CLUSTER_CHECKS: tuple[ClusterCheck, ...] = (
    DefaultDenyCheck(),
    BindingCheck(),
)
