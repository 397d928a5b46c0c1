"""End to end: real images built with podman, read back by ``hardhull sbom`` through the CLI.

One image mixes every kind of content a scan must handle (language packages, a Go binary,
a jar, a static binary nobody can identify, a file deleted in a later layer); another is
a ``FROM scratch`` image with static binaries only, which must never look clean.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.support.imagekit import built_archive, require
from tests.unit.catalog_bin.binkit import build_go
from tests.unit.catalog_bin.javakit import build_java

from hardhull.cli.main import cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BUSYBOX = Path("/bin/busybox")


def _sbom(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["sbom", *args, "--quiet"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert isinstance(doc, dict)
    return doc


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    require("podman", "go", "javac", "jar")
    if not BUSYBOX.is_file():
        require("busybox")
    cache = Path(request.config.cache.mkdir("hardhull-catalog-bin"))
    ctx = tmp_path_factory.mktemp("inventory-context")
    shutil.copytree(FIXTURES / "catalog_lang" / "python" / "rootfs", ctx / "python")
    shutil.copytree(FIXTURES / "catalog_lang" / "npm" / "installed", ctx / "npm")
    shutil.copy2(build_go(cache).path("hello-amd64"), ctx / "hello")
    shutil.copy2(build_java(cache).path("greeter-1.0.0.jar"), ctx / "greeter.jar")
    shutil.copy2(BUSYBOX, ctx / "busybox")
    return ctx


@pytest.fixture(scope="module")
def mixed_archive(context: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with built_archive(
        context,
        "localhost/hardhull-test/inventory-mixed:1",
        "FROM scratch\n"
        "COPY busybox /bin/busybox\n"
        "COPY python/ /\n"
        "COPY npm/ /\n"
        "COPY hello /usr/local/bin/hello\n"
        "COPY greeter.jar /opt/app/greeter.jar\n"
        'RUN ["/bin/busybox", "rm", "-rf", '
        '"/opt/venv/lib/python3.11/site-packages/six-1.16.0.dist-info"]\n',
        "oci-archive",
        tmp_path_factory.mktemp("mixed") / "mixed.tar",
    ) as archive:
        yield archive


@pytest.fixture(scope="module")
def static_archive(context: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with built_archive(
        context,
        "localhost/hardhull-test/inventory-static:1",
        "FROM scratch\nCOPY busybox /bin/busybox\nCOPY hello /app/hello\n"
        'ENTRYPOINT ["/app/hello"]\n',
        "docker-archive",
        tmp_path_factory.mktemp("static") / "static.tar",
    ) as archive:
        yield archive


def _packages(doc: dict[str, object]) -> dict[tuple[str, str], dict[str, object]]:
    packages = doc["packages"]
    assert isinstance(packages, list)
    return {(p["type"], p["name"]): p for p in packages}


def test_mixed_image_inventory(mixed_archive: Path) -> None:
    doc = _sbom(f"oci-archive:{mixed_archive}", "--format", "json")
    pkgs = _packages(doc)
    for key in [
        ("python", "pyflakes"),
        ("python", "attrs"),
        ("python", "idna"),
        ("npm", "debug"),
        ("npm", "ms"),
        ("go-module", "stdlib"),
        ("java-archive", "greeter"),
    ]:
        assert key in pkgs, key
    # deleted by a whiteout in the last layer: gone from the squashed view
    assert ("python", "six") not in pkgs
    coverage = doc["coverage"]
    assert isinstance(coverage, dict)
    layers = coverage["layers_read"]
    assert isinstance(layers, list) and len(layers) == 6
    # each location remembers the layer that brought it
    (pyflakes_loc,) = pkgs[("python", "pyflakes")]["locations"]  # type: ignore[misc]
    assert pyflakes_loc["layer"] == layers[1]
    stdlib = pkgs[("go-module", "stdlib")]
    assert stdlib["locations"][0]["path"] == "/usr/local/bin/hello"  # type: ignore[index]
    assert stdlib["purl"].startswith("pkg:golang/stdlib@")  # type: ignore[union-attr]
    # busybox is an ELF executable no cataloger can attribute; the Go binary is identified
    assert coverage["unidentified_executables"] == ["/bin/busybox"]
    assert coverage["has_package_database"] is True


def test_formats_agree_on_the_same_image(mixed_archive: Path, tmp_path: Path) -> None:
    native = _sbom(f"oci-archive:{mixed_archive}", "--format", "json")
    cdx = _sbom(str(mixed_archive), "--format", "cyclonedx")
    purls = {p["purl"] for p in native["packages"]}  # type: ignore[union-attr]
    assert purls == {c["purl"] for c in cdx["components"] if "purl" in c}  # type: ignore[union-attr]
    out = tmp_path / "bom.cdx.json"
    runner = CliRunner()
    result = runner.invoke(cli, ["sbom", str(mixed_archive), "-f", "cyclonedx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    back = _sbom(f"sbom:{out}", "--format", "json")
    assert {p["purl"] for p in back["packages"]} == purls  # type: ignore[union-attr]


def test_static_image_is_never_reported_clean(static_archive: Path) -> None:
    doc = _sbom(f"docker-archive:{static_archive}", "--format", "json")
    coverage = doc["coverage"]
    assert isinstance(coverage, dict)
    assert coverage["has_package_database"] is False
    assert coverage["unidentified_executables"] == ["/bin/busybox"]
    assert {p["type"] for p in doc["packages"]} == {"go-module"}  # type: ignore[union-attr]
    table = CliRunner().invoke(cli, ["sbom", str(static_archive), "--quiet"])
    assert table.exit_code == 0
    assert "NO PACKAGE DATABASE" in table.output
    assert "/bin/busybox" in table.output
