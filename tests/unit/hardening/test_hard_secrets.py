"""HH-IMG-006: the secret rules, the path prefilter, redaction, and the check on a tree."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.hardening.hardkit import L1, L2, file, sbom, tree

from hardhull.hardening import check_selectors, run_hardening
from hardhull.hardening.secret_check import SecretsCheck
from hardhull.hardening.secret_paths import is_env_file, wants
from hardhull.hardening.secrets import SECRETS_SELECTOR, SecretMatch, scan_bytes
from hardhull.model import FileEntry, FileKind, Status
from hardhull.scan import inventory

ROOTFS = Path(__file__).resolve().parents[2] / "fixtures" / "hardening" / "secrets" / "rootfs"

# Every secret in the fixture tree, as (path, rule).
EXPECTED = {
    ("/app/config/settings.py", "aws-access-key-id"),
    ("/app/config/settings.py", "aws-secret-access-key"),
    ("/app/.env", "env-password"),
    ("/app/deploy_key", "private-key"),
    ("/root/.ssh/id_rsa", "private-key"),
    ("/app/gcp-sa.json", "gcp-service-account"),
    ("/app/gcp-sa.json", "private-key"),
    ("/app/tokens.txt", "github-token"),
    ("/app/tokens.txt", "gitlab-token"),
    ("/app/tokens.txt", "slack-token"),
    ("/root/.docker/config.json", "docker-auth"),
    ("/etc/app/db.conf", "credentials-in-url"),
}


def _secret_values() -> list[str]:
    """Secret substrings of the fixtures that must never appear in any finding."""
    values = []
    for path in ROOTFS.rglob("*"):
        if path.is_file():
            words = path.read_text().replace('"', " ").replace("=", " ").split()
            values.extend(
                w.strip(",:@") for w in words if len(w) >= 20 and any(c.isdigit() for c in w)
            )
    return values


def test_fixture_tree_finds_exactly_the_planted_secrets() -> None:
    checks = (SecretsCheck(),)
    sbom_, t = inventory(f"dir:{ROOTFS}", extra_selectors=check_selectors(checks))
    findings, _ = run_hardening(sbom_, t, checks, strict=True)
    got = {(f.subject, dict(f.evidence)["rule"]) for f in findings if f.status is Status.FAIL}
    assert got == EXPECTED
    text = repr(findings)
    leaked = [v for v in _secret_values() if v in text and "EXAMPLE" not in v]
    assert not leaked
    line_of = {(f.subject, dict(f.evidence)["rule"]): dict(f.evidence)["lines"] for f in findings}
    assert line_of[("/app/.env", "env-password")] == "3"
    assert line_of[("/app/tokens.txt", "slack-token")] == "3"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("key: AKIA" + "Q" * 16, "aws-access-key-id"),
        ("ASIA" + "Z7" * 8 + "\n", "aws-access-key-id"),
        ("AWS_SECRET_ACCESS_KEY=" + "a1B2/" * 8, "aws-secret-access-key"),
        ("gho_" + "x7" * 18, "github-token"),
        ("github_pat_" + "A" * 82, "github-token"),
        ("AIza" + "b" * 35, "google-api-key"),
        ("sk_live_" + "9" * 24, "stripe-key"),
        ("//registry.npmjs.org/:_authToken=" + "npm_" + "T" * 36, "npm-token"),
        ("password = pypi-AgEIcHlwaS5vcmc" + "q" * 60, "pypi-token"),
        ("SG." + "a" * 22 + "." + "b" * 43, "sendgrid-key"),
        ("https://hooks.slack.com/services/T0000AAAA/B1111BBBB/" + "c" * 24, "slack-webhook"),
        ("amqp://svc:" + "k3y" * 4 + "@mq.internal:5672/", "credentials-in-url"),
        (
            '"private_key": "-----BEGIN PRIVATE KEY-----\\n' + "M" * 64 + "\\n-----END",
            "private-key",
        ),
        (
            "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n"
            + "Q" * 64,
            "private-key",
        ),
    ],
)
def test_each_rule_matches_and_never_shows_the_secret(text: str, rule: str) -> None:
    matches = scan_bytes("/app/config.txt", text.encode())
    assert rule in {m.rule for m in matches}
    for match in matches:
        assert len(match.preview) < 60
        for long_run in ("Q" * 16, "x7" * 18, "b" * 35, "9" * 24, "k3yk3y", "T" * 36, "M" * 40):
            assert long_run not in match.preview


@pytest.mark.parametrize(
    "text",
    [
        "AKIAIOSFODNN7EXAMPLE",  # the documentation example
        'HEADER = "-----BEGIN RSA PRIVATE KEY-----"\n',  # a header without key material
        "postgres://user:password@localhost/db",  # placeholder credentials
        "postgres://app:${DB_PASSWORD}@db/app",  # templated
        "DB_PASSWORD=hunter22",  # env rule only runs on .env files
        "http://example.org/path@v2",
        "aws_secret_access_key = ${AWS_SECRET}",
    ],
)
def test_negatives(text: str) -> None:
    assert scan_bytes("/app/notes.txt", text.encode()) == ()


def test_env_rule_only_for_env_files() -> None:
    data = b"export API_TOKEN='s3cr3t-value'\nPASSWORD=\nHOME_DIR=/x\nDB_PASS=${X}\n"
    (match,) = scan_bytes("/srv/.env.production", data)
    assert match == SecretMatch("env-password", 1, "API_TOKEN=********")
    assert is_env_file("/app/prod.env") and is_env_file("/app/.env")
    assert not is_env_file("/app/environment.py")


def _entry(path: str, size: int = 100) -> FileEntry:
    return FileEntry(path, FileKind.FILE, 0o644, size)


@pytest.mark.parametrize(
    ("path", "size", "wanted"),
    [
        ("/app/settings.py", 100, True),
        ("/etc/app/db.conf", 100, True),
        ("/root/.aws/credentials", 100, True),
        ("/tmp/build/key.pem", 100, True),
        ("/usr/lib/x/id_rsa", 100, True),  # credential file names anywhere
        ("/.env", 100, True),
        ("/app/node_modules/lib/test/key.pem", 100, False),
        ("/opt/venv/lib/python3.11/site-packages/x/conf.py", 100, False),
        ("/usr/share/doc/pkg/README", 100, False),
        ("/usr/lib/x86_64-linux-gnu/libc.so.6", 100, False),
        ("/app/logo.png", 100, False),
        ("/app/big.json", 2 * 1024 * 1024, False),
        ("/app/empty", 0, False),
    ],
)
def test_path_prefilter(path: str, size: int, wanted: bool) -> None:
    assert wants(_entry(path, size)) is wanted


def test_deleted_and_replaced_files_are_reported_with_their_layer() -> None:
    hit = (SecretMatch("private-key", 1, "-----BEGIN RSA PRIVATE KEY-----"),)
    history = {
        SECRETS_SELECTOR: (
            (L1, "/root/.ssh/id_rsa", hit),
            (L1, "/app/key.pem", hit),
            (L1, "/app/clean.txt", ()),
            (L2, "/app/live.pem", hit),
        )
    }
    t = tree([file("/app/key.pem", layer=L2), file("/app/live.pem", layer=L2)], history=history)
    findings = SecretsCheck().evaluate(sbom(), t)
    states = {f.subject: (dict(f.evidence)["state"], f.locations[0].layer) for f in findings}
    assert states == {
        "/root/.ssh/id_rsa": ("deleted", L1),
        "/app/key.pem": ("replaced", L1),
        "/app/live.pem": ("present", L2),
    }
    assert all(f.status is Status.FAIL for f in findings)


def test_clean_history_passes_and_says_how_much_was_read() -> None:
    t = tree([file("/app/a")], history={SECRETS_SELECTOR: ((L1, "/app/a", ()),)})
    (finding,) = SecretsCheck().evaluate(sbom(), t)
    assert finding.status is Status.PASS
    assert ("files_read", "1") in finding.evidence


def test_layer_budget_records_unread_files_and_never_passes_them(tmp_path: Path) -> None:
    import io

    from hardhull.hardening.secrets import (
        LAYER_BUDGET_BYTES,
        NotScanned,
        read_secrets,
    )
    from hardhull.sources.base import ReadContext

    ctx = ReadContext(tmp_path, 1 << 20)
    size = 512 * 1024
    results = []
    for i in range(LAYER_BUDGET_BYTES // size + 3):
        entry = FileEntry(f"/opt/data/f{i}.txt", FileKind.FILE, 0o644, size, L1)
        results.append(read_secrets(entry, io.BytesIO(b"a" * size), ctx))
    assert results[0] == ()
    assert [r for r in results if isinstance(r, NotScanned)] == [NotScanned(size)] * 3
    # credential names are read whatever the budget; another layer has its own budget
    key = FileEntry("/opt/data/id_rsa", FileKind.FILE, 0o600, 10, L1)
    assert read_secrets(key, io.BytesIO(b"harmless\n"), ctx) == ()
    other = FileEntry("/opt/data/g.txt", FileKind.FILE, 0o644, size, L2)
    assert read_secrets(other, io.BytesIO(b"a" * size), ctx) == ()

    history = {
        SECRETS_SELECTOR: tuple((L1, f"/opt/data/f{i}.txt", r) for i, r in enumerate(results))
    }
    (finding,) = SecretsCheck().evaluate(sbom(), tree([file("/opt/data/f0.txt")], history=history))
    assert finding.status is Status.WARN
    assert ("files_not_read", "3") in finding.evidence
