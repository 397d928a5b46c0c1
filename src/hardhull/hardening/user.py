"""HH-IMG-001: the image runs as a non-root user."""

from __future__ import annotations

from hardhull.hardening.common import CheckInfo, make_finding
from hardhull.model import Finding, Sbom, Severity, Status
from hardhull.sources.base import Selector
from hardhull.sources.filetree import FileTree

PASSWD_SELECTOR = "hardening-passwd"
_PASSWD = "/etc/passwd"

INFO = CheckInfo(
    id="HH-IMG-001",
    title="Image runs as a non-root user",
    severity=Severity.HIGH,
    fix="Add a dedicated user (uid >= 1000) and end the Containerfile with `USER <uid>`.",
)


def parse_passwd(data: bytes) -> dict[str, int]:
    """``name -> uid`` from ``/etc/passwd`` content; malformed lines are ignored."""
    users: dict[str, int] = {}
    for raw in data.decode("utf-8", "replace").splitlines():
        fields = raw.split(":")
        if len(fields) >= 3 and fields[0] and fields[2].isdigit():
            users.setdefault(fields[0], int(fields[2]))
    return users


class NonRootUserCheck:
    """The config's ``User`` must name a non-root account.

    Empty, ``root``, ``0`` (with any group) fail. A numeric uid is taken as it is; a name is
    resolved through the image's ``/etc/passwd`` (uid 0 fails; a name the file does not
    know warns, since the container would not start). Targets without an image config
    (``dir:``, ``sbom:``) are skipped.
    """

    id = INFO.id
    title = INFO.title
    severity = INFO.severity
    selectors: tuple[Selector, ...] = (
        Selector(
            PASSWD_SELECTOR,
            lambda e: e.path == _PASSWD,
            max_size=4 * 1024 * 1024,
            suffixes=(_PASSWD,),
        ),
    )

    def evaluate(self, sbom: Sbom, tree: FileTree) -> list[Finding]:
        """One finding: pass, fail (root), warn (unresolvable name) or skip (no config)."""
        config = sbom.source.config
        if config is None:
            return [
                make_finding(
                    INFO,
                    Status.SKIP,
                    "config",
                    f"no image configuration ({sbom.source.scheme} target): the user the "
                    "container runs as is not known",
                )
            ]
        raw = (config.user or "").strip()
        user = raw.partition(":")[0]
        evidence = [("config_user", raw or "(empty)")]
        if user in ("", "root", "0"):
            why = f"runs as root (User {raw!r})" if raw else "sets no USER: it runs as root"
            return [
                make_finding(
                    INFO,
                    Status.FAIL,
                    "config.User",
                    f"the image {why}",
                    evidence=evidence,
                )
            ]
        if user.isdigit():
            return [
                make_finding(
                    INFO, Status.PASS, "config.User", f"runs as uid {user}", evidence=evidence
                )
            ]
        passwd = tree.read_bytes(PASSWD_SELECTOR, _PASSWD)
        if passwd is None:
            return [
                make_finding(
                    INFO,
                    Status.WARN,
                    "config.User",
                    f"runs as user {user!r}, but the image has no /etc/passwd to resolve it",
                    severity=Severity.MEDIUM,
                    evidence=evidence,
                )
            ]
        uid = parse_passwd(passwd).get(user)
        evidence.append(("passwd_uid", "(not found)" if uid is None else str(uid)))
        if uid is None:
            return [
                make_finding(
                    INFO,
                    Status.WARN,
                    "config.User",
                    f"user {user!r} is not in /etc/passwd: the container cannot start as it",
                    severity=Severity.MEDIUM,
                    evidence=evidence,
                    path=_PASSWD,
                )
            ]
        if uid == 0:
            return [
                make_finding(
                    INFO,
                    Status.FAIL,
                    "config.User",
                    f"user {user!r} has uid 0 in /etc/passwd: the container runs as root",
                    evidence=evidence,
                    path=_PASSWD,
                )
            ]
        return [
            make_finding(
                INFO,
                Status.PASS,
                "config.User",
                f"runs as user {user!r} (uid {uid})",
                evidence=evidence,
            )
        ]
