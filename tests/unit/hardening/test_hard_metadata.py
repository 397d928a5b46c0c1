"""HH-IMG-008 (healthcheck), HH-IMG-009 (labels), HH-IMG-010 (digest-pinned base)."""

from __future__ import annotations

import pytest
from tests.unit.hardening.hardkit import sbom, tree

from hardhull.hardening.baseimage import PinnedBaseCheck
from hardhull.hardening.metadata import REQUIRED_LABELS, HealthcheckCheck, OciLabelsCheck
from hardhull.model import ImageConfig, Status

DIGEST = "sha256:" + "ab" * 32


def test_healthcheck() -> None:
    def status(hc: tuple[str, ...] | None) -> Status:
        (f,) = HealthcheckCheck().evaluate(sbom(ImageConfig(healthcheck=hc)), tree([]))
        return f.status

    assert status(("CMD", "/app/health")) is Status.PASS
    assert status(None) is Status.WARN
    assert status(("NONE",)) is Status.WARN
    (skip,) = HealthcheckCheck().evaluate(sbom(None, scheme="dir"), tree([]))
    assert skip.status is Status.SKIP


def test_labels_one_warn_per_missing_label() -> None:
    labels = (("org.opencontainers.image.source", "https://git.example/app"),)
    findings = OciLabelsCheck().evaluate(sbom(ImageConfig(labels=labels)), tree([]))
    assert {f.subject for f in findings} == set(REQUIRED_LABELS[1:])
    assert all(f.status is Status.WARN for f in findings)
    full = tuple((name, "x") for name in REQUIRED_LABELS)
    (ok,) = OciLabelsCheck().evaluate(sbom(ImageConfig(labels=full)), tree([]))
    assert ok.status is Status.PASS


@pytest.mark.parametrize(
    ("labels", "history", "status"),
    [
        ((("org.opencontainers.image.base.name", "docker.io/library/debian:12"),), (), Status.WARN),
        (
            (
                ("org.opencontainers.image.base.name", "docker.io/library/debian:12"),
                ("org.opencontainers.image.base.digest", DIGEST),
            ),
            (),
            Status.PASS,
        ),
        ((), (f"FROM docker.io/library/alpine:3.20@{DIGEST}",), Status.PASS),
        (
            (),
            ("/bin/sh -c #(nop) FROM --platform=linux/amd64 python:3.12-slim AS build",),
            Status.WARN,
        ),
        ((), ("/bin/sh -c #(nop) COPY file:abc in /",), Status.SKIP),
        ((), ("FROM scratch",), Status.SKIP),
    ],
)
def test_pinned_base(
    labels: tuple[tuple[str, str], ...], history: tuple[str, ...], status: Status
) -> None:
    config = ImageConfig(labels=labels, history=history)
    (finding,) = PinnedBaseCheck().evaluate(sbom(config), tree([]))
    assert finding.status is status
    if status is Status.SKIP:
        assert "not determinable" in finding.message
