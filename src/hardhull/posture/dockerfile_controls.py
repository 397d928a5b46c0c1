"""The Dockerfile controls ``HH-DF-001``... with their framework mappings.

CIS ids are from the CIS Docker Benchmark section 4 (container images and build file);
NIST ids are the SP 800-190 risk sections (4.1.x image risks) the control counters.
"""

from __future__ import annotations

from hardhull.model import Severity
from hardhull.posture.base import Control

CIS = "CIS Docker Benchmark"
NIST = "NIST SP 800-190"

RUNS_AS_ROOT = Control(
    id="HH-DF-001",
    title="Image runs as root",
    severity=Severity.HIGH,
    rationale="A container process running as root turns any escape or file-system write "
    "into root on the host's view of the container; most images need no root at run time.",
    remediation="Create an unprivileged user and end the final stage with `USER <name or "
    "uid>` (not root or 0).",
    frameworks=((CIS, "4.1"), (NIST, "4.1.2")),
    family="dockerfile",
)
UNPINNED_BASE = Control(
    id="HH-DF-002",
    title="Base image not pinned",
    severity=Severity.MEDIUM,
    rationale="`FROM image` and `FROM image:latest` build from whatever the tag points at "
    "today: builds are not reproducible and a compromised or changed tag flows in silently.",
    remediation="Pin the base image to a digest (`FROM image:1.2@sha256:...`), or at least "
    "to a specific version tag.",
    frameworks=((CIS, "4.2"), (NIST, "4.1.5")),
    family="dockerfile",
)
ADD_URL = Control(
    id="HH-DF-003",
    title="ADD fetches a remote URL",
    severity=Severity.MEDIUM,
    rationale="`ADD <url>` downloads at build time without checksum verification (unless "
    "--checksum is given) and hides what the image contains.",
    remediation="Download with a verified checksum in a RUN step, or use `ADD --checksum=` "
    "and prefer COPY for local files.",
    frameworks=((CIS, "4.9"), (NIST, "4.1.3")),
    family="dockerfile",
)
PIPE_TO_SHELL = Control(
    id="HH-DF-004",
    title="Remote script piped to a shell",
    severity=Severity.HIGH,
    rationale="`curl ... | sh` runs whatever the server returns, unverified, as the build "
    "user (usually root).",
    remediation="Download the script or artifact, verify its checksum or signature, then run it.",
    frameworks=((CIS, "4.11"), (NIST, "4.1.3")),
    family="dockerfile",
)
SECRET_IN_ENV = Control(
    id="HH-DF-005",
    title="Secret in ENV or ARG",
    severity=Severity.HIGH,
    rationale="ENV values are stored in the image configuration and ARG values in its "
    "history: anyone who can pull the image can read them.",
    remediation="Use build secrets (`RUN --mount=type=secret,...`) at build time and "
    "inject run-time secrets from the orchestrator.",
    frameworks=((CIS, "4.10"), (NIST, "4.1.4")),
    family="dockerfile",
)
APT_RECOMMENDS = Control(
    id="HH-DF-006",
    title="apt-get install without --no-install-recommends",
    severity=Severity.LOW,
    rationale="Recommended packages enlarge the image and its attack surface with software "
    "nobody asked for.",
    remediation="Use `apt-get install --no-install-recommends`.",
    frameworks=((CIS, "4.3"), (NIST, "4.1.2")),
    family="dockerfile",
)
PACKAGE_CACHE = Control(
    id="HH-DF-007",
    title="Package manager cache left in the image",
    severity=Severity.LOW,
    rationale="apt lists and apk caches left in a layer add size and stale metadata to the image.",
    remediation="End the same RUN with `rm -rf /var/lib/apt/lists/*`, use `apk add "
    "--no-cache`, or a cache mount (`RUN --mount=type=cache,...`).",
    frameworks=((CIS, "4.3"), (NIST, "4.1.2")),
    family="dockerfile",
)
UNPINNED_PACKAGES = Control(
    id="HH-DF-008",
    title="Packages installed without pinned versions",
    severity=Severity.LOW,
    rationale="Unpinned `apt-get install`, `apk add` and `pip install` take whatever version "
    "the repository serves at build time: builds drift and are not reproducible.",
    remediation="Pin versions (`pkg=1.2-3` for apt, `pkg=1.2-r0` for apk, `pkg==1.2` or a "
    "hashed requirements file for pip).",
    frameworks=((CIS, "4.11"), (NIST, "4.1.1")),
    family="dockerfile",
)
NO_HEALTHCHECK = Control(
    id="HH-DF-009",
    title="No HEALTHCHECK",
    severity=Severity.LOW,
    rationale="Without a health check the engine cannot tell a hung service from a working "
    "one (orchestrators that define their own probes do not need it).",
    remediation="Add `HEALTHCHECK CMD ...` to the final stage.",
    frameworks=((CIS, "4.6"),),
    family="dockerfile",
)

CONTROLS: tuple[Control, ...] = (
    RUNS_AS_ROOT,
    UNPINNED_BASE,
    ADD_URL,
    PIPE_TO_SHELL,
    SECRET_IN_ENV,
    APT_RECOMMENDS,
    PACKAGE_CACHE,
    UNPINNED_PACKAGES,
    NO_HEALTHCHECK,
)

__all__ = [
    "ADD_URL",
    "APT_RECOMMENDS",
    "CONTROLS",
    "NO_HEALTHCHECK",
    "PACKAGE_CACHE",
    "PIPE_TO_SHELL",
    "RUNS_AS_ROOT",
    "SECRET_IN_ENV",
    "UNPINNED_BASE",
    "UNPINNED_PACKAGES",
]
