"""The benchmark's images: a realistic Debian 12 app image and a bigger variant of it.

realistic: Debian 12 root from mmdebstrap + ``python3`` + a venv with the pinned PyPI
packages of ``requirements.txt`` + ``nodejs``/``npm`` with the npm packages of
``package.json``, built with ``podman build`` and saved as an OCI archive.

big: the same plus one extra layer of a few hundred MB (a large incompressible file and
thousands of small text files), to show hardhull's memory does not grow with image size.

pip and npm inside the build reach PyPI and the npm registry the way this machine does:
the host CA bundle is bind-mounted into the build steps (it may hold a site CA) and named
by ``PIP_CERT``/``REQUESTS_CA_BUNDLE``/``npm_config_cafile``/``NODE_EXTRA_CA_CERTS``; a
host index or registry that is not the public default is passed on as a build argument;
proxy variables are passed on by podman itself; the build uses the host network.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.support.debian import DebianImage, Log, debian_image, host_ca_bundle

HERE = Path(__file__).resolve().parent
CA = "/run/hardhull-build/ca.crt"

# ARG values are visible to RUN steps as environment variables but are not kept in the
# image configuration, so the build's CA settings do not leak into the image.
REALISTIC_STEPS = f"""\
ARG PIP_INDEX_URL=https://pypi.org/simple
ARG NPM_REGISTRY=https://registry.npmjs.org/
ARG PIP_CERT={CA}
ARG REQUESTS_CA_BUNDLE={CA}
ARG NODE_EXTRA_CA_CERTS={CA}
ARG npm_config_cafile={CA}
ARG PIP_DISABLE_PIP_VERSION_CHECK=1
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update -qq \\
 && apt-get install -y -qq --no-install-recommends \\
      python3 python3-venv nodejs npm ca-certificates >/dev/null \\
 && rm -rf /var/lib/apt/lists/*
RUN --mount=type=bind,source=ca.crt,target={CA} \\
    --mount=type=bind,source=requirements.txt,target=/run/hardhull-build/requirements.txt \\
    python3 -m venv /opt/venv \\
 && /opt/venv/bin/pip install -q --no-cache-dir --no-deps --index-url "$PIP_INDEX_URL" \\
      -r /run/hardhull-build/requirements.txt \\
 && /opt/venv/bin/pip check
COPY package.json /opt/app/package.json
RUN --mount=type=bind,source=ca.crt,target={CA} \\
    cd /opt/app \\
 && npm install --omit=dev --no-audit --no-fund --registry "$NPM_REGISTRY" \\
      --cache /tmp/npm-cache --loglevel=error \\
 && rm -rf /tmp/npm-cache
WORKDIR /opt/app
CMD ["node", "-e", "console.log(require('lodash').VERSION)"]
"""

BIG_STEPS = """\
RUN --mount=type=bind,source=bulk.py,target=/run/hardhull-build/bulk.py \\
    python3 /run/hardhull-build/bulk.py /opt/bulk
"""

BULK_SCRIPT = b'''"""Fill a directory with a large random file and many small text files."""

import os
import random
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = random.Random(20261127)
with open(os.path.join(out, "blob.bin"), "wb") as f:
    for _ in range(192):
        f.write(rng.randbytes(1 << 20))
words = [f"word{i}" for i in range(5000)]
for d in range(100):
    sub = os.path.join(out, f"d{d:03}")
    os.makedirs(sub)
    for n in range(150):
        text = " ".join(rng.choices(words, k=3000))
        with open(os.path.join(sub, f"f{n:03}.txt"), "w") as f:
            f.write(text)
'''


def _host_setting(cmd: list[str]) -> str | None:
    """A host pip/npm setting (None if unset, undefined or the tool is missing)."""
    if shutil.which(cmd[0]) is None:
        return None
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    value = proc.stdout.strip()
    if proc.returncode != 0 or not value or value in ("undefined", "null"):
        return None
    return value


def build_args() -> dict[str, str]:
    """Index and registry the host uses, when they are network URLs."""
    args: dict[str, str] = {}
    index = _host_setting(["pip", "config", "get", "global.index-url"])
    if index and index.startswith(("http://", "https://")):
        args["PIP_INDEX_URL"] = index
    registry = _host_setting(["npm", "config", "get", "registry"])
    if registry and registry.startswith(("http://", "https://")):
        args["NPM_REGISTRY"] = registry
    return args


def _files(extra: dict[str, bytes | Path] | None = None) -> dict[str, bytes | Path]:
    ca = host_ca_bundle()
    files: dict[str, bytes | Path] = {
        "requirements.txt": HERE / "requirements.txt",
        "package.json": HERE / "package.json",
        # Without a host bundle the image's own (from ca-certificates) is used instead.
        "ca.crt": ca if ca is not None else b"",
    }
    files.update(extra or {})
    return files


def realistic_image(log: Log, verbose: bool = False) -> DebianImage:
    """Build (or reuse) the realistic image."""
    return debian_image(
        "bench-realistic",
        REALISTIC_STEPS,
        files=_files(),
        network_host=True,
        build_args=build_args(),
        log=log,
        verbose=verbose,
    )


def big_image(log: Log, verbose: bool = False) -> DebianImage:
    """Build (or reuse) the realistic image plus a layer of a few hundred MB."""
    return debian_image(
        "bench-big",
        REALISTIC_STEPS + BIG_STEPS,
        files=_files({"bulk.py": BULK_SCRIPT}),
        network_host=True,
        build_args=build_args(),
        log=log,
        verbose=verbose,
    )
