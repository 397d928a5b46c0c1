"""Build the Java fixtures with javac and jar, cached between sessions.

* ``greeter-1.0.0.jar``: a class plus ``META-INF/maven/com.example/greeter/pom.properties``.
* ``acme-widget.jar``: manifest only (a long vendor line, so jar wraps it into continuation
  lines), no version in the file name.
* ``greeter-shaded-1.0.0.jar``: greeter's pom plus a shaded artifact's pom.
* ``app-0.1.0.jar``: Spring-Boot-like fat jar, ``BOOT-INF/lib/`` holds the jars above.
* ``shop.war``: ``WEB-INF/lib/`` holds greeter and ``commons-util_3.2.jar``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from tests.support.imagekit import require, run
from tests.unit.catalog_bin.binkit import FIXTURES, _tree_hash

JAVA = FIXTURES / "java"


@dataclass(frozen=True)
class JavaBuilds:
    """Paths of the built archives."""

    dir: Path

    def path(self, name: str) -> Path:
        return self.dir / name


def _jar(dest: Path, root: Path, manifest: Path | None = None) -> None:
    args: list[str | Path] = ["jar", "--create", "--file", dest]
    if manifest is not None:
        args += ["--manifest", manifest]
    run(*args, "-C", root, ".")


def build_java(cache: Path) -> JavaBuilds:
    """javac + jar every archive once per fixture change."""
    require("javac", "jar")
    out = cache / f"java-{_tree_hash()}"
    if (out / "shop.war").exists():
        return JavaBuilds(out)
    if out.exists():
        shutil.rmtree(out)
    work = out / "work"
    classes = work / "classes"
    run("javac", "-d", classes, JAVA / "src" / "com" / "example" / "greeter" / "Greeter.java")

    def tree(name: str, poms: dict[str, str]) -> Path:
        root = work / name
        shutil.copytree(classes, root)
        for coords, props in poms.items():
            group, artifact = coords.split(":")
            pom_dir = root / "META-INF" / "maven" / group / artifact
            pom_dir.mkdir(parents=True)
            shutil.copy(JAVA / "meta" / props, pom_dir / "pom.properties")
        return root

    _jar(out / "greeter-1.0.0.jar", tree("greeter", {"com.example:greeter": "greeter.properties"}))
    shaded = tree(
        "shaded",
        {"com.example:greeter": "greeter.properties", "org.shaded:tiny-json": "shaded.properties"},
    )
    _jar(out / "greeter-shaded-1.0.0.jar", shaded)
    _jar(out / "acme-widget.jar", tree("widget", {}), JAVA / "meta" / "widget.mf")
    (work / "util").mkdir()
    (work / "util" / "util.txt").write_text("no metadata at all\n")
    _jar(out / "commons-util_3.2.jar", work / "util")

    fat = tree("fat", {"com.example:app": "app.properties"})
    (fat / "BOOT-INF" / "lib").mkdir(parents=True)
    for name in ("greeter-1.0.0.jar", "acme-widget.jar", "greeter-shaded-1.0.0.jar"):
        shutil.copy(out / name, fat / "BOOT-INF" / "lib" / name)
    _jar(out / "app-0.1.0.jar", fat, JAVA / "meta" / "app.mf")

    war = work / "war"
    (war / "WEB-INF" / "lib").mkdir(parents=True)
    (war / "index.html").write_text("<p>shop</p>\n")
    for name in ("greeter-1.0.0.jar", "commons-util_3.2.jar"):
        shutil.copy(out / name, war / "WEB-INF" / "lib" / name)
    _jar(out / "shop.war", war)
    shutil.rmtree(work)
    return JavaBuilds(out)
