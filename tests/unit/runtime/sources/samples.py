"""Realistic input samples: Falco JSON alerts and Kubernetes audit.k8s.io/v1 Events."""

from __future__ import annotations

import copy
from typing import Any

FALCO_SHADOW: dict[str, Any] = {
    "hostname": "node-1",
    "output": (
        "09:12:44.123456789: Warning Sensitive file opened for reading by non-trusted program "
        "(file=/etc/shadow gparent=containerd-shim ggparent=systemd evt_type=openat "
        "user=root user_uid=0 user_loginuid=-1 process=cat proc_exepath=/usr/bin/cat "
        "parent=bash command=cat /etc/shadow terminal=34816 container_id=3f2a9c1b7d0e "
        "container_name=web)"
    ),
    "priority": "Warning",
    "rule": "Read sensitive file untrusted",
    "source": "syscall",
    "tags": [
        "T1555",
        "container",
        "filesystem",
        "host",
        "maturity_stable",
        "mitre_credential_access",
    ],
    "time": "2024-06-10T09:12:44.123456789Z",
    "output_fields": {
        "container.id": "3f2a9c1b7d0e",
        "container.image.repository": "docker.io/library/nginx",
        "container.image.tag": "1.27",
        "container.name": "web",
        "evt.time": 1718010764123456789,
        "evt.type": "openat",
        "fd.name": "/etc/shadow",
        "k8s.ns.name": "shop",
        "k8s.pod.name": "web-7d9f8c6b5-x2x7q",
        "proc.aname[2]": "containerd-shim",
        "proc.aname[3]": "systemd",
        "proc.cmdline": "cat /etc/shadow",
        "proc.exepath": "/usr/bin/cat",
        "proc.name": "cat",
        "proc.pname": "bash",
        "proc.tty": 34816,
        "user.loginuid": -1,
        "user.name": "root",
        "user.uid": 0,
    },
}

FALCO_SHELL: dict[str, Any] = {
    "hostname": "node-2",
    "output": "A shell was spawned in a container with an attached terminal (...)",
    "priority": "Notice",
    "rule": "Terminal shell in container",
    "time": "2024-06-10T09:13:01.000000001Z",
    "tags": ["T1059", "container", "maturity_stable", "mitre_execution", "shell"],
    "output_fields": {
        "container.id": "9b1e0c2d4a6f",
        "container.image.repository": "registry.example.com/shop/api",
        "container.image.tag": "2.3.1",
        "container.name": "api",
        "evt.type": "execve",
        "proc.cmdline": "bash -il",
        "proc.name": "bash",
        "proc.pid": "4242",
        "proc.tty": "34817",
        "user.uid": 0,
        "user.name": "<NA>",
        "k8s.pod.name": None,
    },
}

FALCO_K8S: dict[str, Any] = {
    "hostname": "falco-k8saudit-0",
    "output": "Privileged container created (user=admin pod=priv ns=default images=busybox)",
    "priority": "Warning",
    "rule": "Create Privileged Pod",
    "source": "k8s_audit",
    "tags": ["k8s"],
    "time": "2024-06-10T09:20:00.000000000Z",
    "output_fields": {
        "ka.user.name": "admin",
        "ka.target.name": "priv",
        "ka.target.namespace": "default",
        "ka.req.pod.containers.image": "busybox",
    },
}


def _base(stage: str, verb: str, uri: str, ref: dict[str, Any], code: int) -> dict[str, Any]:
    return {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "RequestResponse",
        "auditID": "5f0c3a0e-2f1b-4c62-9c55-1a2b3c4d5e6f",
        "stage": stage,
        "requestURI": uri,
        "verb": verb,
        "user": {
            "username": "kubernetes-admin",
            "groups": ["system:masters", "system:authenticated"],
        },
        "sourceIPs": ["172.18.0.1"],
        "userAgent": "kubectl/v1.30.2 (linux/amd64) kubernetes/39683505",
        "objectRef": ref,
        "responseStatus": {"metadata": {}, "code": code},
        "requestReceivedTimestamp": "2024-06-10T09:20:00.123456Z",
        "stageTimestamp": "2024-06-10T09:20:00.140000Z",
        "annotations": {
            "authorization.k8s.io/decision": "allow",
            "authorization.k8s.io/reason": "",
        },
    }


def pod_create_privileged(stage: str = "ResponseComplete") -> dict[str, Any]:
    rec = _base(
        stage,
        "create",
        "/api/v1/namespaces/default/pods?fieldManager=kubectl-client-side-apply",
        {"resource": "pods", "namespace": "default", "name": "priv", "apiVersion": "v1"},
        201,
    )
    rec["requestObject"] = {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"name": "priv", "namespace": "default"},
        "spec": {
            "containers": [
                {
                    "name": "sh",
                    "image": "busybox:1.36",
                    "command": ["sleep", "3600"],
                    "securityContext": {"privileged": True},
                }
            ],
            "hostPID": True,
        },
    }
    return rec


def pod_exec() -> dict[str, Any]:
    rec = _base(
        "ResponseComplete",
        "create",
        "/api/v1/namespaces/shop/pods/web-7d9f8c6b5-x2x7q/exec?command=sh&container=web&stdin=true&stdout=true&tty=true",
        {
            "resource": "pods",
            "namespace": "shop",
            "name": "web-7d9f8c6b5-x2x7q",
            "apiVersion": "v1",
            "subresource": "exec",
        },
        101,
    )
    rec["level"] = "Metadata"
    return rec


def secret_get() -> dict[str, Any]:
    rec = _base(
        "ResponseComplete",
        "get",
        "/api/v1/namespaces/kube-system/secrets/bootstrap-token-abcdef",
        {
            "resource": "secrets",
            "namespace": "kube-system",
            "name": "bootstrap-token-abcdef",
            "apiVersion": "v1",
        },
        200,
    )
    rec["level"] = "Metadata"
    rec["user"] = {
        "username": "system:serviceaccount:shop:web",
        "uid": "0e4d7a5c-1111-2222-3333-444455556666",
        "groups": ["system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"],
    }
    return rec


def event_list(*records: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "EventList",
        "apiVersion": "audit.k8s.io/v1",
        "metadata": {},
        "items": [copy.deepcopy(r) for r in records],
    }
