"""HH-IMG-004 (setuid/setgid) and HH-IMG-005 (world-writable)."""

from __future__ import annotations

from tests.unit.hardening.hardkit import L2, dir_, file, link, sbom, tree

from hardhull.hardening.common import MAX_FINDINGS_PER_CHECK
from hardhull.hardening.permissions import SetuidCheck, WorldWritableCheck
from hardhull.model import Severity, Status


def test_setuid_and_setgid_files_are_listed_with_layer() -> None:
    t = tree(
        [
            file("/usr/bin/passwd", 0o4755),
            file("/usr/bin/chage", 0o2755, gid=42, layer=L2),
            file("/usr/bin/ls", 0o755),
            dir_("/srv", 0o2775),  # setgid directories are normal (group inheritance)
        ]
    )
    findings = SetuidCheck().evaluate(sbom(), t)
    by = {f.subject: f for f in findings}
    assert set(by) == {"/usr/bin/passwd", "/usr/bin/chage"}
    assert by["/usr/bin/passwd"].severity is Severity.HIGH
    assert by["/usr/bin/chage"].severity is Severity.MEDIUM
    assert by["/usr/bin/chage"].locations[0].layer == L2
    assert ("bits", "setgid") in by["/usr/bin/chage"].evidence


def test_no_special_bits_pass() -> None:
    (finding,) = SetuidCheck().evaluate(sbom(), tree([file("/bin/true", 0o755)]))
    assert finding.status is Status.PASS


def test_world_writable_outside_tmp_fails() -> None:
    t = tree(
        [
            dir_("/tmp", 0o1777),
            dir_("/var/tmp", 0o777),
            file("/tmp/scratch", 0o666),
            dir_("/data", 0o777),
            dir_("/shared", 0o1777),  # sticky: allowed
            file("/app/config.yml", 0o666),
            file("/app/run.sh", 0o777),
            link("/app/link", "config.yml"),  # symlinks are always 0777
            file("/app/ok", 0o664),
        ]
    )
    findings = WorldWritableCheck().evaluate(sbom(), t)
    assert {f.subject: f.status for f in findings} == {
        "/data": Status.FAIL,
        "/app/config.yml": Status.FAIL,
        "/app/run.sh": Status.FAIL,
    }


def test_many_violations_are_capped_and_counted() -> None:
    t = tree([file(f"/data/f{i:03}", 0o666) for i in range(MAX_FINDINGS_PER_CHECK + 7)])
    findings = WorldWritableCheck().evaluate(sbom(), t)
    assert len(findings) == MAX_FINDINGS_PER_CHECK + 1
    assert findings[-1].subject == "(more)"
    assert ("not_listed", "7") in findings[-1].evidence
