"""Kubernetes audit fields (``ka.*``, ``jevt.*``, ``json.*``), as Falco's k8saudit and json
plugins define them. Every extractor reads the audit record (a parsed JSON object) stored
under the raw key ``jevt.value``; values are strings (``"true"``/``"false"`` for flags) or
tuples of strings for list fields, as the plugin returns them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from hardhull.model.event import Event
from hardhull.policy.jsonpatch import parse_pointer
from hardhull.runtime.engines_base import repository_of
from hardhull.runtime.fields import Extractor, Factory, FieldDef, define
from hardhull.runtime.fields_define import _str
from hardhull.runtime.fields_syscall import _fmt_time
from hardhull.runtime.jsonio import format_time_ns

K8S = "k8s_audit"


def _rec(e: Event) -> dict[str, Any] | None:
    v = e.fields.get("jevt.value")
    return v if isinstance(v, dict) else None


def _get(obj: Any, *path: str) -> Any:
    for p in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(p)
    return obj


def _text(v: Any) -> str | None:
    """The plugin's text of a value: objects and arrays as JSON, the rest as ``_str``."""
    if isinstance(v, (dict, list)):
        return orjson.dumps(v).decode()
    return _str(v)


def _scalar(name: str, doc: str, fn: Callable[[dict[str, Any]], Any], **kw: Any) -> None:
    def factory(_a: str | None) -> Extractor:
        def ex(e: Event) -> Any:
            r = _rec(e)
            return None if r is None else _text(fn(r))

        return ex

    define(FieldDef(name=name, type="string", doc=doc, factory=factory, source=K8S, **kw))


def _list(name: str, doc: str, fn: Callable[[dict[str, Any]], list[Any] | None]) -> None:
    """A list field; ``[n]`` selects one element."""

    def factory(arg: str | None) -> Extractor:
        index = None if arg is None else int(arg)

        def ex(e: Event) -> Any:
            r = _rec(e)
            if r is None:
                return None
            vals = fn(r)
            if vals is None:
                return None
            items = tuple(t for t in (_text(v) for v in vals) if t is not None)
            if index is None:
                return items
            return items[index] if 0 <= index < len(items) else None

        return ex

    define(
        FieldDef(
            name=name,
            type="string",
            doc=doc,
            factory=factory,
            source=K8S,
            arg="optional",
            arg_doc="index",
            kind="list",
        )
    )


def _containers(r: dict[str, Any]) -> list[dict[str, Any]] | None:
    c = _get(r, "requestObject", "spec", "containers")
    return [x for x in c if isinstance(x, dict)] if isinstance(c, list) else None


def _per_container(fn: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
    def inner(r: dict[str, Any]) -> Any:
        cs = _containers(r)
        return None if cs is None else [fn(c) for c in cs]

    return inner


def _flat_per_container(fn: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
    def inner(r: dict[str, Any]) -> Any:
        cs = _containers(r)
        if cs is None:
            return None
        out: list[Any] = []
        for c in cs:
            v = fn(c)
            if isinstance(v, list):
                out.extend(v)
            elif v is not None:
                out.append(v)
        return out

    return inner


def _repo(image: Any) -> str | None:
    return repository_of(image) if isinstance(image, str) else None


def _sc(c: dict[str, Any], key: str, default: Any = None) -> Any:
    v = _get(c, "securityContext", key)
    return default if v is None else v


def _eff(key: str) -> Callable[[dict[str, Any]], Any]:
    def inner(r: dict[str, Any]) -> Any:
        cs = _containers(r)
        if cs is None:
            return None
        pod = _get(r, "requestObject", "spec", "securityContext", key)
        return [_sc(c, key, pod if pod is not None else 0) for c in cs]

    return inner


def _rules(key: str) -> Callable[[dict[str, Any]], Any]:
    def inner(r: dict[str, Any]) -> Any:
        rules = _get(r, "requestObject", "rules")
        if not isinstance(rules, list):
            return None
        out: list[Any] = []
        for rule in rules:
            v = rule.get(key) if isinstance(rule, dict) else None
            if isinstance(v, list):
                out.extend(v)
        return out

    return inner


def _volumes(fn: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
    def inner(r: dict[str, Any]) -> Any:
        vols = _get(r, "requestObject", "spec", "volumes")
        if not isinstance(vols, list):
            return None
        return [x for x in (fn(v) for v in vols if isinstance(v, dict)) if x is not None]

    return inner


def _uri_param(arg: str | None) -> Extractor:
    key = arg or ""

    def ex(e: Event) -> Any:
        r = _rec(e)
        uri = None if r is None else r.get("requestURI")
        if not isinstance(uri, str):
            return None
        vals = parse_qs(urlsplit(uri).query, keep_blank_values=True).get(key)
        return vals[0] if vals else None

    return ex


def _pointer(doc: Any, tokens: list[str]) -> Any:
    """The value at a JSON pointer's unescaped ``tokens``; ``None`` when missing."""
    for token in tokens:
        if isinstance(doc, dict):
            if token not in doc:
                return None
            doc = doc[token]
        elif isinstance(doc, list) and token.isdigit() and int(token) < len(doc):
            doc = doc[int(token)]
        else:
            return None
    return doc


def _jvalue(arg: str | None) -> Extractor:
    ptr = arg or ""
    if ptr and not ptr.startswith("/"):
        raise ValueError("a JSON pointer starts with /")
    tokens = parse_pointer(ptr)  # RFC 6901, once per field reference

    def ex(e: Event) -> Any:
        r = _rec(e)
        return None if r is None else _text(_pointer(r, tokens))

    return ex


def _event_ns(e: Event) -> Any:
    return e.time if _rec(e) is not None else None


def _define_all() -> None:
    S = _scalar
    S("ka.auditid", "the unique id of the audit event", lambda r: r.get("auditID"))
    S(
        "ka.stage",
        "stage of the request (RequestReceived, ResponseComplete...)",
        lambda r: r.get("stage"),
    )
    S(
        "ka.auth.decision",
        "the authorization decision",
        lambda r: _get(r, "annotations", "authorization.k8s.io/decision"),
    )
    S(
        "ka.auth.reason",
        "the authorization reason",
        lambda r: _get(r, "annotations", "authorization.k8s.io/reason"),
    )
    S("ka.user.name", "the user name performing the request", lambda r: _get(r, "user", "username"))
    _list("ka.user.groups", "the groups the user belongs to", lambda r: _get(r, "user", "groups"))
    S(
        "ka.impuser.name",
        "the impersonated user name",
        lambda r: _get(r, "impersonatedUser", "username"),
    )
    S("ka.verb", "the action being performed", lambda r: r.get("verb"))
    S("ka.uri", "the request URI as sent from client to server", lambda r: r.get("requestURI"))
    define(
        FieldDef(
            name="ka.uri.param",
            type="string",
            doc="the value of a query parameter of the URI (ka.uri.param[key])",
            factory=_uri_param,
            source=K8S,
            arg="required",
            arg_doc="key",
        )
    )
    S("ka.target.name", "the target object name", lambda r: _get(r, "objectRef", "name"))
    S(
        "ka.target.namespace",
        "the target object namespace",
        lambda r: _get(r, "objectRef", "namespace"),
    )
    S(
        "ka.target.resource",
        "the target object resource",
        lambda r: _get(r, "objectRef", "resource"),
    )
    S(
        "ka.target.subresource",
        "the target object subresource",
        lambda r: _get(r, "objectRef", "subresource"),
    )
    _list(
        "ka.req.binding.subjects",
        "subjects (users, service accounts) a role binding links",
        lambda r: (
            [s.get("name") for s in subj if isinstance(s, dict)]
            if isinstance(subj := _get(r, "requestObject", "subjects"), list)
            else None
        ),
    )
    S(
        "ka.req.binding.role",
        "the role a role binding links",
        lambda r: _get(r, "requestObject", "roleRef", "name"),
    )
    define(
        FieldDef(
            name="ka.req.binding.subject.has_name",
            type="string",
            doc="deprecated, always N/A (kept for compatibility)",
            factory=lambda _a: lambda e: "N/A" if _rec(e) is not None else None,
            source=K8S,
            arg="required",
            arg_doc="key",
        )
    )
    S(
        "ka.req.configmap.name",
        "the configmap name",
        lambda r: _get(r, "requestObject", "metadata", "name"),
    )
    S(
        "ka.req.configmap.obj",
        "the configmap data as JSON",
        lambda r: _get(r, "requestObject", "data"),
    )
    _list(
        "ka.req.pod.containers.image",
        "the images of the pod's containers",
        _per_container(lambda c: c.get("image")),
    )
    S(
        "ka.req.container.image",
        "image of the first container (deprecated)",
        lambda r: cs[0].get("image") if (cs := _containers(r)) else None,
    )
    _list(
        "ka.req.pod.containers.image.repository",
        "the image repositories of the pod's containers",
        _per_container(lambda c: _repo(c.get("image"))),
    )
    S(
        "ka.req.container.image.repository",
        "image repository of the first container (deprecated)",
        lambda r: _repo(cs[0].get("image")) if (cs := _containers(r)) else None,
    )
    for name, key in (
        ("host_ipc", "hostIPC"),
        ("host_network", "hostNetwork"),
        ("host_pid", "hostPID"),
    ):
        S(
            f"ka.req.pod.{name}",
            f"the pod's {key} flag",
            (lambda k: lambda r: _get(r, "requestObject", "spec", k))(key),
        )
    S(
        "ka.req.container.host_network",
        "alias of ka.req.pod.host_network (deprecated)",
        lambda r: _get(r, "requestObject", "spec", "hostNetwork"),
    )
    _list(
        "ka.req.pod.containers.host_port",
        "hostPort values of all containers",
        _flat_per_container(
            lambda c: [
                p.get("hostPort")
                for p in c.get("ports") or []
                if isinstance(p, dict) and p.get("hostPort") is not None
            ]
        ),
    )
    _list(
        "ka.req.pod.containers.privileged",
        "privileged flag of each container",
        _per_container(lambda c: _sc(c, "privileged", False)),
    )
    S(
        "ka.req.container.privileged",
        "true when any container is privileged (deprecated)",
        lambda r: (
            None
            if (cs := _containers(r)) is None
            else any(_sc(c, "privileged", False) is True for c in cs)
        ),
    )
    _list(
        "ka.req.pod.containers.allow_privilege_escalation",
        "allowPrivilegeEscalation flag of each container",
        _per_container(lambda c: _sc(c, "allowPrivilegeEscalation")),
    )
    _list(
        "ka.req.pod.containers.read_only_fs",
        "readOnlyRootFilesystem flag of each container",
        _per_container(lambda c: _sc(c, "readOnlyRootFilesystem")),
    )
    for base, key in (("user", "runAsUser"), ("group", "runAsGroup")):
        S(
            f"ka.req.pod.run_as_{base}",
            f"the pod-level {key}",
            (lambda k: lambda r: _get(r, "requestObject", "spec", "securityContext", k))(key),
        )
        _list(
            f"ka.req.pod.containers.run_as_{base}",
            f"{key} of each container",
            _per_container((lambda k: lambda c: _sc(c, k))(key)),
        )
        _list(
            f"ka.req.pod.containers.eff_run_as_{base}",
            f"effective initial {base} id of each container (container, else pod, else 0)",
            _eff(key),
        )
    _list(
        "ka.req.pod.containers.proc_mount",
        "procMount of each container",
        _per_container(lambda c: _sc(c, "procMount")),
    )
    _list(
        "ka.req.role.rules",
        "the rules of a role/cluster role (JSON)",
        lambda r: v if isinstance(v := _get(r, "requestObject", "rules"), list) else None,
    )
    for key in ("apiGroups", "nonResourceURLs", "verbs", "resources"):
        _list(f"ka.req.role.rules.{key}", f"the {key} of the role's rules", _rules(key))
    S(
        "ka.req.pod.fs_group",
        "the pod's fsGroup",
        lambda r: _get(r, "requestObject", "spec", "securityContext", "fsGroup"),
    )
    _list(
        "ka.req.pod.supplemental_groups",
        "the pod's supplementalGroups",
        lambda r: _get(r, "requestObject", "spec", "securityContext", "supplementalGroups"),
    )
    _list(
        "ka.req.pod.containers.add_capabilities",
        "capabilities added to any container",
        _flat_per_container(lambda c: _get(c, "securityContext", "capabilities", "add")),
    )
    S("ka.req.service.type", "the service type", lambda r: _get(r, "requestObject", "spec", "type"))
    _list(
        "ka.req.service.ports",
        "the service's ports (JSON)",
        lambda r: _get(r, "requestObject", "spec", "ports"),
    )
    _list(
        "ka.req.pod.volumes.hostpath",
        "hostPath paths of all volumes",
        _volumes(lambda v: _get(v, "hostPath", "path")),
    )
    define(
        FieldDef(
            name="ka.req.volume.hostpath",
            type="string",
            doc="true when any hostPath volume starts with the given path (deprecated)",
            factory=_hostpath_prefix,
            source=K8S,
            arg="required",
            arg_doc="path",
        )
    )
    _list(
        "ka.req.pod.volumes.flexvolume_driver",
        "flexVolume drivers of all volumes",
        _volumes(lambda v: _get(v, "flexVolume", "driver")),
    )
    _list(
        "ka.req.pod.volumes.volume_type",
        "volume types of all volumes (hostPath, configMap, ...)",
        _volumes(lambda v: next((k for k in v if k != "name"), None)),
    )
    S(
        "ka.resp.name",
        "the response object name",
        lambda r: _get(r, "responseObject", "metadata", "name"),
    )
    S("ka.response.code", "the response code", lambda r: _get(r, "responseStatus", "code"))
    S("ka.response.reason", "the response reason", lambda r: _get(r, "responseStatus", "reason"))
    S("ka.useragent", "the user agent of the client", lambda r: r.get("userAgent"))
    _list("ka.sourceips", "the client IP addresses", lambda r: r.get("sourceIPs"))
    for prefix in ("jevt", "json"):
        define(
            FieldDef(
                name=f"{prefix}.value",
                type="string",
                doc="a value of the audit record by JSON pointer (jevt.value[/user/username])",
                factory=_jvalue,
                source=K8S,
                arg="required",
                arg_doc="JSON pointer",
            )
        )
        define(
            FieldDef(
                name=f"{prefix}.obj",
                type="string",
                doc="the whole audit record as JSON",
                factory=lambda _a: lambda e: _text(_rec(e)),
                source=K8S,
            )
        )
    define(
        FieldDef(
            name="jevt.time",
            type="string",
            doc="event time as HH:MM:SS.nnnnnnnnn",
            factory=lambda _a: lambda e: _fmt_time(e.time),
            source=K8S,
        )
    )
    define(
        FieldDef(
            name="jevt.time.iso8601",
            type="string",
            doc="event time in ISO 8601",
            factory=lambda _a: lambda e: format_time_ns(e.time),
            source=K8S,
        )
    )
    define(
        FieldDef(
            name="jevt.rawtime",
            type="abstime",
            doc="event time in nanoseconds since the epoch",
            factory=lambda _a: lambda e: e.time,
            source=K8S,
        )
    )


def _hostpath_prefix(arg: str | None) -> Extractor:
    prefix = arg or ""
    paths = _volumes(lambda v: _get(v, "hostPath", "path"))

    def ex(e: Event) -> Any:
        r = _rec(e)
        if r is None:
            return None
        found = paths(r)
        if found is None:
            return None
        return "true" if any(str(p).startswith(prefix) for p in found) else "false"

    return ex


_define_all()
__all__ = ["Factory"]
