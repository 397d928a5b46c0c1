"""HH-IMG-001: non-root user, from the config and /etc/passwd."""

from __future__ import annotations

import pytest
from tests.unit.hardening.hardkit import file, sbom, tree

from hardhull.hardening.user import PASSWD_SELECTOR, NonRootUserCheck, parse_passwd
from hardhull.model import ImageConfig, Status

PASSWD = (
    b"root:x:0:0:root:/root:/bin/sh\n"
    b"app:x:1000:1000::/home/app:/sbin/nologin\n"
    b"toor:x:0:0::/:/bin/sh\n"
    b"broken line\n"
)


def _status(user: str | None, passwd: bytes | None = PASSWD) -> Status:
    captures = {PASSWD_SELECTOR: {"/etc/passwd": passwd}} if passwd is not None else {}
    t = tree([file("/etc/passwd")], captures)
    (finding,) = NonRootUserCheck().evaluate(sbom(ImageConfig(user=user)), t)
    assert finding.rule_id == "HH-IMG-001"
    return finding.status


@pytest.mark.parametrize("user", [None, "", "root", "0", "0:0", "root:root", "0:1000"])
def test_root_users_fail(user: str | None) -> None:
    assert _status(user) is Status.FAIL


@pytest.mark.parametrize("user", ["1000", "1000:1000", "65532", "app", "app:app"])
def test_non_root_users_pass(user: str) -> None:
    assert _status(user) is Status.PASS


def test_named_user_with_uid_zero_fails() -> None:
    assert _status("toor") is Status.FAIL


def test_unknown_or_unresolvable_names_warn() -> None:
    assert _status("ghost") is Status.WARN
    assert _status("app", passwd=None) is Status.WARN


def test_no_config_is_skipped_with_reason() -> None:
    (finding,) = NonRootUserCheck().evaluate(sbom(None, scheme="dir"), tree([]))
    assert finding.status is Status.SKIP
    assert "dir" in finding.message


def test_parse_passwd_ignores_garbage() -> None:
    assert parse_passwd(PASSWD) == {"root": 0, "app": 1000, "toor": 0}
