"""``make demo``: build (or reuse) a real image from local parts, write its SBOMs and scan it.

The image is a Debian 12 root made by mmdebstrap (cached), plus a small app layer:
``python3`` from Debian, a virtual environment (pip and setuptools from Debian's bundled
wheels, so no PyPI access is needed) and a tiny app. It is built with podman and saved
as an OCI archive; hardhull then writes its CycloneDX and hardhull JSON SBOMs under
``demo-out/``, imports a vulnerability database from ``../shared/data/advisories`` (the
real importer, ``hardhull db import``) into ``demo-out/vulndb.sqlite`` and runs
``hardhull scan image`` on the image, printing the table (and writing the JSON report).

The first run takes one to three minutes (mmdebstrap and the image build); later runs
reuse the cached root and image (``~/.cache/hardhull-test/``) and take seconds.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.debian import (  # noqa: E402
    BuildFailed,
    DebianImage,
    ToolMissing,
    debian_image,
    need,
    stderr_log,
)
from tests.support.shared import ADVISORIES  # noqa: E402

OUT = ROOT / "demo-out"


APP = b'''"""hardhull demo app: says hello and which Python runs it."""

import platform

print(f"hello from the hardhull demo, Python {platform.python_version()}")
'''

STEPS = """\
RUN apt-get update -qq \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \\
      python3 python3-venv >/dev/null \\
 && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/app/venv
COPY app.py /opt/app/app.py
USER 65534:65534
CMD ["/opt/app/venv/bin/python", "/opt/app/app.py"]
"""


def say(message: str) -> None:
    """One progress line on stderr."""
    print(message, file=sys.stderr, flush=True)


def build() -> DebianImage:
    """The demo image (built once, then reused from the cache)."""
    say("demo: preparing the image (Debian 12 root + python3 + a tiny app)...")
    return debian_image(
        "demo-app",
        STEPS,
        files={"app.py": APP},
        network_host=True,
        log=stderr_log(),
        verbose=False,
    )


def hardhull(*args: str, ok: tuple[int, ...] = (0,)) -> None:
    """Run the ``hardhull`` CLI of this checkout, echoing the command."""
    shown = " ".join(["hardhull", *args])
    say(f"demo: $ {shown}")
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "hardhull", *args], check=False)
    if proc.returncode not in ok:
        raise SystemExit(f"demo: `{shown}` failed with exit code {proc.returncode}")
    say(f"demo:   done in {time.monotonic() - start:.1f} s")


def main() -> int:
    """Build or reuse the image, write both SBOMs, print the table."""
    try:
        need("mmdebstrap", "podman")
        image = build()
    except ToolMissing as exc:
        say(f"demo: error: {exc}")
        return 1
    except BuildFailed as exc:
        say(f"demo: error: building the demo image failed: {exc}")
        return 1
    OUT.mkdir(exist_ok=True)
    archive = OUT / "demo-app.oci.tar"
    archive.unlink(missing_ok=True)
    try:
        archive.symlink_to(image.archive)
    except OSError:
        shutil.copyfile(image.archive, archive)
    target = f"oci-archive:{archive}"
    say(f"demo: image {image.tag} saved as {archive}")
    hardhull(
        "sbom", target, "--format", "cyclonedx", "--quiet", "--output", str(OUT / "sbom.cdx.json")
    )
    hardhull("sbom", target, "--format", "json", "--quiet", "--output", str(OUT / "sbom.json"))
    say(f"demo: wrote {OUT / 'sbom.cdx.json'} (CycloneDX 1.6) and {OUT / 'sbom.json'} (hardhull)")
    db = OUT / "vulndb.sqlite"
    sources = [ADVISORIES / d for d in ("debian-osv-bookworm", "pypa-advisory-database")]
    sources.append(ADVISORIES / "nodejs-security-wg")
    if not all(p.is_dir() for p in sources):
        say(f"demo: error: advisory data not found under {ADVISORIES}")
        return 1
    if not db.is_file():
        hardhull("db", "import", *map(str, sources), "--db", str(db))
    hardhull(
        "scan",
        "image",
        target,
        "--db",
        str(db),
        "--quiet",
        "--format",
        "json",
        "--output",
        str(OUT / "scan.json"),
    )
    hardhull("scan", "image", target, "--db", str(db), "--quiet", "--format", "table")
    say(f"demo: wrote {OUT / 'scan.json'} (scan report, hardhull JSON)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
