"""HH-IMG-002 and HH-IMG-003: shells and package managers, resolved through symlinks."""

from __future__ import annotations

from tests.unit.hardening.hardkit import L2, dir_, file, link, sbom, tree

from hardhull.hardening.distroless import NoPackageManagerCheck, NoShellCheck
from hardhull.model import Status


def test_busybox_and_symlinked_shells_are_reported_once_each() -> None:
    t = tree(
        [
            dir_("/bin"),
            file("/bin/busybox", 0o755),
            link("/bin/sh", "busybox"),
            link("/bin/ash", "/bin/busybox"),
            file("/usr/bin/bash", 0o755, layer=L2),
            link("/usr/bin/rbash", "bash"),
        ]
    )
    findings = NoShellCheck().evaluate(sbom(), t)
    assert [f.status for f in findings] == [Status.FAIL, Status.FAIL]
    by_subject = {f.subject: f for f in findings}
    assert set(by_subject) == {"/bin/sh", "/usr/bin/bash"}
    assert ("resolves_to", "/bin/busybox") in by_subject["/bin/sh"].evidence
    assert by_subject["/usr/bin/bash"].locations[0].layer == L2


def test_usrmerge_bin_symlink_is_followed() -> None:
    t = tree([link("/bin", "usr/bin"), file("/usr/bin/dash", 0o755), link("/usr/bin/sh", "dash")])
    (finding,) = NoShellCheck().evaluate(sbom(), t)
    assert finding.subject == "/usr/bin/sh"
    assert finding.locations[0].path == "/usr/bin/dash"


def test_dangling_shell_link_and_non_bin_paths_pass() -> None:
    t = tree([link("/bin/sh", "/nowhere"), file("/usr/share/doc/bash", 0o644), file("/app/run")])
    (finding,) = NoShellCheck().evaluate(sbom(), t)
    assert finding.status is Status.PASS


def test_os_package_managers_fail_and_language_ones_warn() -> None:
    t = tree(
        [
            file("/usr/bin/apt-get", 0o755),
            file("/usr/bin/dpkg", 0o755),
            file("/sbin/apk", 0o755),
            file("/opt/venv/bin/pip3.12", 0o755),
            file("/usr/local/bin/npm", 0o755),
            file("/usr/lib/python3/dist-packages/pip/__main__.py"),
        ]
    )
    findings = NoPackageManagerCheck().evaluate(sbom(), t)
    got = {f.subject: f.status for f in findings}
    assert got == {
        "/usr/bin/apt-get": Status.FAIL,
        "/usr/bin/dpkg": Status.FAIL,
        "/sbin/apk": Status.FAIL,
        "/opt/venv/bin/pip3.12": Status.WARN,
        "/usr/local/bin/npm": Status.WARN,
    }


def test_distroless_tree_passes_both() -> None:
    t = tree([file("/app/server", 0o755), file("/etc/passwd"), dir_("/tmp", 0o1777)])
    assert [f.status for f in NoShellCheck().evaluate(sbom(), t)] == [Status.PASS]
    assert [f.status for f in NoPackageManagerCheck().evaluate(sbom(), t)] == [Status.PASS]


def test_no_tree_is_skipped() -> None:
    (finding,) = NoShellCheck().evaluate(sbom(None, scheme="sbom"), tree([]))
    assert finding.status is Status.SKIP
