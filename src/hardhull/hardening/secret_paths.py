"""Which image files the secret scanner reads: a cheap path and size filter.

It runs for every candidate file of every layer (the selector's path hints keep the rest
away), so it is a few C-level string tests and one regex search.
"""

from __future__ import annotations

import re

from hardhull.model import FileEntry

MAX_SECRET_FILE = 1024 * 1024


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# ----- which files to read ------------------------------------------------------------
# Application and configuration trees, home directories, build leftovers in /tmp.
SCAN_PREFIXES = _words(
    "/etc/ /root/ /home/ /app/ /apps/ /srv/ /opt/ /code/ /src/ /work/ /workspace/ "
    "/build/ /config/ /secrets/ /run/secrets/ /usr/src/ /usr/app/ /usr/local/etc/ "
    "/usr/local/src/ /usr/local/app/ /var/www/ /var/secrets/ /tmp/ /var/tmp/"
)
# Names that hold credentials wherever they are.
SECRET_NAMES = _words(
    ".env .pem .key .p8 .ppk .tfvars /id_rsa /id_dsa /id_ecdsa /id_ed25519 "
    "/credentials /credentials.json /service-account.json /.npmrc /.pypirc /.netrc "
    "/.pgpass /.s3cfg /.git-credentials /.dockercfg /.docker/config.json /.htpasswd"
)
# Third-party trees whose test keys and docs would drown real findings, and caches.
SKIP_PARTS = _words(
    "/node_modules/ /site-packages/ /dist-packages/ /__pycache__/ /.git/objects/ "
    "/.cache/ /_cacache/ /usr/share/ /etc/ssl/certs/ /etc/ca-certificates/ "
    "/etc/alternatives/ /lib/python"
)
BINARY_SUFFIXES = _words(
    ".so .pyc .pyo .png .jpg .jpeg .gif .ico .svg .gz .tgz .bz2 .xz .zst .zip .jar "
    ".war .whl .mo .woff .woff2 .ttf .otf .exe .dll .class .wasm .node .a .o .deb "
    ".rpm .db .sqlite .map"
)


_SKIP = re.compile("|".join(re.escape(part) for part in SKIP_PARTS))


def wants(entry: FileEntry) -> bool:
    """The path/size prefilter of the secrets selector (runs for hinted paths only)."""
    path = entry.path
    if entry.size > MAX_SECRET_FILE or entry.size == 0:
        return False
    if _SKIP.search(path) is not None:
        return False
    if path.endswith(SECRET_NAMES):
        return True
    return path.startswith(SCAN_PREFIXES) and not path.endswith(BINARY_SUFFIXES)


def is_env_file(path: str) -> bool:
    """``.env``, ``.env.production``, ``app.env``, ``prod.env.local``..."""
    name = path.rpartition("/")[2]
    return name.startswith(".env") or name.endswith(".env") or ".env." in name
