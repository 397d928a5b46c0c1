"""The hardhull Kubernetes controls beyond the Pod Security Standards (``HH-K8S-*``).

Framework ids: CIS Kubernetes Benchmark section numbers (v1.8/v1.9 numbering), NSA/CISA
Kubernetes Hardening Guide (v1.2) section names, NIST SP 800-190 countermeasure sections
(4.x), MITRE ATT&CK for Containers technique ids.
"""

from __future__ import annotations

from hardhull.model import Severity
from hardhull.posture.base import Control

CIS = "CIS Kubernetes Benchmark"
NSA = "NSA-CISA"
NIST = "NIST SP 800-190"
MITRE = "MITRE ATT&CK Containers"
PSS = "Pod Security Standards"

_NSA_RBAC = "Authentication and authorization: Role-based access control"
_NSA_SA_TOKENS = "Kubernetes Pod security: Protecting Pod service account tokens"


def _c(
    cid: str,
    title: str,
    severity: Severity,
    rationale: str,
    remediation: str,
    *frameworks: tuple[str, str],
) -> Control:
    return Control(cid, title, severity, rationale, remediation, tuple(frameworks))


IMAGE_LATEST = _c(
    "HH-K8S-001",
    "Image uses the :latest tag or no tag",
    Severity.MEDIUM,
    "A floating tag makes the running code depend on when the node pulled the image; "
    "rollbacks, audits and vulnerability results stop meaning anything.",
    "Reference images by an immutable version tag and, better, by digest (@sha256:...).",
    (NIST, "4.1.5"),
    (NIST, "4.2.2"),
    (MITRE, "T1525"),
    (MITRE, "T1204.003"),
)
IMAGE_DIGEST = _c(
    "HH-K8S-002",
    "Image not pinned by digest",
    Severity.LOW,
    "Tags can be moved in the registry; only a digest guarantees the scanned image is the "
    "one that runs.",
    "Append @sha256:<digest> to the image reference (tools such as crane or skopeo print it).",
    (NIST, "4.1.5"),
    (MITRE, "T1525"),
    (MITRE, "T1204.003"),
)
IMAGE_REGISTRY = _c(
    "HH-K8S-003",
    "Image from a registry outside the allow-list",
    Severity.HIGH,
    "Images from unvetted registries bypass the organisation's scanning and signing.",
    "Mirror the image into an approved registry, or add the registry to the allow-list.",
    (CIS, "5.5.1"),
    (NIST, "4.1.5"),
    (MITRE, "T1204.003"),
)
RESOURCES = _c(
    "HH-K8S-004",
    "Container without CPU/memory requests or limits",
    Severity.MEDIUM,
    "Without limits one container can starve its node (denial of service, cryptomining); "
    "without requests the scheduler cannot place it safely.",
    "Set resources.requests and resources.limits for cpu and memory on every container.",
    (NSA, "Network separation and hardening: Resource policies"),
    (NIST, "4.4.3"),
    (MITRE, "T1496"),
    (MITRE, "T1499"),
)
LIVENESS = _c(
    "HH-K8S-005",
    "Container without a liveness probe",
    Severity.LOW,
    "Without a liveness probe a hung process is never restarted.",
    "Add livenessProbe (httpGet, tcpSocket, grpc or exec) to long-running containers.",
)
READINESS = _c(
    "HH-K8S-006",
    "Container without a readiness probe",
    Severity.LOW,
    "Without a readiness probe traffic reaches pods before they can serve it.",
    "Add readinessProbe to containers that receive traffic.",
)
AUTOMOUNT = _c(
    "HH-K8S-007",
    "Service account token mounted in a pod that does not use the API",
    Severity.MEDIUM,
    "A mounted token lets anyone who compromises the container talk to the API server "
    "with the service account's rights.",
    "Set automountServiceAccountToken: false on the pod (or its ServiceAccount) unless it "
    "calls the Kubernetes API.",
    (CIS, "5.1.6"),
    (NSA, _NSA_SA_TOKENS),
    (NIST, "4.3.2"),
    (MITRE, "T1528"),
    (MITRE, "T1552.007"),
)
ENV_SECRETS = _c(
    "HH-K8S-008",
    "Secret value written literally in an environment variable",
    Severity.HIGH,
    "Literal values live in the manifest, in Git, in the API object and in every "
    "`kubectl get -o yaml`; they are readable by anyone who can read the workload.",
    "Store the value in a Secret and use env.valueFrom.secretKeyRef, or mount it as a file.",
    (CIS, "5.4.1"),
    (NSA, "Network separation and hardening: Secrets"),
    (NIST, "4.1.4"),
    (MITRE, "T1552.001"),
    (MITRE, "T1552.007"),
)
DEFAULT_NAMESPACE = _c(
    "HH-K8S-009",
    "Resource in the default namespace",
    Severity.LOW,
    "The default namespace is shared by everything that does not choose one, so RBAC, "
    "quotas and network policies cannot separate workloads in it.",
    "Create a dedicated namespace per application or team and set metadata.namespace.",
    (CIS, "5.7.1"),
    (CIS, "5.7.4"),
    (NSA, "Network separation and hardening: Namespaces"),
    (NIST, "4.3.4"),
)
DEFAULT_SA = _c(
    "HH-K8S-010",
    "Pod runs as the default service account",
    Severity.MEDIUM,
    "Every pod without its own account shares the namespace's default one; any right "
    "granted to it is granted to all of them.",
    "Create a dedicated ServiceAccount per workload and set spec.serviceAccountName.",
    (CIS, "5.1.5"),
    (NSA, _NSA_SA_TOKENS),
    (NIST, "4.3.2"),
    (MITRE, "T1078.001"),
)
WRITABLE_ROOTFS = _c(
    "HH-K8S-011",
    "Container root filesystem is writable",
    Severity.MEDIUM,
    "A writable root filesystem lets an intruder drop tools and modify binaries or "
    "configuration of the running container.",
    "Set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where "
    "the application must write.",
    (CIS, "5.7.3"),
    (NSA, "Kubernetes Pod security: Immutable container file systems"),
    (NIST, "4.4.3"),
)
SENSITIVE_HOSTPATH = _c(
    "HH-K8S-012",
    "Sensitive host path mounted into a pod",
    Severity.HIGH,
    "Container runtime sockets, the host root, /etc, the kubelet directory, /proc or /sys "
    "give a container control of its node: the classic container escape.",
    "Remove the hostPath volume; use a CSI driver, a ConfigMap or a narrowly scoped "
    "read-only path instead.",
    (CIS, "5.2.12"),
    (NSA, "Kubernetes Pod security: Pod security enforcement"),
    (NIST, "4.5.5"),
    (NIST, "4.4.3"),
    (MITRE, "T1611"),
    (MITRE, "T1609"),
)
EXPOSED_SERVICE = _c(
    "HH-K8S-013",
    "Service exposed outside the cluster (LoadBalancer/NodePort)",
    Severity.MEDIUM,
    "LoadBalancer and NodePort services open a port on every node or an external address; "
    "they are easy to expose by accident.",
    "Use ClusterIP behind an Ingress/Gateway with TLS and authentication, or restrict "
    "loadBalancerSourceRanges.",
    (NSA, "Network separation and hardening: Network policies"),
    (NIST, "4.4.2"),
    (MITRE, "T1133"),
    (MITRE, "T1190"),
)
INGRESS_TLS = _c(
    "HH-K8S-014",
    "Ingress without TLS",
    Severity.MEDIUM,
    "Traffic to the application crosses the network in clear text; credentials and "
    "session cookies can be read or altered.",
    "Add spec.tls with a certificate Secret covering every host of the Ingress.",
    (NSA, "Network separation and hardening: Encryption"),
    (NIST, "4.4.2"),
)
NO_DEFAULT_DENY = _c(
    "HH-K8S-015",
    "Namespace with workloads but no default-deny NetworkPolicy",
    Severity.MEDIUM,
    "Without a default-deny policy every pod accepts traffic from every other pod in the "
    "cluster; one compromised pod can reach them all.",
    "Add a NetworkPolicy with podSelector: {} and policyTypes: [Ingress] (and Egress) and "
    "no rules, then allow the flows each workload needs.",
    (CIS, "5.3.2"),
    (NSA, "Network separation and hardening: Network policies"),
    (NIST, "4.3.3"),
    (NIST, "4.4.2"),
)
RBAC_WILDCARD = _c(
    "HH-K8S-020",
    "Role grants wildcard verbs or resources",
    Severity.HIGH,
    "'*' grants every current and future verb or resource, including ones added by CRDs.",
    "List the verbs and resources the subject needs explicitly.",
    (CIS, "5.1.3"),
    (NSA, _NSA_RBAC),
    (NIST, "4.3.1"),
    (MITRE, "T1078"),
)
RBAC_CLUSTER_ADMIN = _c(
    "HH-K8S-021",
    "Binding to cluster-admin",
    Severity.CRITICAL,
    "cluster-admin is full control of the cluster; every subject bound to it is a cluster owner.",
    "Bind a narrower role; keep cluster-admin for break-glass accounts.",
    (CIS, "5.1.1"),
    (NSA, _NSA_RBAC),
    (NIST, "4.3.1"),
    (MITRE, "T1078"),
    (MITRE, "T1098.006"),
)
RBAC_ESCALATE = _c(
    "HH-K8S-022",
    "Role grants escalate, bind or impersonate",
    Severity.HIGH,
    "These verbs let a subject grant itself or act with rights it does not hold, up to "
    "cluster-admin.",
    "Remove escalate, bind and impersonate except for tightly controlled admin identities.",
    (CIS, "5.1.8"),
    (NSA, _NSA_RBAC),
    (NIST, "4.3.1"),
    (MITRE, "T1098.006"),
)
RBAC_SECRETS = _c(
    "HH-K8S-023",
    "Role grants read access to Secrets",
    Severity.HIGH,
    "get/list/watch on secrets reveals every credential in scope, including service "
    "account tokens of more privileged accounts.",
    "Grant get on named secrets (resourceNames) only, or mount the secret instead.",
    (CIS, "5.1.2"),
    (NSA, _NSA_RBAC),
    (NIST, "4.3.2"),
    (MITRE, "T1552.007"),
)
RBAC_EXEC = _c(
    "HH-K8S-024",
    "Role grants pods/exec or pods/attach",
    Severity.HIGH,
    "exec and attach run commands inside containers: their secrets, tokens and network "
    "position become the subject's.",
    "Remove create on pods/exec and pods/attach; use audited break-glass access instead.",
    (NSA, _NSA_RBAC),
    (NIST, "4.3.2"),
    (MITRE, "T1609"),
)
RBAC_CREATE_PODS = _c(
    "HH-K8S-025",
    "Non-admin subject can create pods or workloads",
    Severity.MEDIUM,
    "Creating a pod is running any image with any service account of the namespace; "
    "without admission control it is a path to node and namespace takeover.",
    "Restrict create on pods and workload resources to deployment pipelines, and enforce "
    "Pod Security admission in the namespace.",
    (CIS, "5.1.4"),
    (NSA, _NSA_RBAC),
    (NIST, "4.3.2"),
    (MITRE, "T1610"),
)
RBAC_RISKY_SA = _c(
    "HH-K8S-026",
    "Service account holds risky permissions",
    Severity.HIGH,
    "A service account's token is in every pod that runs as it; whoever compromises one "
    "of those pods inherits its permissions.",
    "Give the service account only the rights its workload needs; move admin rights to "
    "human, audited identities.",
    (NSA, _NSA_SA_TOKENS),
    (NSA, _NSA_RBAC),
    (NIST, "4.3.1"),
    (MITRE, "T1528"),
    (MITRE, "T1552.007"),
)
RBAC_RISKY_WORKLOAD = _c(
    "HH-K8S-027",
    "Workload runs as a service account with risky permissions",
    Severity.HIGH,
    "A compromise of this workload yields its service account's permissions (secrets, "
    "exec, pod creation, RBAC changes).",
    "Run the workload as a service account with minimal rights and disable token "
    "automounting where the API is not needed.",
    (NSA, _NSA_SA_TOKENS),
    (NIST, "4.3.1"),
    (MITRE, "T1528"),
    (MITRE, "T1610"),
)

K8S_CONTROLS: tuple[Control, ...] = (
    IMAGE_LATEST,
    IMAGE_DIGEST,
    IMAGE_REGISTRY,
    RESOURCES,
    LIVENESS,
    READINESS,
    AUTOMOUNT,
    ENV_SECRETS,
    DEFAULT_NAMESPACE,
    DEFAULT_SA,
    WRITABLE_ROOTFS,
    SENSITIVE_HOSTPATH,
    EXPOSED_SERVICE,
    INGRESS_TLS,
    NO_DEFAULT_DENY,
    RBAC_WILDCARD,
    RBAC_CLUSTER_ADMIN,
    RBAC_ESCALATE,
    RBAC_SECRETS,
    RBAC_EXEC,
    RBAC_CREATE_PODS,
    RBAC_RISKY_SA,
    RBAC_RISKY_WORKLOAD,
)
