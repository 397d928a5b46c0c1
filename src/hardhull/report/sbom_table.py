"""A readable summary of an SBOM: header, packages by type, counts, then the coverage.

Rendered with rich to a string. Colour only when asked for (or, by default, when standard
output is a terminal). When no package database was found the summary says so loudly, at
the top and in the coverage block: an empty list must never read as "nothing to worry about".
"""

from __future__ import annotations

import io
import shutil
import sys
from collections import Counter

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from hardhull.model import Coverage, Package, Sbom
from hardhull.sbomfmt.common import NO_DATABASE_MESSAGE, target_digest

MAX_PATHS = 5
MAX_GAPS_PER_KIND = 5
DEFAULT_WIDTH = 120


def _location(pkg: Package) -> str:
    if not pkg.locations:
        return "-"
    first = pkg.locations[0].path
    more = len(pkg.locations) - 1
    return f"{first} (+{more} more)" if more else first


def _source(pkg: Package) -> str:
    if not pkg.type.is_os or not pkg.source_name:
        return ""
    if pkg.source_name == pkg.name and pkg.source_version in (None, pkg.version):
        return ""
    if pkg.source_version and pkg.source_version != pkg.version:
        return f"{pkg.source_name} {pkg.source_version}"
    return pkg.source_name


def target_rows(grid: Table, sbom: Sbom) -> None:
    """Add the ``Target`` and ``Digest`` rows (also used by the scan report table)."""
    src = sbom.source
    target = src.target if not src.name or src.name == src.target else f"{src.name} ({src.target})"
    grid.add_row("Target", f"{src.scheme}:{target}" if src.scheme else target)
    grid.add_row("Digest", target_digest(sbom) or "-")


def distro_label(sbom: Sbom) -> str:
    """The ``Distro`` row's value: its pretty name, id and version, or "not identified"."""
    distro = sbom.distro
    if distro is None:
        return "not identified"
    return distro.pretty_name or " ".join(x for x in (distro.id, distro.version_id) if x)


def _header(sbom: Sbom) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    target_rows(grid, sbom)
    if sbom.source.platform:
        grid.add_row("Platform", sbom.source.platform)
    grid.add_row("Distro", distro_label(sbom))
    tool = f"{sbom.tool} {sbom.tool_version}".strip()
    grid.add_row("Produced by", f"{tool}, {sbom.created}" if sbom.created else tool)
    return grid


def _packages(sbom: Sbom) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("TYPE", no_wrap=True)
    table.add_column("NAME", overflow="fold")
    table.add_column("VERSION", overflow="fold")
    table.add_column("SOURCE", overflow="fold")
    table.add_column("LOCATION", overflow="fold")
    for pkg in sorted(sbom.packages, key=Package.sort_key):
        table.add_row(pkg.type.value, pkg.name, pkg.version, _source(pkg), _location(pkg))
    return table


def _shown(items: tuple[str, ...], limit: int = MAX_PATHS) -> str:
    text = ", ".join(items[:limit])
    return text + (f", ... and {len(items) - limit} more" if len(items) > limit else "")


def _coverage(coverage: Coverage) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("Layers read", str(len(coverage.layers_read)))
    grid.add_row("Files examined", str(coverage.files_examined))
    dbs = coverage.package_databases
    if dbs:
        grid.add_row("Package databases", f"{len(dbs)}: {_shown(dbs)}")
    else:
        grid.add_row("Package databases", Text("0: NONE FOUND", style="bold red"))
    grid.add_row("Catalogers run", ", ".join(coverage.catalogers) or "-")
    unknown = coverage.unidentified_executables
    label = f"{len(unknown)}: {_shown(unknown)}" if unknown else "0"
    grid.add_row("Unidentified executables", Text(label, style="yellow" if unknown else ""))
    if not coverage.gaps:
        grid.add_row("Not examined", "nothing reported")
    else:
        grid.add_row("Not examined", Text(f"{len(coverage.gaps)} gap(s)", style="yellow"))
        by_kind: dict[str, list[str]] = {}
        for gap in coverage.gaps:
            by_kind.setdefault(gap.kind, []).append(f"{gap.subject}: {gap.detail}")
        for kind, lines in sorted(by_kind.items()):
            body = "\n".join(lines[:MAX_GAPS_PER_KIND])
            if len(lines) > MAX_GAPS_PER_KIND:
                body += f"\n... and {len(lines) - MAX_GAPS_PER_KIND} more"
            grid.add_row(f"  {kind} ({len(lines)})", body)
    verdict = "complete" if coverage.complete else "INCOMPLETE (see above)"
    grid.add_row("Coverage", Text(verdict, style="green" if coverage.complete else "yellow"))
    return grid


def coverage_table(coverage: Coverage) -> Table:
    """The coverage block as a rich grid (also used by the scan report table)."""
    return _coverage(coverage)


def text_console(buf: io.StringIO, width: int, color: bool) -> Console:
    """A rich console writing to ``buf``, ANSI colour only if ``color``."""
    return Console(
        file=buf,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )


def console_text(buf: io.StringIO) -> str:
    """What a :func:`text_console` wrote, without trailing blanks, ending in a newline."""
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"


NO_DATABASE_LINE = Text("!! " + NO_DATABASE_MESSAGE + " !!", style="bold red")


def render_sbom_table(sbom: Sbom, *, color: bool | None = None, width: int | None = None) -> str:
    """The SBOM summary as text; ANSI colour only if ``color`` (default: stdout is a tty)."""
    tty = sys.stdout.isatty()
    use_color = tty if color is None else color
    if width is None:
        width = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns if tty else DEFAULT_WIDTH
    buf = io.StringIO()
    console = text_console(buf, width, use_color)
    cov = sbom.coverage
    console.print(Text("SBOM", style="bold underline"))
    console.print(_header(sbom))
    if not cov.has_package_database:
        console.print()
        console.print(NO_DATABASE_LINE)
    console.print()
    if sbom.packages:
        console.print(_packages(sbom))
    else:
        console.print(Text("No packages were found.", style="bold"))
    counts = Counter(pkg.type.value for pkg in sbom.packages)
    summary = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()))
    total = f"Packages: {len(sbom.packages)}" + (f" ({summary})" if summary else "")
    console.print(Text(total, style="bold"))
    console.print()
    console.print(Text("Coverage", style="bold underline"))
    if not cov.has_package_database:
        console.print(NO_DATABASE_LINE)
    console.print(_coverage(cov))
    return console_text(buf)
