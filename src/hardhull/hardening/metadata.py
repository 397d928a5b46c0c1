"""HH-IMG-008 (``HEALTHCHECK`` present) and HH-IMG-009 (OCI annotation labels present)."""

from __future__ import annotations

from hardhull.hardening.common import CheckInfo, make_finding
from hardhull.model import Finding, Sbom, Severity, Status
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree

HEALTH_INFO = CheckInfo(
    id="HH-IMG-008",
    title="HEALTHCHECK defined",
    severity=Severity.LOW,
    fix="Add `HEALTHCHECK CMD ...` (docker image format) or define liveness/readiness "
    "probes where the image runs.",
)
LABELS_INFO = CheckInfo(
    id="HH-IMG-009",
    title="OCI image labels present",
    severity=Severity.LOW,
    fix="Add the labels at build time, e.g. `LABEL org.opencontainers.image.source=<repo url>`"
    " or `docker buildx build --label ...`.",
)

# What lets anyone trace an image back to its code: where, which version, which commit.
REQUIRED_LABELS = (
    "org.opencontainers.image.source",
    "org.opencontainers.image.version",
    "org.opencontainers.image.revision",
)


def _skip(info: CheckInfo, sbom: Sbom) -> Finding:
    return make_finding(
        info,
        Status.SKIP,
        "config",
        f"no image configuration ({sbom.source.scheme} target)",
    )


class HealthcheckCheck:
    """``warn`` when the config has no health check (or disables it with ``NONE``).

    OCI-format images cannot carry one (the field only exists in the docker format), so
    for them this always warns: the runtime's probes must do the job.
    """

    id = HEALTH_INFO.id
    title = HEALTH_INFO.title
    severity = HEALTH_INFO.severity
    selectors: tuple[Selector, ...] = ()

    def evaluate(self, sbom: Sbom, tree: FileTree) -> list[Finding]:
        """One finding: ``pass`` with the test command, ``warn`` or ``skip``."""
        config = sbom.source.config
        if config is None:
            return [_skip(HEALTH_INFO, sbom)]
        test = config.healthcheck
        if not test or test[0].upper() == "NONE":
            why = "disabled (NONE)" if test else "not defined"
            return [
                make_finding(
                    HEALTH_INFO,
                    Status.WARN,
                    "config.Healthcheck",
                    f"HEALTHCHECK {why}",
                    evidence=(("healthcheck", " ".join(test) if test else "(none)"),),
                )
            ]
        return [
            make_finding(
                HEALTH_INFO,
                Status.PASS,
                "config.Healthcheck",
                "HEALTHCHECK defined",
                evidence=(("healthcheck", " ".join(test)),),
            )
        ]


class OciLabelsCheck:
    """One ``warn`` per missing label of :data:`REQUIRED_LABELS`."""

    id = LABELS_INFO.id
    title = LABELS_INFO.title
    severity = LABELS_INFO.severity
    selectors: tuple[Selector, ...] = ()

    def evaluate(self, sbom: Sbom, tree: FileTree) -> list[Finding]:
        """A ``warn`` per missing (or empty) label, or one ``pass``."""
        config = sbom.source.config
        if config is None:
            return [_skip(LABELS_INFO, sbom)]
        labels = dict(config.labels)
        missing = [name for name in REQUIRED_LABELS if not labels.get(name, "").strip()]
        if not missing:
            return [
                make_finding(
                    LABELS_INFO,
                    Status.PASS,
                    "config.Labels",
                    "labels present: " + ", ".join(REQUIRED_LABELS),
                    evidence=tuple((n, labels[n]) for n in REQUIRED_LABELS),
                )
            ]
        return [
            make_finding(
                LABELS_INFO,
                Status.WARN,
                name,
                f"label {name} is missing",
                evidence=(("label", name),),
            )
            for name in missing
        ]
