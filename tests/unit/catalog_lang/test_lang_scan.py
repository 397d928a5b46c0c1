"""The language catalogers inside a real scan of a directory (readers run by the source)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.unit.catalog_lang.langkit import FIXTURES, write_files

from hardhull.catalog.dpkg import DpkgCataloger
from hardhull.catalog.npm import NpmCataloger
from hardhull.catalog.python import PythonCataloger
from hardhull.model import PackageType
from hardhull.scan import SbomOptions, build_sbom

DIST = "/usr/lib/python3/dist-packages"

STATUS = """\
Package: python3-jwt
Status: install ok installed
Priority: optional
Section: python
Installed-Size: 92
Maintainer: Debian Python Team <team+python@tracker.debian.org>
Architecture: all
Source: pyjwt
Version: 2.6.0-1
Description: Python 3 implementation of JSON Web Token

Package: criu
Status: install ok installed
Priority: optional
Section: devel
Installed-Size: 2000
Maintainer: Salvatore Bonaccorso <carnil@debian.org>
Architecture: amd64
Version: 3.17.1-2
Description: checkpoint and restore in userspace

"""


def test_debian_owned_python_packages_are_not_reported_again(tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(FIXTURES / "python" / "rootfs", root, symlinks=True)
    shutil.copytree(FIXTURES / "npm" / "installed", root, symlinks=True, dirs_exist_ok=True)
    write_files(
        root,
        {
            "var/lib/dpkg/status": STATUS,
            "var/lib/dpkg/info/python3-jwt.list": (
                f"/.\n/usr\n{DIST}\n{DIST}/PyJWT-2.6.0.egg-info\n"
                f"{DIST}/PyJWT-2.6.0.egg-info/PKG-INFO\n{DIST}/PyJWT-2.6.0.egg-info/top_level.txt\n"
            ),
            "var/lib/dpkg/info/criu.list": f"/.\n{DIST}/crit-3.17.1-py3.11.egg-info\n",
        },
    )
    opts = SbomOptions(catalogers=(DpkgCataloger(), PythonCataloger(), NpmCataloger()), strict=True)
    sbom = build_sbom(f"dir:{root}", opts)
    by_type: dict[PackageType, set[str]] = {}
    for pkg in sbom.packages:
        by_type.setdefault(pkg.type, set()).add(pkg.name)
    assert by_type[PackageType.DEB] == {"python3-jwt", "criu"}
    assert by_type[PackageType.PYTHON] == {"attrs", "idna", "six", "pyflakes"}
    assert len(by_type[PackageType.NPM]) == 10  # ms twice: 11 packages, 10 names
    cov = sbom.coverage
    assert "/opt/venv/lib/python3.11/site-packages" in cov.package_databases
    assert "/srv/app/package-lock.json" in cov.package_databases
    assert cov.gaps == ()
