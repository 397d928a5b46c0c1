"""Catalog entries for the Pod Security Standards checks.

The ids are the check ids of Kubernetes' pod-security-admission; the checks themselves
live in ``posture/pss/``. This module only documents them and maps them to frameworks.
"""

from __future__ import annotations

from hardhull.model import Severity
from hardhull.posture.base import Control
from hardhull.posture.controls_k8s import CIS, MITRE, NIST, NSA, PSS

_NSA_ENV = "Kubernetes Pod security: Hardening container environments"
_NSA_NONROOT = "Kubernetes Pod security: Non-root containers and rootless container engines"
_NSA_ENFORCE = "Kubernetes Pod security: Pod security enforcement"


def _p(
    cid: str,
    level: str,
    title: str,
    rationale: str,
    remediation: str,
    *frameworks: tuple[str, str],
) -> Control:
    severity = Severity.HIGH if level == "baseline" else Severity.MEDIUM
    return Control(
        cid,
        title,
        severity,
        rationale,
        remediation,
        ((PSS, level), *frameworks),
        family="pss",
    )


PSS_CONTROLS: tuple[Control, ...] = (
    _p(
        "privileged",
        "baseline",
        "Privileged containers",
        "A privileged container has every capability and all host devices: it is root on the node.",
        "Remove securityContext.privileged or set it to false.",
        (CIS, "5.2.2"),
        (NSA, _NSA_ENFORCE),
        (NIST, "4.4.3"),
        (MITRE, "T1611"),
    ),
    _p(
        "hostNamespaces",
        "baseline",
        "Host namespaces (hostNetwork, hostPID, hostIPC)",
        "Sharing the host's network, process or IPC namespace removes the isolation "
        "between the pod and its node.",
        "Remove hostNetwork, hostPID and hostIPC or set them to false.",
        (CIS, "5.2.3"),
        (CIS, "5.2.4"),
        (CIS, "5.2.5"),
        (NSA, _NSA_ENFORCE),
        (NIST, "4.4.3"),
        (MITRE, "T1611"),
    ),
    _p(
        "hostPorts",
        "baseline",
        "Host ports",
        "hostPort binds the node's own network interfaces and bypasses network policies.",
        "Remove hostPort from container ports; expose the pod through a Service.",
        (CIS, "5.2.13"),
        (NIST, "4.4.2"),
    ),
    _p(
        "hostPathVolumes",
        "baseline",
        "HostPath volumes",
        "hostPath volumes give the pod direct access to the node's filesystem.",
        "Replace hostPath volumes with emptyDir, ConfigMap, Secret or persistent volumes.",
        (CIS, "5.2.12"),
        (NIST, "4.5.5"),
        (MITRE, "T1611"),
    ),
    _p(
        "capabilities_baseline",
        "baseline",
        "Capabilities beyond the default set",
        "Added Linux capabilities (SYS_ADMIN, NET_ADMIN...) widen the kernel attack "
        "surface and enable escapes.",
        "Add only capabilities from the baseline allow-list; drop the rest.",
        (CIS, "5.2.9"),
        (NSA, _NSA_ENV),
        (NIST, "4.4.3"),
        (MITRE, "T1611"),
    ),
    _p(
        "capabilities_restricted",
        "restricted",
        "Capabilities not dropped",
        "Containers keep the runtime's default capabilities (NET_RAW among them) unless "
        "they drop them.",
        "Set capabilities.drop: [ALL]; add back only NET_BIND_SERVICE if needed.",
        (CIS, "5.2.8"),
        (CIS, "5.2.10"),
        (NSA, _NSA_ENV),
        (NIST, "4.4.3"),
    ),
    _p(
        "runAsNonRoot",
        "restricted",
        "Running as non-root",
        "A container running as root is one kernel or runtime bug away from root on the node.",
        "Set securityContext.runAsNonRoot: true (pod or every container).",
        (CIS, "5.2.7"),
        (NSA, _NSA_NONROOT),
        (NIST, "4.4.3"),
        (MITRE, "T1611"),
    ),
    _p(
        "runAsUser",
        "restricted",
        "Running as user 0",
        "runAsUser: 0 explicitly runs the container as root.",
        "Set runAsUser to a non-zero UID or leave it unset with runAsNonRoot: true.",
        (CIS, "5.2.7"),
        (NSA, _NSA_NONROOT),
        (NIST, "4.4.3"),
    ),
    _p(
        "seccompProfile_baseline",
        "baseline",
        "Seccomp profile not Unconfined",
        "An Unconfined seccomp profile exposes every system call to the container.",
        "Do not set seccompProfile.type: Unconfined.",
        (CIS, "5.7.2"),
        (NSA, _NSA_ENV),
        (NIST, "4.4.3"),
        (MITRE, "T1611"),
    ),
    _p(
        "seccompProfile_restricted",
        "restricted",
        "Seccomp profile RuntimeDefault or Localhost",
        "Without an explicit seccomp profile many runtimes run containers unconfined.",
        "Set securityContext.seccompProfile.type: RuntimeDefault on the pod.",
        (CIS, "5.7.2"),
        (NSA, _NSA_ENV),
        (NIST, "4.4.3"),
        (MITRE, "T1611"),
    ),
    _p(
        "allowPrivilegeEscalation",
        "restricted",
        "Privilege escalation allowed",
        "Without no_new_privs, setuid binaries and file capabilities can raise a "
        "process's privileges inside the container.",
        "Set securityContext.allowPrivilegeEscalation: false on every container.",
        (CIS, "5.2.6"),
        (NSA, _NSA_ENFORCE),
        (NIST, "4.4.3"),
        (MITRE, "T1068"),
    ),
    _p(
        "appArmorProfile",
        "baseline",
        "AppArmor profile overridden",
        "Setting AppArmor to unconfined removes a mandatory access control layer.",
        "Use the runtime default or a localhost AppArmor profile.",
        (NSA, _NSA_ENV),
        (NIST, "4.4.3"),
        (MITRE, "T1611"),
    ),
    _p(
        "seLinuxOptions",
        "baseline",
        "SELinux options",
        "Custom SELinux users, roles or types can disable SELinux confinement.",
        "Set only seLinuxOptions.level, or one of the allowed container types.",
        (NSA, _NSA_ENV),
        (NIST, "4.4.3"),
        (MITRE, "T1611"),
    ),
    _p(
        "procMount",
        "baseline",
        "Unmasked /proc mount",
        "procMount: Unmasked exposes host-sensitive parts of /proc to the container.",
        "Remove securityContext.procMount or set it to Default.",
        (NIST, "4.4.3"),
        (MITRE, "T1611"),
    ),
    _p(
        "sysctls",
        "baseline",
        "Unsafe sysctls",
        "Sysctls outside the safe set can affect other pods or the node itself.",
        "Set only namespaced sysctls from the safe allow-list.",
        (NIST, "4.4.3"),
        (MITRE, "T1611"),
    ),
    _p(
        "restrictedVolumes",
        "restricted",
        "Volume types outside the restricted set",
        "Volume types other than configMap, secret, emptyDir, projected, downwardAPI, "
        "csi, ephemeral and persistentVolumeClaim can reach node or infrastructure storage.",
        "Use only the volume types the restricted profile allows.",
        (CIS, "5.2.12"),
        (NIST, "4.5.5"),
    ),
    _p(
        "windowsHostProcess",
        "baseline",
        "Windows HostProcess containers",
        "A HostProcess container runs directly on the Windows node with host privileges.",
        "Remove windowsOptions.hostProcess or set it to false.",
        (CIS, "5.2.11"),
        (NIST, "4.4.3"),
        (MITRE, "T1611"),
    ),
    _p(
        "hostProbesAndHostLifecycle",
        "baseline",
        "Probes or lifecycle hooks targeting a host",
        "A probe or lifecycle handler with a host field makes the kubelet send requests "
        "to arbitrary addresses on the pod's behalf.",
        "Remove the host field from httpGet/tcpSocket probes and lifecycle handlers.",
        (NIST, "4.4.3"),
    ),
)
