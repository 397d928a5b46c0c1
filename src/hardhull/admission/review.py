"""AdmissionReview v1: strict request parsing and response building.

Parsing is by hand over :func:`orjson.loads` (no model layer on the hot path): every
field the webhook relies on is type-checked, and anything malformed raises
:class:`ReviewError` carrying the request ``uid`` when one was readable, so the server
can still answer with a well-formed AdmissionReview (status code 400).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from hardhull.model import ResourceRef
from hardhull.policy.base import AdmissionInput

API_VERSION = "admission.k8s.io/v1"
KIND = "AdmissionReview"
MAX_BODY_BYTES = 3 * 1024 * 1024  # the API server's own request limit
OPERATIONS = frozenset({"CREATE", "UPDATE", "DELETE", "CONNECT"})
MAX_WARNING_CHARS = 256  # the API server truncates longer webhook warnings
MAX_WARNINGS_BYTES = 4096  # total size of warnings the API server keeps per response
MAX_ANNOTATION_VALUE = 10 * 1024


class ReviewError(Exception):
    """A malformed AdmissionReview; ``uid`` is set when the request's uid was readable."""

    def __init__(self, message: str, uid: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.uid = uid


@dataclass(frozen=True)
class Review:
    """A validated AdmissionReview request: its ``uid`` and the policy input."""

    uid: str
    input: AdmissionInput
    raw_request: Mapping[str, Any] = field(compare=False, repr=False)


def _str(req: Mapping[str, Any], key: str, uid: str | None, *, required: bool = False) -> str:
    value = req.get(key)
    if value is None:
        if required:
            raise ReviewError(f"request.{key} is missing", uid)
        return ""
    if not isinstance(value, str):
        raise ReviewError(f"request.{key} must be a string", uid)
    return value


def _obj(req: Mapping[str, Any], key: str, uid: str) -> Mapping[str, Any] | None:
    value = req.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ReviewError(f"request.{key} must be an object", uid)
    return value


def _gvk(req: Mapping[str, Any], key: str, uid: str) -> Mapping[str, Any]:
    value = req.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ReviewError(f"request.{key} must be an object of strings", uid)
    return value


def parse_review(body: bytes) -> Review:
    """Parse and validate an AdmissionReview v1 request body.

    For DELETE the object under review is ``oldObject`` (the API server sends no
    ``object``); it is passed to policies as ``obj`` as well as ``old_obj``."""
    if len(body) > MAX_BODY_BYTES:
        raise ReviewError(f"request body larger than {MAX_BODY_BYTES} bytes")
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ReviewError(f"request body is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ReviewError("AdmissionReview must be a JSON object")
    req = doc.get("request")
    uid: str | None = None
    if isinstance(req, dict):
        raw_uid = req.get("uid")
        if isinstance(raw_uid, str) and raw_uid:
            uid = raw_uid
    if doc.get("apiVersion") != API_VERSION:
        raise ReviewError(f"apiVersion must be {API_VERSION}, not {doc.get('apiVersion')!r}", uid)
    if doc.get("kind") != KIND:
        raise ReviewError(f"kind must be {KIND}, not {doc.get('kind')!r}", uid)
    if not isinstance(req, dict):
        raise ReviewError("AdmissionReview has no request object")
    if uid is None:
        raise ReviewError("request.uid is missing or empty")
    operation = _str(req, "operation", uid, required=True)
    if operation not in OPERATIONS:
        raise ReviewError(
            f"request.operation {operation!r} is not one of {sorted(OPERATIONS)}", uid
        )
    kind = _gvk(req, "kind", uid)
    resource = _gvk(req, "resource", uid)
    obj = _obj(req, "object", uid)
    old = _obj(req, "oldObject", uid)
    user = req.get("userInfo")
    if user is not None and not isinstance(user, dict):
        raise ReviewError("request.userInfo must be an object", uid)
    dry_run = req.get("dryRun", False)
    if dry_run is None:
        dry_run = False
    if not isinstance(dry_run, bool):
        raise ReviewError("request.dryRun must be a boolean", uid)
    if operation == "DELETE":
        obj = old if obj is None else obj
    elif operation in ("CREATE", "UPDATE") and obj is None:
        raise ReviewError(f"request.object is missing for {operation}", uid)
    if operation == "UPDATE" and old is None:
        raise ReviewError("request.oldObject is missing for UPDATE", uid)
    namespace = _str(req, "namespace", uid)
    name = _str(req, "name", uid)
    if not name and obj is not None:
        meta = obj.get("metadata")
        if isinstance(meta, dict):
            name = meta.get("name") or meta.get("generateName") or ""
            name = name if isinstance(name, str) else ""
    group = kind.get("group", "")
    version = kind.get("version", "")
    api_version = f"{group}/{version}" if group else version
    kind_name = kind.get("kind", "")
    inp = AdmissionInput(
        obj=obj,
        operation=operation,
        old_obj=old,
        kind=kind_name,
        api_version=api_version,
        resource=resource.get("resource", ""),
        subresource=_str(req, "subResource", uid),
        namespace=namespace,
        name=name,
        user_info=user or {},
        dry_run=dry_run,
        ref=ResourceRef(kind_name, name, namespace or None, api_version),
    )
    return Review(uid, inp, req)


def clean_warnings(warnings: Iterable[str]) -> list[str]:
    """Warnings as the API server accepts them: printable, one line, each at most
    :data:`MAX_WARNING_CHARS` characters, at most :data:`MAX_WARNINGS_BYTES` in total,
    duplicates dropped."""
    out: list[str] = []
    seen: set[str] = set()
    total = 0
    for warning in warnings:
        text = "".join(c if c.isprintable() else " " for c in warning).strip()
        if len(text) > MAX_WARNING_CHARS:
            text = text[: MAX_WARNING_CHARS - 3] + "..."
        if not text or text in seen:
            continue
        size = len(text.encode())
        if total + size > MAX_WARNINGS_BYTES:
            break
        seen.add(text)
        total += size
        out.append(text)
    return out


def _annotations(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in pairs:
        if key and key not in out:
            out[key] = value[:MAX_ANNOTATION_VALUE]
    return out


def build_response(
    uid: str,
    *,
    allowed: bool,
    code: int | None = None,
    message: str = "",
    reason: str = "",
    warnings: Sequence[str] = (),
    audit_annotations: Iterable[tuple[str, str]] = (),
    patch: Sequence[Mapping[str, Any]] = (),
) -> bytes:
    """An AdmissionReview v1 response body (JSON bytes)."""
    response: dict[str, Any] = {"uid": uid, "allowed": allowed}
    if code is not None or message:
        status: dict[str, Any] = {}
        if code is not None:
            status["code"] = code
        if message:
            status["message"] = message
        if reason:
            status["reason"] = reason
        response["status"] = status
    cleaned = clean_warnings(warnings)
    if cleaned:
        response["warnings"] = cleaned
    annotations = _annotations(audit_annotations)
    if annotations:
        response["auditAnnotations"] = annotations
    if patch and allowed:
        response["patchType"] = "JSONPatch"
        response["patch"] = base64.b64encode(orjson.dumps(list(patch))).decode("ascii")
    return orjson.dumps({"apiVersion": API_VERSION, "kind": KIND, "response": response})


def error_response(err: ReviewError) -> tuple[int, bytes]:
    """HTTP status and body for a malformed request: an AdmissionReview with status 400
    when the uid is known, else a plain JSON error with HTTP 400."""
    if err.uid:
        body = build_response(
            err.uid, allowed=False, code=400, message=err.message, reason="BadRequest"
        )
        return 200, body
    return 400, orjson.dumps({"error": err.message, "code": 400})
