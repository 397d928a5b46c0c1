"""AdmissionInput -> CEL activation, converted once per request and reused by every
policy evaluated on it (the conversion of a Deployment costs several times an
evaluation)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from typing import Any

from hardhull.policy.base import AdmissionInput
from hardhull.policy.cel.env import environment
from hardhull.policy.cel.match import group_version, kind_of, resource_of


def request_data(inp: AdmissionInput) -> dict[str, Any]:
    """The ``request`` variable: an ``admission.k8s.io/v1`` AdmissionRequest's essentials."""
    group, version = group_version(inp)
    kind = {"group": group, "version": version, "kind": kind_of(inp)}
    resource = {"group": group, "version": version, "resource": resource_of(inp)}
    return {
        "uid": "",
        "kind": kind,
        "resource": resource,
        "subResource": inp.subresource,
        "requestKind": kind,
        "requestResource": resource,
        "requestSubResource": inp.subresource,
        "name": inp.name or _name(inp),
        "namespace": inp.namespace,
        "operation": inp.operation.upper(),
        "userInfo": dict(inp.user_info),
        "dryRun": inp.dry_run,
        "options": {},
    }


def _name(inp: AdmissionInput) -> str:
    meta = (inp.obj or inp.old_obj or {}).get("metadata") or {}
    return str(meta.get("name", "")) if isinstance(meta, Mapping) else ""


def base_data(inp: AdmissionInput, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every top-level variable except ``variables``."""
    return {
        "object": inp.obj,
        "oldObject": inp.old_obj,
        "request": request_data(inp),
        "params": params,
        "namespaceObject": inp.namespace_obj,
        "authorizer": None,
    }


class _Cache(threading.local):
    def __init__(self) -> None:
        self.owner: weakref.ref[AdmissionInput] | None = None
        self.entries: dict[int, tuple[dict[str, Any], Any]] = {}


_cache = _Cache()


def activation_for(
    inp: AdmissionInput, params: Mapping[str, Any] | None
) -> tuple[dict[str, Any], Any]:
    """(data, activation) for this input and parameter object, cached per thread for
    the most recent input so that all policies evaluated on one request share it."""
    owner = _cache.owner() if _cache.owner is not None else None
    if owner is not inp:
        _cache.owner = weakref.ref(inp)
        _cache.entries = {}
    key = id(params) if params is not None else 0
    hit = _cache.entries.get(key)
    if hit is None or (params is not None and hit[0]["params"] is not params):
        data = base_data(inp, params)
        hit = (data, environment().Activation(data))
        _cache.entries[key] = hit
    return hit
