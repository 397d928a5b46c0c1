"""Write real OCI layouts and docker-archives (from tar layers built in tests)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

from tests.unit.sources.layerkit import compress, sha

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def config_doc(diff_ids: list[str], arch: str = "amd64", **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "architecture": arch,
        "os": "linux",
        "created": "2024-01-02T03:04:05Z",
        "config": {"Env": ["PATH=/bin"], "Cmd": ["/bin/sh"], "User": "1000"},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": f"step {i}"} for i in range(len(diff_ids))],
    }
    doc.update(extra)
    return doc


class Layout:
    """An OCI image layout directory being written."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')

    def blob(self, data: bytes) -> str:
        digest = sha(data)
        (self.root / "blobs" / "sha256" / digest[7:]).write_bytes(data)
        return digest

    def json_blob(self, doc: object) -> tuple[str, int]:
        data = json.dumps(doc).encode()
        return self.blob(data), len(data)

    def image(self, tars: list[bytes], how: str = "gzip", arch: str = "amd64") -> dict[str, Any]:
        """Write layers, config and manifest; return the manifest descriptor."""
        layers = []
        for tar in tars:
            data = compress(tar, how)
            suffix = {"gzip": "+gzip", "zstd": "+zstd", "none": ""}[how]
            layers.append(
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar" + suffix,
                    "digest": self.blob(data),
                    "size": len(data),
                }
            )
        cfg_digest, cfg_size = self.json_blob(config_doc([sha(t) for t in tars], arch))
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": cfg_digest,
                "size": cfg_size,
            },
            "layers": layers,
        }
        digest, size = self.json_blob(manifest)
        return {"mediaType": OCI_MANIFEST, "digest": digest, "size": size}

    def index(self, descriptors: list[dict[str, Any]]) -> None:
        doc = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors}
        (self.root / "index.json").write_text(json.dumps(doc))


def tar_dir(src: Path, dest: Path, links: dict[str, str] | None = None) -> Path:
    """Tar the contents of ``src`` (names relative to it), plus optional symlink members."""
    with tarfile.open(dest, "w") as tar:
        for path in sorted(src.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(src)), recursive=False)
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return dest


def docker_archive(
    dest: Path,
    tars: list[bytes],
    *,
    new_style: bool = False,
    via_links: bool = False,
    tags: list[str] | None = None,
) -> Path:
    """A docker-archive in the classic (``<id>/layer.tar``) or Docker >= 25 form.

    ``via_links``: the manifest names ``<id>/layer.tar`` symlinks to the blobs.
    """
    members: dict[str, bytes] = {}
    links: dict[str, str] = {}
    diff_ids = [sha(t) for t in tars]
    cfg = json.dumps(config_doc(diff_ids)).encode()
    layer_names = []
    if new_style:
        config_name = f"blobs/sha256/{sha(cfg)[7:]}"
        for tar in tars:
            name = f"blobs/sha256/{sha(tar)[7:]}"
            members[name] = tar
            link = f"{sha(tar)[7:19]}/layer.tar"
            links[link] = f"../{name}"
            layer_names.append(link if via_links else name)
    else:
        config_name = f"{sha(cfg)[7:]}.json"
        for i, tar in enumerate(tars):
            name = f"layer{i:02d}/layer.tar"
            members[name] = tar
            layer_names.append(name)
    members[config_name] = cfg
    manifest = [{"Config": config_name, "RepoTags": tags or [], "Layers": layer_names}]
    members["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(dest, "w") as out:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
        for name, target in links.items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            out.addfile(info)
    return dest
