"""Kyverno ``match``/``exclude``: resource filters (kinds, names, namespaces, selectors,
operations, annotations) and subjects, in ``any``/``all`` blocks or the legacy flat form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardhull.policy.base import AdmissionInput, label_expression_holds
from hardhull.policy.kyverno.values import has_wildcard, wildcard_match


def _split_kind(spec: str) -> tuple[list[str], str]:
    """A ``kinds`` entry (``apps/v1/Deployment``, ``Pod/exec``) as its group/version/kind
    parts and its subresource (``""`` when none)."""
    parts = spec.split("/")
    if len(parts) >= 2 and parts[-1][:1].islower() and parts[-2][:1].isupper():
        return parts[:-1], parts[-1]
    return parts, ""


def _kind_matches(spec: str, kind: str, api_version: str, subresource: str) -> bool:
    group, _, version = api_version.rpartition("/")
    parts, sub = _split_kind(spec)
    if sub != subresource and not (sub and wildcard_match(sub, subresource)):
        return False
    if len(parts) == 1:
        return wildcard_match(parts[0], kind)
    if len(parts) == 2:
        return wildcard_match(parts[0], version) and wildcard_match(parts[1], kind)
    g, v, k = parts[-3], parts[-2], parts[-1]
    return wildcard_match(g, group) and wildcard_match(v, version) and wildcard_match(k, kind)


def selector_matches(selector: Any, labels: Mapping[str, Any]) -> bool:
    """A LabelSelector (``matchLabels`` with wildcards, ``matchExpressions``)."""
    if not isinstance(selector, Mapping):
        return True
    for k, v in (selector.get("matchLabels") or {}).items():
        if not any(
            wildcard_match(str(k), str(lk)) and wildcard_match(str(v), str(lv))
            for lk, lv in labels.items()
        ):
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op = str(expr.get("key")), str(expr.get("operator"))
        values = [str(x) for x in expr.get("values") or []]
        if not label_expression_holds(labels, key, op, values):
            return False
    return True


def _meta(inp: AdmissionInput) -> Mapping[str, Any]:
    obj = inp.obj if inp.obj is not None else inp.old_obj
    meta = obj.get("metadata") if obj else None
    return meta if isinstance(meta, Mapping) else {}


def _resources_match(res: Mapping[str, Any], inp: AdmissionInput) -> bool:
    kinds = res.get("kinds") or []
    if kinds and not any(
        _kind_matches(str(k), inp.kind, inp.api_version, inp.subresource) for k in kinds
    ):
        return False
    names = list(res.get("names") or [])
    if res.get("name"):
        names.append(res["name"])
    if names and not any(wildcard_match(str(n), inp.name) for n in names):
        return False
    namespaces = res.get("namespaces") or []
    if namespaces:
        ns = inp.namespace if inp.kind != "Namespace" else inp.name
        if not any(wildcard_match(str(n), ns) for n in namespaces):
            return False
    ops = res.get("operations") or []
    if ops and inp.operation not in [str(o) for o in ops]:
        return False
    meta = _meta(inp)
    if "selector" in res:
        labels = meta.get("labels") or {}
        if not selector_matches(res["selector"], labels):
            return False
    annotations = res.get("annotations")
    if isinstance(annotations, Mapping):
        have = meta.get("annotations") or {}
        for k, v in annotations.items():
            if not any(
                wildcard_match(str(k), str(hk)) and wildcard_match(str(v), str(hv))
                for hk, hv in have.items()
            ):
                return False
    if "namespaceSelector" in res:
        ns_obj = inp.namespace_obj or {}
        ns_meta = ns_obj.get("metadata") or {}
        if not selector_matches(res["namespaceSelector"], ns_meta.get("labels") or {}):
            return False
    return True


def _subjects_match(flt: Mapping[str, Any], inp: AdmissionInput) -> bool:
    subjects = flt.get("subjects") or []
    if subjects:
        user = str(inp.user_info.get("username", ""))
        groups = [str(g) for g in inp.user_info.get("groups") or []]
        hit = False
        for s in subjects:
            kind, name = s.get("kind"), str(s.get("name", ""))
            in_group = kind == "Group" and any(wildcard_match(name, g) for g in groups)
            if (kind == "User" and wildcard_match(name, user)) or in_group:
                hit = True
            elif kind == "ServiceAccount":
                sa = f"system:serviceaccount:{s.get('namespace', '')}:{name}"
                hit = hit or wildcard_match(sa, user)
        if not hit:
            return False
    for field, info_key in (("roles", "roles"), ("clusterRoles", "clusterRoles")):
        wanted = flt.get(field) or []
        if wanted:
            have = [str(r) for r in inp.user_info.get(info_key) or []]
            if not any(wildcard_match(str(w), h) for w in wanted for h in have):
                return False
    return True


def filter_matches(flt: Mapping[str, Any], inp: AdmissionInput) -> bool:
    """One ResourceFilter (``resources`` + subjects/roles)."""
    res = flt.get("resources")
    if isinstance(res, Mapping) and not _resources_match(res, inp):
        return False
    return _subjects_match(flt, inp)


# Filter keys whose outcome depends only on the request's kind, apiVersion, subresource,
# operation, name and namespace: blocks made of nothing else are memoised on those.
_REQUEST_ONLY = frozenset({"kinds", "names", "name", "namespaces", "operations"})
# block id -> (block, what its answers depend on or None, {request key: answer}); the
# block is kept alive and compared by identity, so a reused id can never give a wrong
# answer.
_BLOCK_MEMO: dict[int, tuple[Any, tuple[bool, bool] | None, dict[tuple[str, ...], bool]]] = {}
_MAX_BLOCKS = 4096
_MAX_ANSWERS = 1024


def _dependencies(block: Mapping[str, Any]) -> tuple[bool, bool] | None:
    """(uses names, uses namespaces) when only request fields decide ``block``, else
    ``None``."""
    filters = list(block.get("any") or []) + list(block.get("all") or [])
    if "resources" in block or "subjects" in block or "roles" in block:
        filters.append(block)
    names = namespaces = False
    for flt in filters:
        if not isinstance(flt, Mapping):
            return None
        for key, value in flt.items():
            if key in ("any", "all"):
                continue
            if key in ("subjects", "roles", "clusterRoles"):
                if value:
                    return None
            elif key == "resources":
                if not isinstance(value, Mapping) or not set(value) <= _REQUEST_ONLY:
                    return None
                names = names or bool(value.get("names") or value.get("name"))
                namespaces = namespaces or bool(value.get("namespaces"))
            else:
                return None
    return names, namespaces


def block_matches(block: Any, inp: AdmissionInput, *, empty: bool) -> bool:
    """A match/exclude block; ``empty`` is the answer for an absent/empty block."""
    if not isinstance(block, Mapping) or not block:
        return empty
    entry = _BLOCK_MEMO.get(id(block))
    if entry is None or entry[0] is not block:
        if len(_BLOCK_MEMO) >= _MAX_BLOCKS:
            _BLOCK_MEMO.clear()
        entry = (block, _dependencies(block), {})
        _BLOCK_MEMO[id(block)] = entry
    deps = entry[1]
    if deps is None:
        return _block_matches(block, inp, empty)
    names, namespaces = deps
    key = (
        inp.kind, inp.api_version, inp.subresource, inp.operation,
        inp.name if names or namespaces else "", inp.namespace if namespaces else "",
    )  # fmt: skip
    answers = entry[2]
    hit = answers.get(key)
    if hit is None:
        hit = _block_matches(block, inp, empty)
        if len(answers) >= _MAX_ANSWERS:
            answers.clear()
        answers[key] = hit
    return hit


def _block_matches(block: Mapping[str, Any], inp: AdmissionInput, empty: bool) -> bool:
    any_list = block.get("any")
    all_list = block.get("all")
    if any_list:
        return any(filter_matches(f, inp) for f in any_list)
    if all_list:
        return all(filter_matches(f, inp) for f in all_list)
    if "resources" in block or "subjects" in block or "roles" in block:
        return filter_matches(block, inp)
    return empty


def block_kinds(block: Any) -> list[str]:
    """Every kind named in a match/exclude block."""
    if not isinstance(block, Mapping):
        return []
    filters = list(block.get("any") or []) + list(block.get("all") or [])
    if "resources" in block:
        filters.append(block)
    out: list[str] = []
    for f in filters:
        res = f.get("resources") if isinstance(f, Mapping) else None
        if isinstance(res, Mapping):
            out.extend(str(k) for k in res.get("kinds") or [])
    return out


def _kind_name(spec: str) -> str:
    """The kind part of a ``kinds`` entry, as :func:`_kind_matches` reads it."""
    return _split_kind(spec)[0][-1]


def _filter_kinds(flt: Any) -> frozenset[str] | None:
    res = flt.get("resources") if isinstance(flt, Mapping) else None
    kinds = res.get("kinds") if isinstance(res, Mapping) else None
    if not kinds:
        return None
    names = frozenset(_kind_name(str(k)) for k in kinds)
    return None if any(has_wildcard(n) for n in names) else names


def candidate_kinds(block: Any) -> frozenset[str] | None:
    """The only request kinds a ``match`` block can select (a necessary condition worked
    out once per rule), or ``None`` when it does not restrict kinds to a fixed set."""
    if not isinstance(block, Mapping) or not block:
        return None
    any_list = block.get("any")
    all_list = block.get("all")
    if any_list:
        found: set[str] = set()
        for flt in any_list:
            kinds = _filter_kinds(flt)
            if kinds is None:
                return None
            found |= kinds
        return frozenset(found)
    if all_list:
        for flt in all_list:
            kinds = _filter_kinds(flt)
            if kinds is not None:
                return kinds
        return None
    if "resources" in block or "subjects" in block or "roles" in block:
        return _filter_kinds(block)
    return None
