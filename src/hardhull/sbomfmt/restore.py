"""Model values back from hardhull JSON sections (the native document, SPDX annotations)."""

from __future__ import annotations

from typing import Any

from hardhull.model import (
    Coverage,
    Distro,
    FileEntry,
    FileKind,
    Gap,
    ImageConfig,
    LayerInfo,
    Location,
    Package,
    PackageType,
    Relationship,
    SourceInfo,
)
from hardhull.sbomfmt.docread import DocReader


def _opt(r: DocReader, obj: dict[str, Any], key: str, path: str) -> str | None:
    return r.opt_str(obj, key, path)


def _int(r: DocReader, obj: dict[str, Any], key: str, path: str, default: int = 0) -> int:
    value = obj.get(key)
    return default if value is None else r.integer(value, f"{path}.{key}")


def package_type(r: DocReader, value: str, path: str) -> PackageType:
    """A :class:`PackageType` from its JSON value."""
    try:
        return PackageType(value)
    except ValueError:
        raise r.error(path, f"unknown package type {value!r}") from None


def locations(r: DocReader, items: list[Any], path: str) -> tuple[Location, ...]:
    """Locations written as ``{"path", "layer"}`` objects or ``[path, layer]`` pairs."""
    out = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        if isinstance(item, list):
            if not item or len(item) > 2:
                raise r.error(where, "expected [path, layer]")
            layer = item[1] if len(item) == 2 else None
            out.append(
                Location(
                    r.string(item[0], where + "[0]"),
                    None if layer is None else r.string(layer, where + "[1]"),
                )
            )
        else:
            obj = r.obj(item, where)
            out.append(Location(r.req_str(obj, "path", where), _opt(r, obj, "layer", where)))
    return tuple(out)


def metadata(r: DocReader, value: Any, path: str) -> tuple[tuple[str, str], ...]:
    """Metadata written as an object or as ``[key, value]`` pairs, kept in order."""
    if value is None:
        return ()
    if isinstance(value, dict):
        return tuple((str(k), r.string(v, f"{path}.{k}")) for k, v in value.items())
    pairs = []
    for i, pair in enumerate(r.arr(value, path)):
        items = r.arr(pair, f"{path}[{i}]")
        if len(items) != 2:
            raise r.error(f"{path}[{i}]", "expected [key, value]")
        pairs.append((r.string(items[0], f"{path}[{i}][0]"), r.string(items[1], f"{path}[{i}][1]")))
    return tuple(pairs)


def package(
    r: DocReader, obj: dict[str, Any], path: str, base: dict[str, Any] | None = None
) -> Package:
    """A package from a native entry; ``base`` supplies name/version/purl when given."""
    src = {**obj, **(base or {})}
    return Package(
        name=r.req_str(src, "name", path),
        version=r.opt_str(src, "version", path) or "",
        type=package_type(r, r.req_str(obj, "type", path), f"{path}.type"),
        purl=r.opt_str(src, "purl", path) or "",
        locations=locations(r, r.opt_list(obj, "locations", path), f"{path}.locations"),
        found_by=r.opt_str(obj, "found_by", path) or "",
        licenses=r.str_list(obj, "licenses", path),
        cpes=r.str_list(obj, "cpes", path),
        arch=_opt(r, obj, "arch", path),
        source_name=_opt(r, obj, "source_name", path),
        source_version=_opt(r, obj, "source_version", path),
        distro=_opt(r, obj, "distro", path),
        metadata=metadata(r, obj.get("metadata"), f"{path}.metadata"),
    )


def distro(r: DocReader, value: Any, path: str) -> Distro | None:
    """The distro section (``null`` -> None)."""
    if value is None:
        return None
    obj = r.obj(value, path)
    return Distro(
        id=r.req_str(obj, "id", path),
        version_id=_opt(r, obj, "version_id", path),
        name=_opt(r, obj, "name", path),
        pretty_name=_opt(r, obj, "pretty_name", path),
        version_codename=_opt(r, obj, "version_codename", path),
        id_like=r.str_list(obj, "id_like", path),
    )


def coverage(r: DocReader, value: Any, path: str) -> Coverage:
    """The coverage section."""
    obj = r.obj(value, path)
    gaps = []
    for where, g in r.objects(obj, "gaps", path):
        gaps.append(
            Gap(
                r.req_str(g, "kind", where),
                r.req_str(g, "subject", where),
                r.req_str(g, "detail", where),
            )
        )
    return Coverage(
        layers_read=r.str_list(obj, "layers_read", path),
        files_examined=_int(r, obj, "files_examined", path),
        package_databases=r.str_list(obj, "package_databases", path),
        catalogers=r.str_list(obj, "catalogers", path),
        unidentified_executables=r.str_list(obj, "unidentified_executables", path),
        gaps=tuple(gaps),
    )


def _config(r: DocReader, value: Any, path: str) -> ImageConfig | None:
    if value is None:
        return None
    obj = r.obj(value, path)
    labels = r.opt_obj(obj, "labels", path) or {}
    health = obj.get("healthcheck")
    return ImageConfig(
        architecture=_opt(r, obj, "architecture", path),
        os=_opt(r, obj, "os", path),
        variant=_opt(r, obj, "variant", path),
        user=_opt(r, obj, "user", path),
        env=r.str_list(obj, "env", path),
        entrypoint=r.str_list(obj, "entrypoint", path),
        cmd=r.str_list(obj, "cmd", path),
        working_dir=_opt(r, obj, "working_dir", path),
        labels=tuple((k, r.string(v, f"{path}.labels.{k}")) for k, v in labels.items()),
        exposed_ports=r.str_list(obj, "exposed_ports", path),
        healthcheck=None if health is None else r.str_list(obj, "healthcheck", path),
        history=r.str_list(obj, "history", path),
        created=_opt(r, obj, "created", path),
    )


def source(r: DocReader, value: Any, path: str) -> SourceInfo:
    """The source section, image layers and config included."""
    obj = r.obj(value, path)
    layers = []
    for where, lay in r.objects(obj, "layers", path):
        layers.append(
            LayerInfo(
                digest=r.req_str(lay, "digest", where),
                media_type=r.opt_str(lay, "media_type", where) or "",
                size=_int(r, lay, "size", where),
                diff_id=_opt(r, lay, "diff_id", where),
                created_by=_opt(r, lay, "created_by", where),
            )
        )
    return SourceInfo(
        scheme=r.req_str(obj, "scheme", path),
        target=r.req_str(obj, "target", path),
        name=_opt(r, obj, "name", path),
        manifest_digest=_opt(r, obj, "manifest_digest", path),
        config_digest=_opt(r, obj, "config_digest", path),
        platform=_opt(r, obj, "platform", path),
        tags=r.str_list(obj, "tags", path),
        layers=tuple(layers),
        config=_config(r, obj.get("config"), f"{path}.config"),
    )


def relationships(r: DocReader, items: list[Any], path: str) -> tuple[Relationship, ...]:
    """The relationships section."""
    out = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        rel = r.obj(item, where)
        out.append(
            Relationship(
                r.req_str(rel, "parent", where),
                r.req_str(rel, "kind", where),
                r.req_str(rel, "child", where),
            )
        )
    return tuple(out)


def files(r: DocReader, items: list[Any], path: str) -> tuple[FileEntry, ...]:
    """The file index."""
    out = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        f = r.obj(item, where)
        kind = r.req_str(f, "kind", where)
        try:
            file_kind = FileKind(kind)
        except ValueError:
            raise r.error(f"{where}.kind", f"unknown file kind {kind!r}") from None
        out.append(
            FileEntry(
                path=r.req_str(f, "path", where),
                kind=file_kind,
                mode=_int(r, f, "mode", where),
                size=_int(r, f, "size", where),
                layer=_opt(r, f, "layer", where),
                uid=_int(r, f, "uid", where),
                gid=_int(r, f, "gid", where),
                link=_opt(r, f, "link", where),
                digest=_opt(r, f, "digest", where),
            )
        )
    return tuple(out)
