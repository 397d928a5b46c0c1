"""Secret detection for image layers: a small rule set behind one fast prefilter.

Why not a general detector library: ``detect-secrets`` (Yelp) was measured on this
project's fixtures and the benchmark image (see ``docs/hardening.md``); it scans files on
disk line by line through ~25 plugins and global settings, which does not fit readers that
run on layer streams in worker threads, and its entropy plugins flag every hash in a
lockfile. Here each file that passes a cheap path filter is first searched for each rule's
literal anchors (``bytes in``, memchr-fast); only a rule whose anchor occurs runs its
regular expression. A match is kept as a :class:`SecretMatch` (rule id, line, a redacted
preview that shows at most the public type prefix); the secret itself is never stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import BinaryIO

from hardhull.model import FileEntry, Severity
from hardhull.sources.base import ReadContext, Selector

SECRETS_SELECTOR = "hardening-secrets"
MAX_SECRET_FILE = 1024 * 1024
_BINARY_PROBE = 8192
_MAX_MATCHES_PER_FILE = 20


@dataclass(frozen=True, slots=True)
class SecretRule:
    """One kind of secret: ``pattern`` has a ``secret`` group (and maybe ``name``).

    ``anchors``: literal bytes of which at least one must be in a file for the (slower)
    pattern to run at all. ``reveal`` is how many leading characters of the secret are a
    public type marker (``AKIA``, ``ghp_``) the preview may show; ``env_only`` rules only
    run on ``.env`` files.
    """

    id: str
    title: str
    severity: Severity
    pattern: re.Pattern[bytes]
    reveal: int = 0
    env_only: bool = False
    anchors: tuple[bytes, ...] = ()


@dataclass(frozen=True, slots=True)
class SecretMatch:
    """Where a rule matched: rule id, 1-based line, and a redacted preview."""

    rule: str
    line: int
    preview: str


def _rx(pattern: bytes, flags: int = 0) -> re.Pattern[bytes]:
    return re.compile(pattern, flags)


_B64 = rb"[A-Za-z0-9+/]"
RULES: tuple[SecretRule, ...] = (
    SecretRule(
        "private-key",
        "Private key",
        Severity.CRITICAL,
        # the header followed by key material (a bare header in code is not a key)
        _rx(
            rb"(?P<secret>-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----)"
            rb"(?:\\[rn]|\s|[A-Za-z-]+:[^\n]*\n)*" + _B64 + rb"{40}"
        ),
        anchors=(b"PRIVATE KEY",),
    ),
    SecretRule(
        "aws-access-key-id",
        "AWS access key id",
        Severity.HIGH,
        _rx(rb"(?<![A-Z0-9])(?P<secret>(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})(?![A-Z0-9])"),
        reveal=4,
        anchors=(b"AKIA", b"ASIA", b"ABIA", b"ACCA"),
    ),
    SecretRule(
        "aws-secret-access-key",
        "AWS secret access key",
        Severity.CRITICAL,
        _rx(
            rb"(?P<name>aws_?secret_?(?:access_?)?key)[\"']?\s*[:=]\s*[\"']?"
            rb"(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
            re.IGNORECASE,
        ),
        anchors=(b"ecret", b"ECRET"),
    ),
    SecretRule(
        "gcp-service-account",
        "Google Cloud service-account key",
        Severity.CRITICAL,
        _rx(
            rb"\"type\"\s*:\s*\"service_account\"[^}]{0,4000}?"
            rb"\"private_key_id\"\s*:\s*\"(?P<secret>[0-9a-f]{40})\""
            rb"|\"private_key_id\"\s*:\s*\"(?P<secret2>[0-9a-f]{40})\"[^}]{0,4000}?"
            rb"\"type\"\s*:\s*\"service_account\""
        ),
        anchors=(b"service_account",),
    ),
    SecretRule(
        "google-api-key",
        "Google API key",
        Severity.HIGH,
        _rx(rb"(?P<secret>AIza[0-9A-Za-z_\-]{35})(?![0-9A-Za-z_\-])"),
        reveal=4,
        anchors=(b"AIza",),
    ),
    SecretRule(
        "github-token",
        "GitHub token",
        Severity.CRITICAL,
        _rx(
            rb"(?<![A-Za-z0-9_])(?P<secret>gh[pousr]_[A-Za-z0-9]{36}"
            rb"|github_pat_[A-Za-z0-9_]{82})(?![A-Za-z0-9_])"
        ),
        reveal=4,
        anchors=(b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_", b"github_pat_"),
    ),
    SecretRule(
        "gitlab-token",
        "GitLab token",
        Severity.CRITICAL,
        _rx(rb"(?P<secret>gl(?:pat|dt|rt|ptt)-[A-Za-z0-9_\-]{20,})(?![A-Za-z0-9_\-])"),
        reveal=6,
        anchors=(b"glpat-", b"gldt-", b"glrt-", b"glptt-"),
    ),
    SecretRule(
        "slack-token",
        "Slack token",
        Severity.HIGH,
        _rx(rb"(?P<secret>xox[abposr]-[0-9]+-[A-Za-z0-9-]{10,})"),
        reveal=5,
        anchors=(b"xox",),
    ),
    SecretRule(
        "slack-webhook",
        "Slack incoming webhook",
        Severity.MEDIUM,
        _rx(
            rb"(?P<secret>https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{20,})"
        ),
        reveal=30,
        anchors=(b"hooks.slack.com",),
    ),
    SecretRule(
        "stripe-key",
        "Stripe live secret key",
        Severity.CRITICAL,
        _rx(rb"(?P<secret>[sr]k_live_[0-9A-Za-z]{24,})"),
        reveal=8,
        anchors=(b"k_live_",),
    ),
    SecretRule(
        "npm-token",
        "npm access token",
        Severity.HIGH,
        _rx(
            rb"(?P<secret>npm_[A-Za-z0-9]{36})(?![A-Za-z0-9])|_authToken=(?P<secret2>[^\s$][^\s]{8,})"
        ),
        reveal=4,
        anchors=(b"npm_", b"_authToken"),
    ),
    SecretRule(
        "pypi-token",
        "PyPI upload token",
        Severity.HIGH,
        _rx(rb"(?P<secret>pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})"),
        reveal=5,
        anchors=(b"pypi-AgEI",),
    ),
    SecretRule(
        "sendgrid-key",
        "SendGrid API key",
        Severity.HIGH,
        _rx(rb"(?P<secret>SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})"),
        reveal=3,
        anchors=(b"SG.",),
    ),
    SecretRule(
        "docker-auth",
        "Registry credentials (docker config)",
        Severity.HIGH,
        _rx(rb"\"auth\"\s*:\s*\"(?P<secret>[A-Za-z0-9+/]{12,}={0,2})\""),
        anchors=(b'"auth"',),
    ),
    SecretRule(
        "credentials-in-url",
        "Password in a URL",
        Severity.HIGH,
        _rx(
            rb"(?P<name>[a-z][a-z0-9+.\-]{1,20}://)[^\s:/@\"'<>]{1,64}:"
            rb"(?P<secret>[^\s:/@\"'<>$%{}*]{3,128})@[A-Za-z0-9.\-]+"
        ),
        anchors=(b"://",),
    ),
    SecretRule(
        "env-password",
        "Password or token in a .env file",
        Severity.HIGH,
        _rx(
            rb"^[ \t]*(?:export[ \t]+)?(?P<name>[A-Za-z0-9_]*(?:PASSWORD|PASSWD|PWD|SECRET|TOKEN"
            rb"|API_KEY|APIKEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIALS)[A-Za-z0-9_]*)[ \t]*=[ \t]*"
            rb"[\"']?(?P<secret>[^\s\"'$#{}<>][^\s\"'#]{3,})",
            re.IGNORECASE | re.MULTILINE,
        ),
        env_only=True,
        anchors=(b"=",),
    ),
)
_RULES_ANYWHERE = tuple(r for r in RULES if not r.env_only)

# Public example values documentation uses; never reported.
_EXAMPLES = (b"EXAMPLE", b"example", b"xxxxxxxx", b"XXXXXXXX", b"0000000000000000")


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


def wants(entry: FileEntry) -> bool:
    """The path/size prefilter of the secrets selector (runs for hinted paths only)."""
    path = entry.path
    if entry.size > MAX_SECRET_FILE or entry.size == 0:
        return False
    if any(part in path for part in SKIP_PARTS):
        return False
    if path.endswith(SECRET_NAMES):
        return True
    return path.startswith(SCAN_PREFIXES) and not path.endswith(BINARY_SUFFIXES)


def is_env_file(path: str) -> bool:
    """``.env``, ``.env.production``, ``app.env``, ``prod.env.local``..."""
    name = path.rpartition("/")[2]
    return name.startswith(".env") or name.endswith(".env") or ".env." in name


_PLACEHOLDERS = frozenset(
    w.encode()
    for w in _words(
        "password pass passwd pwd secret token user username none null true false empty "
        "redacted changeit"
    )
)


def _secret_of(match: re.Match[bytes]) -> tuple[bytes, int] | None:
    """The matched secret and its offset (rules may name it ``secret`` or ``secret2``)."""
    for group in ("secret", "secret2"):
        if group in match.re.groupindex and match.group(group) is not None:
            return match.group(group), match.start(group)
    return None


def _preview(rule: SecretRule, match: re.Match[bytes], secret: bytes) -> str:
    """What a finding may show: the rule's public prefix, a key name, or a PEM header."""
    if rule.id == "private-key":
        return secret.decode("ascii", "replace")  # the header line: no key material
    stars = "*" * min(8, max(3, len(secret) - rule.reveal))
    if "name" in match.re.groupindex and match.group("name"):
        name = match.group("name").decode("utf-8", "replace")
        return f"{name}...{stars}" if name.endswith("://") else f"{name}={stars}"
    return f"{secret[: rule.reveal].decode('ascii', 'replace')}{stars} ({len(secret)} chars)"


def scan_bytes(path: str, data: bytes) -> tuple[SecretMatch, ...]:
    """Every rule match in ``data`` (the content of ``path``), redacted."""
    found: list[SecretMatch] = []
    for rule in RULES if is_env_file(path) else _RULES_ANYWHERE:
        if not any(anchor in data for anchor in rule.anchors):
            continue
        for match in rule.pattern.finditer(data):
            hit = _secret_of(match)
            if hit is None:
                continue
            secret, offset = hit
            if secret.lower() in _PLACEHOLDERS or any(ex in secret for ex in _EXAMPLES):
                continue
            line = data.count(b"\n", 0, offset) + 1
            found.append(SecretMatch(rule.id, line, _preview(rule, match, secret)))
            if len(found) >= _MAX_MATCHES_PER_FILE:
                return tuple(found)
    return tuple(found)


def read_secrets(entry: FileEntry, stream: BinaryIO, ctx: ReadContext) -> tuple[SecretMatch, ...]:
    """Selector reader: the matches in one file (``()`` when clean or binary)."""
    data = stream.read(MAX_SECRET_FILE)
    if b"\0" in data[:_BINARY_PROBE]:
        return ()
    return scan_bytes(entry.path, data)


SECRETS_SELECTORS: tuple[Selector, ...] = (
    Selector(
        SECRETS_SELECTOR,
        wants,
        read=read_secrets,
        max_size=MAX_SECRET_FILE,
        suffixes=SECRET_NAMES,
        prefixes=SCAN_PREFIXES,
        keep_deleted=True,
    ),
)
