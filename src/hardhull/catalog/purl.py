"""Package URL construction shared by all catalogers (packageurl-python does the escaping)."""

from __future__ import annotations

from packageurl import PackageURL


def make_purl(
    type_: str,
    name: str,
    version: str | None,
    *,
    namespace: str | None = None,
    qualifiers: dict[str, str] | None = None,
    subpath: str | None = None,
) -> str:
    """Build a canonical purl string; empty qualifier values are dropped."""
    quals = {k: v for k, v in (qualifiers or {}).items() if v}
    purl = PackageURL(
        type=type_,
        namespace=namespace or None,
        name=name,
        version=version or None,
        qualifiers=quals or None,
        subpath=subpath,
    )
    return str(purl.to_string())
