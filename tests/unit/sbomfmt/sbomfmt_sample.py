"""Small hand-built Sboms and schema validators shared by the sbomfmt tests."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import cyclonedx.schema._res as cdx_res
import jsonschema_rs
import pytest

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
    Sbom,
    SourceInfo,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sbomfmt"
GOLDEN = FIXTURES / "golden"
L1 = "sha256:" + "1" * 64
L2 = "sha256:" + "2" * 64


def make_pkg(**kw: Any) -> Package:
    base: dict[str, Any] = {"found_by": "test-cataloger"}
    base.update(kw)
    return Package(**base)


LIBC = make_pkg(
    name="libc6",
    version="2.36-9+deb12u4",
    type=PackageType.DEB,
    purl="pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc",
    locations=(Location("/var/lib/dpkg/status", L1),),
    found_by="dpkg",
    licenses=("GPL-2.0-or-later", "LGPL-2.1-or-later"),
    arch="amd64",
    source_name="glibc",
    source_version="2.36-9+deb12u4",
    distro="debian-12",
)
REQUESTS = make_pkg(
    name="requests",
    version="2.31.0",
    type=PackageType.PYTHON,
    purl="pkg:pypi/requests@2.31.0",
    locations=(
        Location("/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA", L2),
        Location("/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/RECORD", L2),
    ),
    found_by="python",
    licenses=("Apache 2.0",),
    cpes=("cpe:2.3:a:python:requests:2.31.0:*:*:*:*:*:*:*",),
)
URLLIB3 = make_pkg(
    name="urllib3",
    version="2.0.7",
    type=PackageType.PYTHON,
    purl="pkg:pypi/urllib3@2.0.7",
    locations=(Location("/usr/lib/python3/dist-packages/urllib3-2.0.7.dist-info/METADATA", L2),),
    found_by="python",
    licenses=("mit",),
)
DUAL = make_pkg(
    name="@scope/dual",
    version="1.0.0",
    type=PackageType.NPM,
    purl="pkg:npm/%40scope/dual@1.0.0",
    locations=(Location("/app/node_modules/@scope/dual/package.json", L2),),
    found_by="npm",
    licenses=("MIT OR Apache-2.0",),
)
GOMOD = make_pkg(
    name="github.com/spf13/cobra",
    version="v1.8.0",
    type=PackageType.GO,
    purl="pkg:golang/github.com/spf13/cobra@v1.8.0",
    locations=(Location("/usr/local/bin/app", L2),),
    found_by="go-binary",
    cpes=(
        "cpe:2.3:a:spf13:cobra:v1.8.0:*:*:*:*:*:*:*",
        "cpe:2.3:a:cobra:cobra:v1.8.0:*:*:*:*:*:*:*",
    ),
    metadata=(("go_version", "go1.22.1"), ("main_module", "example.com/app")),
)
BUSYBOX = make_pkg(
    name="busybox",
    version="1.36.1",
    type=PackageType.BINARY,
    purl="",
    locations=(Location("/bin/busybox", L1),),
    found_by="binary",
)
PACKAGES = (LIBC, REQUESTS, URLLIB3, DUAL, GOMOD, BUSYBOX)

COVERAGE = Coverage(
    layers_read=(L1, L2),
    files_examined=1234,
    package_databases=(
        "/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA",
        "/var/lib/dpkg/status",
    ),
    catalogers=("dpkg", "python", "npm", "go-binary", "binary"),
    unidentified_executables=("/opt/tool/run", "/usr/local/bin/mystery"),
    gaps=(
        Gap("too-large", "/data/huge.bin", "file of 10737418240 bytes exceeds the 32 MiB limit"),
        Gap("unreadable-file", "/etc/shadow-", "permission bits unreadable: EACCES"),
        Gap("unreadable-file", "/var/cache/x", "truncated entry"),
    ),
)

SOURCE = SourceInfo(
    scheme="oci-archive",
    target="/tmp/app.tar",
    name="localhost/app:1.0",
    manifest_digest="sha256:" + "a" * 64,
    config_digest="sha256:" + "c" * 64,
    platform="linux/amd64",
    tags=("localhost/app:1.0",),
    layers=(
        LayerInfo(L1, "application/vnd.oci.image.layer.v1.tar+gzip", 1000, diff_id=L1),
        LayerInfo(L2, "application/vnd.oci.image.layer.v1.tar+zstd", 2000, diff_id=L2),
    ),
    config=ImageConfig(architecture="amd64", os="linux", user="app", labels=(("a", "b"),)),
)

DEBIAN = Distro(
    id="debian",
    version_id="12",
    name="Debian GNU/Linux",
    pretty_name="Debian GNU/Linux 12 (bookworm)",
    version_codename="bookworm",
)


def sample_sbom() -> Sbom:
    """An image Sbom touching every writer feature."""
    return Sbom(
        source=SOURCE,
        packages=tuple(sorted(PACKAGES, key=Package.sort_key)),
        coverage=COVERAGE,
        distro=DEBIAN,
        relationships=(
            Relationship(REQUESTS.id, "depends-on", URLLIB3.id),
            Relationship(GOMOD.id, "contains", BUSYBOX.id),
            Relationship(REQUESTS.id, "depends-on", "not-a-package"),
        ),
        files=(FileEntry("/bin/busybox", FileKind.FILE, 0o755, 100, layer=L1),),
        tool="hardhull",
        tool_version="0.1.0",
        created="2026-01-02T03:04:05Z",
    )


def scratch_sbom() -> Sbom:
    """A FROM-scratch image with one static binary: nothing lists its software."""
    return Sbom(
        source=SourceInfo(scheme="dir", target="/srv/rootfs"),
        packages=(),
        coverage=Coverage(
            files_examined=1,
            catalogers=("dpkg", "binary"),
            unidentified_executables=("/app",),
        ),
        tool="hardhull",
        tool_version="0.1.0",
        created="2026-01-02T03:04:05Z",
    )


def big_sbom(n: int = 5000, files: int = 50000) -> Sbom:
    """An Sbom of image size: ``n`` packages and ``files`` file entries."""
    pkgs = tuple(
        make_pkg(
            name=f"pkg{i:05d}",
            version=f"1.{i}.0",
            type=PackageType.DEB if i % 2 else PackageType.PYTHON,
            purl=f"pkg:{'deb/debian' if i % 2 else 'pypi'}/pkg{i:05d}@1.{i}.0",
            locations=(Location(f"/usr/lib/p{i}/METADATA", L1),),
            licenses=("MIT",) if i % 3 else ("Some License",),
        )
        for i in range(n)
    )
    entries = tuple(FileEntry(f"/f/{i}", FileKind.FILE, 0o644, i, layer=L1) for i in range(files))
    rels = tuple(Relationship(pkgs[i].id, "depends-on", pkgs[i + 1].id) for i in range(n - 1))
    return Sbom(
        source=SOURCE,
        packages=pkgs,
        coverage=COVERAGE,
        distro=DEBIAN,
        relationships=rels,
        files=entries,
        tool="hardhull",
        tool_version="0.1.0",
        created="2026-01-02T03:04:05Z",
    )


def _cdx_retrieve(uri: str) -> Any:
    name = uri.rsplit("/", 1)[-1]
    path = Path(cdx_res.__file__).parent / name
    if not path.is_file():
        raise FileNotFoundError(f"schema {uri} is not bundled")
    return json.loads(path.read_text())


def cyclonedx_validator() -> Any:
    """jsonschema-rs validator for the official CycloneDX 1.6 schema (with formats)."""
    schema = json.loads(
        (Path(cdx_res.__file__).parent / "bom-1.6.SNAPSHOT.schema.json").read_text()
    )
    return jsonschema_rs.validator_for(schema, retriever=_cdx_retrieve, validate_formats=True)


def spdx_validator() -> Any:
    """jsonschema-rs validator for the official SPDX 2.3 schema (stored fixture)."""
    schema = json.loads((FIXTURES / "spdx-schema-2.3.json").read_text())
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def assert_valid(validator: Any, data: bytes) -> None:
    """Fail with every schema error listed."""
    doc = json.loads(data)
    errors = [f"{list(e.instance_path)}: {e.message}" for e in validator.iter_errors(doc)]
    assert not errors, "\n".join(errors[:20])


def check_golden(name: str, data: bytes) -> None:
    """Compare with ``golden/<name>``; rewrite it instead when HARDHULL_UPDATE_GOLDEN=1."""
    path = GOLDEN / name
    if os.environ.get("HARDHULL_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return
    if not path.is_file():
        pytest.fail(f"golden file {path} is missing; run with HARDHULL_UPDATE_GOLDEN=1")
    assert data.decode() == path.read_text(), f"{name} differs from its golden file"
