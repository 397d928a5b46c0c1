"""End to end: the hardened-image baseline on real images built with podman.

A careless image (root, busybox shell, a setuid binary, a world-writable directory,
planted fake secrets, one of them deleted in a later layer) and a hardened one (a user
appended to /etc/passwd with busybox sed, as Debian's busybox has no adduser; busybox
removed again; healthcheck, labels, a digest-pinned base label) go through ``inventory``
with the checks' selectors in the same single pass, then ``run_hardening``.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.imagekit import built_archive, require

from hardhull.hardening import check_selectors, default_checks, run_hardening
from hardhull.hardening.base import HardeningCheck
from hardhull.hardening.baseimage import BaseImageEolCheck
from hardhull.model import Finding, HardeningSummary, Status
from hardhull.scan import inventory

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hardening"
BUSYBOX = Path("/bin/busybox")
TODAY = dt.date(2026, 11, 27)
DIGEST = "sha256:" + "5" * 64

pytestmark = pytest.mark.integration


def _checks() -> tuple[HardeningCheck, ...]:
    """The default checks with a fixed date for the end-of-life check."""
    return tuple(
        BaseImageEolCheck(today=TODAY) if c.id == "HH-IMG-007" else c for c in default_checks()
    )


def _harden(archive: str) -> tuple[list[Finding], HardeningSummary, list[str]]:
    checks = _checks()
    sbom, tree = inventory(archive, extra_selectors=check_selectors(checks))
    assert tree is not None
    findings, summary = run_hardening(sbom, tree, checks, strict=True)
    return findings, summary, [layer.digest for layer in sbom.source.layers]


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require("podman")
    if not BUSYBOX.is_file():
        require("busybox")
    ctx = tmp_path_factory.mktemp("hardening-context")
    shutil.copytree(FIXTURES / "secrets" / "rootfs", ctx / "secrets")
    shutil.copytree(FIXTURES / "hardened" / "rootfs", ctx / "hardened")
    shutil.copy2(BUSYBOX, ctx / "busybox")
    return ctx


@pytest.fixture(scope="module")
def careless(context: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with built_archive(
        context,
        "localhost/hardhull-test/hardening-careless:1",
        "FROM scratch\n"
        "COPY busybox /bin/busybox\n"
        'RUN ["/bin/busybox", "ln", "-s", "busybox", "/bin/sh"]\n'
        "COPY secrets/ /\n"
        'RUN ["/bin/busybox", "rm", "-f", "/root/.ssh/id_rsa"]\n'
        'RUN ["/bin/busybox", "chmod", "u+s", "/bin/busybox"]\n'
        'RUN ["/bin/busybox", "mkdir", "-m", "777", "/data"]\n'
        "LABEL org.opencontainers.image.base.name=docker.io/library/busybox:1.36\n",
        "oci-archive",
        tmp_path_factory.mktemp("careless") / "careless.tar",
    ) as out:
        yield out


@pytest.fixture(scope="module")
def hardened(context: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with built_archive(
        context,
        "localhost/hardhull-test/hardening-hardened:1",
        "FROM scratch\n"
        "COPY hardened/ /\n"
        "COPY busybox /bin/busybox\n"
        'RUN ["/bin/busybox", "sed", "-i", "$a app:x:10001:10001::/nonexistent:/sbin/nologin", '
        '"/etc/passwd"]\n'
        'RUN ["/bin/busybox", "rm", "/bin/busybox"]\n'
        "USER app\n"
        'HEALTHCHECK CMD ["/app/server", "health"]\n'
        "LABEL org.opencontainers.image.source=https://git.example.org/app "
        "org.opencontainers.image.version=1.0.0 "
        "org.opencontainers.image.revision=0123abcd "
        f"org.opencontainers.image.base.name=gcr.io/distroless/static@{DIGEST}\n",
        "docker-archive",
        tmp_path_factory.mktemp("hardened") / "hardened.tar",
        fmt="docker",  # HEALTHCHECK only exists in the docker image format
    ) as out:
        yield out


def test_careless_image_fails_the_baseline(careless: Path) -> None:
    findings, summary, layers = _harden(f"oci-archive:{careless}")
    status = {}
    for f in findings:
        status.setdefault(f.rule_id, set()).add(f.status)
    assert status["HH-IMG-001"] == {Status.FAIL}  # no USER
    assert status["HH-IMG-003"] == {Status.PASS}
    assert status["HH-IMG-007"] == {Status.FAIL}  # no distribution at all
    assert status["HH-IMG-008"] == {Status.WARN}
    assert status["HH-IMG-009"] == {Status.WARN}
    assert status["HH-IMG-010"] == {Status.WARN}  # base by tag
    by_rule = {rid: [f for f in findings if f.rule_id == rid] for rid in status}
    (shell,) = by_rule["HH-IMG-002"]
    assert shell.subject == "/bin/sh" and shell.locations[0].path == "/bin/busybox"
    (suid,) = by_rule["HH-IMG-004"]
    assert suid.subject == "/bin/busybox" and suid.locations[0].layer == layers[4]
    (writable,) = by_rule["HH-IMG-005"]
    assert writable.subject == "/data" and writable.locations[0].layer == layers[5]

    secrets = {(f.subject, dict(f.evidence)["rule"]): f for f in by_rule["HH-IMG-006"]}
    assert len(secrets) == 12
    deleted = secrets[("/root/.ssh/id_rsa", "private-key")]
    assert dict(deleted.evidence)["state"] == "deleted"
    assert deleted.locations[0].layer == layers[2]  # the COPY layer, not the rm layer
    assert "deleted in a later layer" in deleted.message
    kept = secrets[("/app/tokens.txt", "github-token")]
    assert dict(kept.evidence)["state"] == "present"
    assert "ghp_********" in kept.message
    assert not any("node_modules" in s or "/usr/share" in s for s, _ in secrets)

    assert summary.score < 30
    assert {"HH-IMG-001", "HH-IMG-002", "HH-IMG-004", "HH-IMG-006"} <= set(summary.failed)


def test_hardened_image_passes_the_baseline(hardened: Path) -> None:
    findings, summary, _ = _harden(f"docker-archive:{hardened}")
    not_passed = [(f.rule_id, f.status, f.message) for f in findings if f.status is not Status.PASS]
    assert not_passed == []
    assert summary.score == 100 and summary.passed == 10 and summary.failed == ()
    user = next(f for f in findings if f.rule_id == "HH-IMG-001")
    assert "uid 10001" in user.message
    shell = next(f for f in findings if f.rule_id == "HH-IMG-002")
    assert shell.status is Status.PASS  # busybox was removed in the last RUN
