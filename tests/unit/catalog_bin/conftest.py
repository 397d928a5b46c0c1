"""Session fixtures for the binary and Java catalogers: real binaries, built once."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.catalog_bin.binkit import GoBuilds, RustBuilds, build_go, build_rust
from tests.unit.catalog_bin.javakit import JavaBuilds, build_java


@pytest.fixture(scope="session")
def bin_cache(request: pytest.FixtureRequest) -> Path:
    return Path(request.config.cache.mkdir("hardhull-catalog-bin"))


@pytest.fixture(scope="session")
def go_builds(bin_cache: Path) -> GoBuilds:
    return build_go(bin_cache)


@pytest.fixture(scope="session")
def rust_builds(bin_cache: Path) -> RustBuilds:
    return build_rust(bin_cache)


@pytest.fixture(scope="session")
def java_builds(bin_cache: Path) -> JavaBuilds:
    return build_java(bin_cache)
