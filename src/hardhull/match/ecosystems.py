"""Which OSV ecosystem and name a package is looked up under, and which version is compared.

Distro packages match on the distro release and the **source** package: Debian's
security tracker (and so its OSV data) speaks of source packages, and a fix ships as a new
source version. The version compared is therefore the binary's *source* version
(``Package.source_version``, which the catalogers set to the binary's own version when the
database names no separate one). They differ for binNMUs (binary ``1.2-3+b1`` built from
source ``1.2-3``) and for binaries that carry their own version; the source version is the
one the tracker's ``fixed`` versions refer to, so it is the one compared. The binary's
version stays in the finding as ``installed``.

Language packages match on the ecosystem and the normalised name: PEP 503 for PyPI,
``group:artifact`` for Maven, the module path for Go (versions without the ``v`` the Go
OSV data omits), and Go binaries' toolchain as ``stdlib`` (``go1.22.1`` -> ``1.22.1``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hardhull.model import Distro, Package, PackageType

_PEP503 = re.compile(r"[-_.]+")


@dataclass(frozen=True, slots=True)
class LookupKey:
    """How one package is looked up: OSV ecosystem, name in that ecosystem, version to compare.

    ``source_package`` is set when the name searched is a distro source package.
    """

    ecosystem: str
    name: str
    version: str
    source_package: str | None = None


@dataclass(frozen=True, slots=True)
class Unmatchable:
    """A package that cannot be looked up, with a stable reason word and the words."""

    kind: str
    group: str
    detail: str


def pep503(name: str) -> str:
    """PEP 503 normalised project name: ``Foo.Bar_baz`` -> ``foo-bar-baz``."""
    return _PEP503.sub("-", name).lower()


def _major(version_id: str) -> str:
    return version_id.split(".", 1)[0]


def _major_minor(version_id: str) -> str:
    return ".".join(version_id.split(".")[:2])


def distro_from_qualifier(qualifier: str | None) -> Distro | None:
    """``debian-12`` / ``alpine-3.20.1`` (the purl ``distro=`` value) back to a Distro."""
    if not qualifier:
        return None
    ident, sep, version = qualifier.partition("-")
    return Distro(id=ident, version_id=version if sep and version else None)


def distro_ecosystem(distro: Distro | None) -> str | None:
    """The OSV ecosystem (with release) of an OS, or ``None`` when it has none we know."""
    if distro is None:
        return None
    ident = distro.id.lower()
    vid = distro.version_id
    if ident == "wolfi":
        return "Wolfi"
    if ident == "chainguard":
        return "Chainguard"
    if not vid:
        return None
    table = {
        "debian": f"Debian:{_major(vid)}",
        "ubuntu": f"Ubuntu:{_major_minor(vid)}",
        "alpine": f"Alpine:v{_major_minor(vid)}",
        "rocky": f"Rocky Linux:{_major(vid)}",
        "almalinux": f"AlmaLinux:{_major(vid)}",
        "rhel": f"Red Hat:{_major(vid)}",
        "opensuse-leap": f"openSUSE:Leap {vid}",
        "sles": f"SUSE:{vid}",
        "photon": f"Photon OS:{_major_minor(vid)}",
        "mariner": f"Mariner:{_major_minor(vid)}",
        "azurelinux": f"Azure Linux:{_major_minor(vid)}",
    }
    return table.get(ident)


_LANG = {
    PackageType.PYTHON: "PyPI",
    PackageType.NPM: "npm",
    PackageType.GO: "Go",
    PackageType.JAVA: "Maven",
    PackageType.GEM: "RubyGems",
    PackageType.CARGO: "crates.io",
    PackageType.NUGET: "NuGet",
    PackageType.COMPOSER: "Packagist",
}


def _maven_name(pkg: Package) -> str | None:
    """``group:artifact`` from a ``pkg:maven/group/artifact@v`` purl."""
    if not pkg.purl.startswith("pkg:maven/"):
        return None
    path = pkg.purl[len("pkg:maven/") :].split("@", 1)[0].split("?", 1)[0]
    group, sep, artifact = path.rpartition("/")
    if not sep or not group:
        return None
    from urllib.parse import unquote

    return f"{unquote(group).replace('/', '.')}:{unquote(artifact)}"


def lookup_key(pkg: Package, distro: Distro | None) -> LookupKey | Unmatchable:
    """The (ecosystem, name, version) to search ``pkg`` under, or why it cannot be searched.

    ``distro`` is the image's OS (``Sbom.distro``); the package's own ``distro`` qualifier
    is used when the image has none.
    """
    if pkg.type.is_os:
        osd = distro or distro_from_qualifier(pkg.distro)
        if pkg.distro and distro is not None and not pkg.distro.startswith(distro.id):
            osd = distro_from_qualifier(pkg.distro)
        eco = distro_ecosystem(osd)
        if eco is None:
            what = f"{osd.id} {osd.version_id or '(no release)'}" if osd else "an unknown OS"
            return Unmatchable(
                "unknown-distro",
                what,
                f"no vulnerability data source is known for {what}; its "
                f"{pkg.type.value} packages were not checked",
            )
        source = pkg.source_name or pkg.name
        version = pkg.source_version or pkg.version
        return LookupKey(eco, source, version, source_package=source)
    eco = _LANG.get(pkg.type)
    if eco is None:
        return Unmatchable(
            "unmatchable-type",
            pkg.type.value,
            f"{pkg.type.value} packages have no vulnerability ecosystem; not checked",
        )
    name, version = pkg.name, pkg.version
    if pkg.type is PackageType.PYTHON:
        name = pep503(name)
    elif pkg.type is PackageType.GO:
        if name == "stdlib" or pkg.meta("stdlib") == "true":
            name = "stdlib"
            version = version.split(" ", 1)[0].removeprefix("go")
        else:
            version = version.removeprefix("v")
    elif pkg.type is PackageType.JAVA:
        maven = _maven_name(pkg)
        if maven is None:
            return Unmatchable(
                "unversioned-package",
                "Maven",
                "Java archives without Maven coordinates (group id) were not checked",
            )
        name = maven
    if not version or version in ("(devel)", "devel", "UNKNOWN"):
        return Unmatchable(
            "unversioned-package", eco, f"{eco} packages without a version were not checked"
        )
    return LookupKey(eco, name, version)
