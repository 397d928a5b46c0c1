"""Read an SBOM document back: CycloneDX JSON (1.4-1.6), SPDX JSON (2.2/2.3), hardhull JSON.

Used by ``hardhull sbom sbom:FILE`` (through :func:`hardhull.scan.build_sbom`) so that later
stages can work from an SBOM alone. Anything wrong with the file becomes one
:class:`~hardhull.errors.FormatError` line naming the file and the JSON path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from hardhull.errors import FormatError
from hardhull.model import Sbom, SourceInfo
from hardhull.sbomfmt import restore
from hardhull.sbomfmt.docread import DocReader


def read_native(doc: dict[str, Any], source: Path) -> Sbom:
    """The model of a decoded hardhull JSON document."""
    r = DocReader(source, "hardhull JSON")
    schema = doc.get("schema")
    if schema != 1:
        raise r.error("$.schema", f"unsupported schema {schema!r} (hardhull reads schema 1)")
    if "coverage" not in doc:
        raise r.error("$.coverage", "required field is missing")
    tool = r.opt_obj(doc, "tool", "$") or {}
    packages = []
    for path, item in r.objects(doc, "packages", "$"):
        packages.append(restore.package(r, item, path))
    if "source" in doc:
        source_info = restore.source(r, doc["source"], "$.source")
    else:
        source_info = SourceInfo(scheme="sbom", target=str(source))
    return Sbom(
        source=source_info,
        packages=tuple(packages),
        coverage=restore.coverage(r, doc["coverage"], "$.coverage"),
        distro=restore.distro(r, doc.get("distro"), "$.distro"),
        relationships=restore.relationships(
            r, r.opt_list(doc, "relationships", "$"), "$.relationships"
        ),
        files=restore.files(r, r.opt_list(doc, "files", "$"), "$.files"),
        tool=r.opt_str(tool, "name", "$.tool") or "hardhull",
        tool_version=r.opt_str(tool, "version", "$.tool") or "",
        created=r.opt_str(doc, "created", "$") or "",
    )


def read_sbom(path: Path) -> Sbom:
    """Read the SBOM at ``path``, whichever of the three formats it is."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FormatError(f"{path}: cannot read the SBOM ({exc.strerror or exc})") from exc
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        hint = None
        if data.lstrip()[:1] == b"<" or data.lstrip().startswith(b"SPDXVersion"):
            hint = "hardhull reads JSON SBOMs only; XML and tag-value are not supported"
        raise FormatError(f"{path}: not valid JSON ({exc})", hint=hint) from exc
    if not isinstance(doc, dict):
        raise FormatError(f"{path}: at $: expected a JSON object (an SBOM document)")
    if "bomFormat" in doc:
        if doc["bomFormat"] != "CycloneDX":
            raise FormatError(
                f"{path}: at $.bomFormat: expected 'CycloneDX', found {doc['bomFormat']!r}"
            )
        from hardhull.sbomfmt.read_cyclonedx import read_cyclonedx

        return read_cyclonedx(doc, path)
    if "spdxVersion" in doc:
        from hardhull.sbomfmt.read_spdx import read_spdx

        return read_spdx(doc, path)
    if "schema" in doc and "packages" in doc:
        return read_native(doc, path)
    raise FormatError(
        f"{path}: not a CycloneDX, SPDX or hardhull JSON SBOM "
        "(none of bomFormat, spdxVersion or schema is present)"
    )
